import { AppError } from '../../errors.js';
import type { SoapRequest } from './envelope.js';

/** One registered operation: the body element that selects it, its SOAPAction, and the caller's handler. */
export interface SoapOperation<H> {
  readonly namespace: string;
  readonly name: string;
  /** The SOAPAction / `action=` value that names this operation (WSUS: namespace + '/' + name). */
  readonly action: string;
  readonly handler: H;
}

const key = (namespace: string, name: string): string => `${namespace}\u0000${name}`;

/**
 * Dispatch by the body element's (namespace URI, local name) — never by prefix, never by SOAPAction alone
 * (SOAP 1.2 may carry no action; docs/protocol/server-sync.md §2.1).
 *
 * The action rule: when the request carries an action (a non-empty SOAPAction for 1.1, or `action=` for 1.2),
 * it must equal the registered action of the operation the body element selects, compared exactly
 * (case-sensitive, as WUA and WSUS write them). A disagreement is PB_ERR_SOAP_ACTION_MISMATCH rather than a
 * guess, because a client and server that disagree about the operation must not proceed. No action (absent
 * header or `""`) means "dispatch by body" (SOAP 1.1 section 6.1.1). An unregistered body element is
 * PB_ERR_SOAP_UNKNOWN_OPERATION.
 *
 * The handler type is the caller's (the HTTP layer decides the signature), so this module stays pure.
 */
export class SoapOperationRegistry<H> {
  readonly #ops = new Map<string, SoapOperation<H>>();

  /** Registers an operation; `action` defaults to `${namespace}/${name}` (every WSUS service's rule). */
  register(namespace: string, name: string, handler: H, action = `${namespace}/${name}`): this {
    const k = key(namespace, name);
    if (this.#ops.has(k)) throw new Error(`SOAP operation {${namespace}}${name} registered twice`);
    this.#ops.set(k, Object.freeze({ namespace, name, action, handler }));
    return this;
  }

  get(namespace: string, name: string): SoapOperation<H> | undefined {
    return this.#ops.get(key(namespace, name));
  }

  operations(): SoapOperation<H>[] {
    return [...this.#ops.values()];
  }

  /** Finds the operation for a decoded request, applying the action rule above. Throws AppError. */
  resolve(request: Pick<SoapRequest, 'payload' | 'action'>): SoapOperation<H> {
    const { uri, local } = request.payload;
    const op = this.#ops.get(key(uri, local));
    if (!op)
      throw new AppError(
        'PB_ERR_SOAP_UNKNOWN_OPERATION',
        `No operation {${uri.slice(0, 200)}}${local.slice(0, 100)} at this endpoint`,
        { detail: { operation: local.slice(0, 100) } },
      );
    if (request.action !== undefined && request.action !== op.action)
      throw new AppError(
        'PB_ERR_SOAP_ACTION_MISMATCH',
        `SOAPAction '${request.action.slice(0, 300)}' does not match the body element ${op.name} (expects '${op.action}')`,
      );
    return op;
  }
}
