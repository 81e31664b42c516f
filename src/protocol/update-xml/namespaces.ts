/**
 * Namespace URIs of update documents (docs/protocol/update-xml.md §3.1). Documents are matched by URI, never by prefix:
 * Microsoft redeclares prefixes on nested elements and nothing stops another publisher from choosing others.
 */
const msus = 'http://schemas.microsoft.com/msus/2002/12/';

export const updateNs = `${msus}Update`;
export const publishingNs = `${msus}Publishing`;
export const baseApplicabilityRulesNs = `${msus}BaseApplicabilityRules`;
export const logicalApplicabilityRulesNs = `${msus}LogicalApplicabilityRules`;
export const msiApplicabilityRulesNs = `${msus}MsiApplicabilityRules`;
export const windowsDriverNs = `${msus}UpdateHandlers/WindowsDriver`;
export const categoryHandlerNs = `${msus}UpdateHandlers/Category`;
export const xsiNs = 'http://www.w3.org/2001/XMLSchema-instance';
/** MsiPatch elements keep this default-namespace declaration inside Core fragments (docs/protocol/client.md §1.7 step 3). */
export const msiPatchNs = 'http://www.microsoft.com/msi/patch_applicability.xsd';
