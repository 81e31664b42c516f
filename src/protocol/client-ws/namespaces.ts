import { wsusNamespaces } from '../soap/index.js';

/** The Client web service operation namespace (default xmlns of every request and response element). */
export const clientNs = wsusNamespaces.clientWebService;
/** The SimpleAuth web service operation namespace. */
export const simpleAuthNs = wsusNamespaces.simpleAuthWebService;
