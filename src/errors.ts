/**
 * One catalogue of stable error codes. Every front end maps an AppError once:
 * SOAP -> WSUS fault shape (ErrorCode), REST -> problem+json (status), CLI -> message + exit code.
 */
export const errorCatalogue = {
  PB_ERR_CONFIG_INVALID: {
    status: 500,
    fault: 'InternalServerError',
    exit: 78,
    title: 'Configuration is invalid',
  },
  PB_ERR_XML_MALFORMED: { status: 400, fault: 'InvalidParameters', exit: 65, title: 'Malformed XML' },
  PB_ERR_XML_DOCTYPE: { status: 400, fault: 'InvalidParameters', exit: 65, title: 'DOCTYPE is not allowed' },
  PB_ERR_XML_LIMIT: { status: 413, fault: 'InvalidParameters', exit: 65, title: 'XML exceeds a limit' },
  // Upstream (sync) transport failures. They never reach Windows clients directly (targets R8); the fault value
  // only matters if a downstream server's call is proxied through.
  PB_ERR_UPSTREAM_UNAVAILABLE: {
    status: 503,
    fault: 'ServerBusy',
    exit: 69,
    title: 'Upstream is unavailable',
  },
  PB_ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    fault: 'InternalServerError',
    exit: 75,
    title: 'Upstream timed out',
  },
  PB_ERR_UPSTREAM_CONNECT: {
    status: 502,
    fault: 'InternalServerError',
    exit: 69,
    title: 'Upstream connection failed',
  },
  PB_ERR_UPSTREAM_HTTP: { status: 502, fault: 'InternalServerError', exit: 69, title: 'Upstream HTTP error' },
  PB_ERR_UPSTREAM_TLS: {
    status: 502,
    fault: 'InternalServerError',
    exit: 76,
    title: 'Upstream TLS verification failed',
  },
  PB_ERR_UPSTREAM_PROXY: {
    status: 502,
    fault: 'InternalServerError',
    exit: 69,
    title: 'Upstream proxy failed',
  },
  PB_ERR_UPSTREAM_TOO_LARGE: {
    status: 502,
    fault: 'InternalServerError',
    exit: 65,
    title: 'Upstream message too large',
  },
  // A content URL or redirect leads somewhere the server must not go on the upstream's word (another host
  // than the upstream and [upstream] content_hosts, or the loopback/link-local/private network).
  PB_ERR_CONTENT_URL_REFUSED: {
    status: 502,
    fault: 'InternalServerError',
    exit: 76,
    title: 'Content URL refused',
  },
  // MS-WSUSSS sync (src/sync): an upstream SOAP fault (detail.errorCode holds the WSUS ErrorCode), an answer that
  // breaks the protocol, a batch the upstream answered with nothing, another sync already running.
  PB_ERR_UPSTREAM_FAULT: {
    status: 502,
    fault: 'InternalServerError',
    exit: 69,
    title: 'Upstream returned a fault',
  },
  PB_ERR_UPSTREAM_PROTOCOL: {
    status: 502,
    fault: 'InternalServerError',
    exit: 76,
    title: 'Upstream answer breaks the protocol',
  },
  PB_ERR_SYNC_INCOMPLETE: {
    status: 502,
    fault: 'InternalServerError',
    exit: 75,
    title: 'Upstream returned nothing for a batch',
  },
  PB_ERR_SYNC_BUSY: {
    status: 409,
    fault: 'ServerBusy',
    exit: 75,
    title: 'A synchronization is already running',
  },
  // A generation switch while `catalog rollback` pinned the catalog; the sync engine reports it in history.
  PB_ERR_CATALOG_PINNED: {
    status: 409,
    fault: 'InternalServerError',
    exit: 75,
    title: 'The catalog is pinned to a generation (catalog unpin)',
  },
  PB_ERR_SOAP_ENVELOPE: { status: 400, fault: 'InvalidParameters', exit: 65, title: 'Not a SOAP envelope' },
  PB_ERR_SOAP_UNKNOWN_OPERATION: {
    status: 400,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Unknown operation',
  },
  // SOAP processing-model errors (protocol/soap): the fault encoder gives these their SOAP fault codes
  // (MustUnderstand, VersionMismatch); the WSUS ErrorCode stays InvalidParameters.
  PB_ERR_SOAP_CONTENT_TYPE: {
    status: 415,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Unsupported SOAP content type or charset',
  },
  PB_ERR_SOAP_ACTION_MISMATCH: {
    status: 400,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'SOAPAction does not match the body element',
  },
  PB_ERR_SOAP_MUST_UNDERSTAND: {
    status: 400,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'A mandatory SOAP header is not understood',
  },
  PB_ERR_SOAP_VERSION_MISMATCH: {
    status: 400,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Unsupported SOAP envelope version',
  },
  PB_ERR_INVALID_PARAMETER: { status: 400, fault: 'InvalidParameters', exit: 65, title: 'Invalid parameter' },
  PB_ERR_CAB_MALFORMED: { status: 422, fault: 'InvalidParameters', exit: 65, title: 'Malformed cabinet' },
  PB_ERR_CAB_UNSUPPORTED: { status: 422, fault: 'InvalidParameters', exit: 65, title: 'Unsupported cabinet' },
  PB_ERR_CAB_CHECKSUM: {
    status: 422,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Cabinet checksum mismatch',
  },
  PB_ERR_CAB_LIMIT: {
    status: 413,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Cabinet output exceeds a limit',
  },
  PB_ERR_DECOMPRESS: { status: 422, fault: 'InvalidParameters', exit: 65, title: 'Corrupt compressed data' },
  PB_ERR_UPDATE_DOCUMENT: {
    status: 422,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Invalid update document',
  },
  PB_ERR_NOT_FOUND: { status: 404, fault: 'InvalidParameters', exit: 66, title: 'Not found' },
  PB_ERR_CONFLICT: { status: 409, fault: 'InvalidParameters', exit: 65, title: 'Conflict' },
  // Administration (groups, approvals, rules, REST API tokens): each "bad input" case of the admin surface has
  // its own code so scripts and API clients can tell them apart; 401/403 map to EX_NOPERM (77) on the CLI.
  PB_ERR_UNAUTHENTICATED: {
    status: 401,
    fault: 'InvalidParameters',
    exit: 77,
    title: 'Missing or invalid API token',
  },
  PB_ERR_FORBIDDEN: { status: 403, fault: 'InvalidParameters', exit: 77, title: 'The token lacks the role' },
  // `[upstream] mode = replica`: groups, approvals and declines come from the upstream at every sync, so a local
  // change is refused (EX_NOPERM, like WSUS refusing approvals on a replica); the message names the upstream.
  PB_ERR_REPLICA_READ_ONLY: {
    status: 403,
    fault: 'InvalidParameters',
    exit: 77,
    title: 'This server is a replica: its upstream manages groups, approvals and declines',
  },
  PB_ERR_GROUP_CYCLE: {
    status: 409,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'The move would make a group its own ancestor',
  },
  PB_ERR_APPROVAL_CONFLICT: {
    status: 409,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'The approval conflicts with the update or another approval',
  },
  PB_ERR_DEADLINE_PAST: {
    status: 422,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'The deadline is in the past',
  },
  PB_ERR_NOT_UNINSTALLABLE: {
    status: 422,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'The update cannot be uninstalled',
  },
  PB_ERR_UPDATE_QUARANTINED: {
    status: 409,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'The update is quarantined: no client is offered it',
  },
  PB_ERR_DB: { status: 500, fault: 'InternalServerError', exit: 74, title: 'Database error' },
  PB_ERR_DB_MIGRATION: {
    status: 500,
    fault: 'InternalServerError',
    exit: 74,
    title: 'Database migration failed',
  },
  // Backup and restore: a folder that does not verify is refused before anything changes.
  PB_ERR_BACKUP_INVALID: {
    status: 422,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'The backup is incomplete or does not verify',
  },
  PB_ERR_CONTENT_DIGEST_MISMATCH: {
    status: 422,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Content digest mismatch',
  },
  PB_ERR_CONTENT_SIZE_MISMATCH: {
    status: 422,
    fault: 'InvalidParameters',
    exit: 65,
    title: 'Content size mismatch',
  },
  PB_ERR_COOKIE_INVALID: { status: 400, fault: 'InvalidCookie', exit: 65, title: 'Cookie is invalid' },
  PB_ERR_COOKIE_EXPIRED: { status: 400, fault: 'CookieExpired', exit: 65, title: 'Cookie has expired' },
  PB_ERR_USAGE: { status: 400, fault: 'InvalidParameters', exit: 64, title: 'Invalid command line' },
  PB_ERR_LISTEN: { status: 500, fault: 'InternalServerError', exit: 69, title: 'Cannot listen on a port' },
  PB_ERR_FILESYSTEM: {
    status: 500,
    fault: 'InternalServerError',
    exit: 73,
    title: 'Cannot create or write a file',
  },
  // The catalog index refused its input records (duplicate revision id, malformed GUID, size over int32).
  PB_ERR_CATALOG_INPUT: {
    status: 500,
    fault: 'InternalServerError',
    exit: 65,
    title: 'Catalog index input is invalid',
  },
  // MS-WUSP client faults (docs/protocol/client.md §1.8): each maps to the WSUS ErrorCode the client reacts to.
  PB_ERR_CONFIG_CHANGED: {
    status: 400,
    fault: 'ConfigChanged',
    exit: 65,
    title: 'Server configuration changed since the cookie was issued',
  },
  PB_ERR_SERVER_CHANGED: {
    status: 400,
    fault: 'ServerChanged',
    exit: 65,
    title: 'Cookie was issued by another server instance',
  },
  // Upstream role (src/upstream-service): what a downstream server is told, as WSUS tells it.
  PB_ERR_INCOMPATIBLE_PROTOCOL: {
    status: 400,
    fault: 'IncompatibleProtocolVersion',
    exit: 65,
    title: 'Downstream protocol major version is not 1',
  },
  PB_ERR_UNKNOWN_REVISION: {
    status: 500,
    fault: 'InternalServerError',
    exit: 65,
    title: 'A requested revision is not served by this upstream',
  },
  PB_ERR_FILE_DIGESTS_MISSING: {
    status: 400,
    fault: 'FileDigestsMissing',
    exit: 65,
    title: 'Requested file digests are not known to this upstream',
  },
  PB_ERR_AUTH_COOKIE_INVALID: {
    status: 400,
    fault: 'InvalidAuthorizationCookie',
    exit: 65,
    title: 'Authorization cookie is invalid',
  },
  // `[upstream_service] allowed_downstreams` / `allowed_addresses` left this downstream out: InvalidParameters,
  // on which a Windows DSS stops (SPEC <9>) rather than retrying in a loop as after InvalidAuthorizationCookie.
  PB_ERR_DOWNSTREAM_REFUSED: {
    status: 403,
    fault: 'InvalidParameters',
    exit: 77,
    title: 'This downstream server is not allowed to synchronize from this server',
  },
  // A new downstream server id while the registry holds `[upstream_service] max_downstreams`: ServerBusy, so
  // the DSS tries again at its next sync, when an admin may have made room.
  PB_ERR_DOWNSTREAM_LIMIT: {
    status: 429,
    fault: 'ServerBusy',
    exit: 75,
    title: 'The downstream server registry is full',
  },
  // Reporting roll-up names a parent server that is neither us nor a server of the caller's subtree: the
  // SPEC's answer (MS-WSUSSS 3.1.4.14/15) is InternalServerError, which stops the DSS's reporting step.
  PB_ERR_ROLLUP_UNKNOWN_PARENT: {
    status: 400,
    fault: 'InternalServerError',
    exit: 65,
    title: 'Roll-up names a parent server this upstream does not know',
  },
  // A token already holding the most open job event streams (GET /api/v1/jobs/:id/events) asks for another.
  PB_ERR_TOO_MANY_STREAMS: {
    status: 429,
    fault: 'ServerBusy',
    exit: 75,
    title: 'Too many open event streams for this token',
  },
  PB_ERR_SERVER_BUSY: { status: 503, fault: 'ServerBusy', exit: 75, title: 'Server is busy, retry later' },
  // A client id new to this server from an address that reached clients.new_computers_per_address: ServerBusy,
  // so the client retries later instead of treating itself as broken.
  PB_ERR_NEW_COMPUTER_LIMIT: {
    status: 429,
    fault: 'ServerBusy',
    exit: 75,
    title: 'Too many new computers from one address',
  },
  // Asset-management connector (src/connectors): the target refused a group (nothing was sent for it), the
  // target stayed unreachable or failed after the retries, or it answered outside the wire contract.
  PB_ERR_CONNECTOR_UNAUTHORIZED: {
    status: 403,
    fault: 'InternalServerError',
    exit: 77,
    title: 'The connector target refused authorization',
  },
  PB_ERR_CONNECTOR_TARGET: {
    status: 502,
    fault: 'InternalServerError',
    exit: 69,
    title: 'The connector target failed or is unreachable',
  },
  PB_ERR_CONNECTOR_PROTOCOL: {
    status: 502,
    fault: 'InternalServerError',
    exit: 76,
    title: 'The connector target answered outside the wire contract',
  },
  PB_ERR_INTERNAL: { status: 500, fault: 'InternalServerError', exit: 70, title: 'Internal error' },
} as const satisfies Record<string, { status: number; fault: string; exit: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable detail, e.g. the SOAP parameter name or the INI path. Never secrets. */
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    // A copy, not frozen: pino's error serializer tags every error-like value while it serializes (a detail
    // with a `message`, as an upstream fault's has, counts), and a frozen detail made every such log line throw.
    this.detail = options?.detail ? { ...options.detail } : undefined;
  }

  get status(): number {
    return errorCatalogue[this.code].status;
  }
  get faultCode(): string {
    return errorCatalogue[this.code].fault;
  }
  get exitCode(): number {
    return errorCatalogue[this.code].exit;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Wrap anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(e: unknown, fallback: ErrorCode = 'PB_ERR_INTERNAL'): AppError {
  if (e instanceof AppError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new AppError(fallback, message, { cause: e });
}
