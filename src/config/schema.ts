/**
 * THE configuration schema: the only place where a setting, its default and its meaning are defined.
 * Keys are camelCase here and snake_case in the INI file and the environment (see `keys.ts`):
 * `server.httpPort` <-> `[server] http_port` <-> `PATCHBAY_SERVER_HTTP_PORT`.
 * Loading (INI + environment, secrets, derived paths, freezing) lives in `load.ts`.
 */
import { z } from 'zod';
import { contentModes, isNotificationEvent, notificationEvents } from '../domain/index.js';
import { closestName } from './key-helpers.js';
import { parseAddressRange } from './address-range.js';
import {
  booleanField,
  enumField,
  integerField,
  listField,
  pathField,
  portField,
  sizeField,
  stringField,
  timeOfDayField,
  urlField,
} from './fields.js';

export const defaultUpstreamUrl =
  'https://sws.update.microsoft.com/ServerSyncWebService/ServerSyncWebService.asmx';

const hostPattern = {
  re: /^[A-Za-z0-9.:_%[\]-]{1,253}$/,
  expected: 'an IP address or host name (e.g. 0.0.0.0, ::, 127.0.0.1)',
};

const server = z.object({
  dataDir: pathField({
    default: './data',
    description:
      'Directory for the database, downloaded update content and other state. Created at start. ' +
      "Relative paths written in the configuration file resolve against that file's folder; from the " +
      'environment or the default, against the working directory.',
  }),
  bind: stringField({
    default: '0.0.0.0',
    description: 'Address the client ports (HTTP and HTTPS) listen on.',
    pattern: hostPattern,
  }),
  httpPort: portField({
    default: 8530,
    description: 'HTTP port for Windows Update clients (the WSUS default); 0 = any free port.',
  }),
  httpsPort: portField({
    default: 8531,
    description:
      'HTTPS port for Windows Update clients; used only when tls_cert_file and tls_key_file are set; 0 = any free port.',
  }),
  tlsCertFile: pathField({
    default: '',
    description:
      'PEM certificate (chain) for HTTPS. HTTPS stays off unless both this and tls_key_file are set.',
  }),
  tlsKeyFile: pathField({ default: '', description: 'PEM private key for HTTPS.' }),
  baseUrl: urlField({
    default: '',
    description:
      'Public base URL clients reach this server at, when it sits behind a proxy or load balancer ' +
      '(e.g. http://wsus.example.com:8530). Empty: taken from each request.',
  }),
  keepAliveTimeoutSeconds: integerField({
    min: 35,
    max: 3600,
    default: 65,
    description:
      'Idle keep-alive timeout of client connections. Keep it longer than the idle timeout of any load ' +
      'balancer in front (at least 35 s), so the balancer never reuses a connection the server is closing.',
  }),
  headersTimeoutSeconds: integerField({
    min: 1,
    max: 3600,
    default: 70,
    description: 'Time a client has to send the complete request headers.',
  }),
  requestBodyLimit: sizeField({
    min: 1024,
    max: 1024 ** 3,
    default: '16MiB',
    description: 'Largest request body accepted on the client ports (binary units: KiB, MiB, GiB).',
  }),
  requestBodyTimeoutSeconds: integerField({
    min: 1,
    max: 86400,
    default: 600,
    description:
      'Time a client has to send the complete request body after its headers; then the server answers ' +
      '408 and closes the connection. The default lets the largest real bodies (1-2 MB) arrive over a ' +
      '32 kbit/s link.',
  }),
  requestBodyMinBytesPerSecond: integerField({
    min: 0,
    max: 1024 ** 3,
    default: 256,
    description:
      'Slowest average rate a request body may arrive at, checked from 5 s after the headers (or ' +
      'request_body_timeout_seconds if shorter); a slower body gets 408 and the connection is closed. ' +
      '0 = off. Real clients send a few KB to 2 MB at link speed, far above this.',
  }),
  maxBufferedRequestBytes: sizeField({
    min: 1024,
    max: 64 * 1024 ** 3,
    default: '128MiB',
    description:
      'Request body bytes held in memory across all requests of a client port, counting the announced ' +
      'Content-Length of bodies still arriving. A request that would exceed it gets 503 with Retry-After ' +
      '(SOAP ServerBusy). Never less than request_body_limit in effect.',
  }),
  xpress: booleanField({
    default: true,
    description:
      'Xpress-compress SOAP answers (client web service, SimpleAuth, reporting, server sync) for requests ' +
      'that send Accept-Encoding: xpress, as WSUS does; /Content/ and faults are never compressed. ' +
      'false: every answer is identity-encoded.',
  }),
  xpressCacheSize: sizeField({
    min: 0,
    max: 4 * 1024 ** 3,
    default: '32MiB',
    description:
      'Memory for compressed blocks of answers that repeat (the same GetConfig, SyncUpdates pages that ' +
      'differ only in the cookie), so they are compressed once. 0 = no cache.',
  }),
  maxConcurrentRequests: integerField({
    min: 1,
    max: 100000,
    default: 256,
    description:
      'Requests processed at the same time per endpoint, counted once their body has arrived (bodies ' +
      'still arriving are bounded by max_buffered_request_bytes and the body deadlines); beyond this the ' +
      'server answers 503 with Retry-After instead of queueing without bound.',
  }),
});

const database = z.object({
  driver: enumField({
    values: ['sqlite', 'postgres'],
    default: 'sqlite',
    description: 'Database: sqlite (a single file, no setup) or postgres.',
  }),
  path: pathField({
    default: '',
    derivedDefault: '<data_dir>/patchbay.db',
    description: 'SQLite database file (driver = sqlite).',
  }),
  url: urlField({
    default: '',
    protocols: ['postgres:', 'postgresql:'],
    description:
      'PostgreSQL connection URL without the password, e.g. postgres://patchbay@db.example.com:5432/patchbay ' +
      '(driver = postgres).',
  }),
  poolSize: integerField({ min: 1, max: 1000, default: 10, description: 'PostgreSQL connection pool size.' }),
  password: stringField({
    default: '',
    secret: true,
    envOnly: true,
    description:
      'PostgreSQL password. Not accepted in the file: set PATCHBAY_DATABASE_PASSWORD or password_file.',
  }),
  passwordFile: pathField({
    default: '',
    description: 'File whose content is the PostgreSQL password (trailing newline ignored).',
  }),
});

const content = z.object({
  dir: pathField({
    default: '',
    derivedDefault: '<data_dir>/content',
    description: 'Directory where downloaded update files are stored and served from.',
  }),
  mode: enumField({
    values: contentModes,
    default: 'approved',
    description:
      'Which update files are downloaded: approved (only files of approved updates), all, or none ' +
      '(metadata only; clients fetch files from Microsoft Update).',
  }),
  express: booleanField({
    default: false,
    description:
      'Also download express installation files (PatchingType Express and PSF), as WSUS\'s "Download ' +
      'express installation files": smaller client downloads, more server storage. Off: clients install ' +
      'from the full file; an update published with express files only keeps them.',
  }),
});

const fingerprint = {
  re: /^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/,
  expected: 'a SHA-256 fingerprint (64 hex digits, colons allowed)',
  normalize: (s: string) => s.replaceAll(':', '').toLowerCase(),
};

/**
 * Microsoft's update download hosts, the default of `[upstream] content_hosts`: where MUUrls point and where
 * Microsoft Update redirects content downloads (CDN edges). `*.` matches any subdomain depth.
 */
export const microsoftContentHosts: readonly string[] = [
  'download.windowsupdate.com',
  '*.download.windowsupdate.com',
  '*.delivery.mp.microsoft.com',
  '*.update.microsoft.com',
  'download.microsoft.com',
];

const contentHostPattern = {
  re: /^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/,
  expected: 'a host name, optionally starting with *. (e.g. download.windowsupdate.com, *.example.com)',
  normalize: (s: string) => s.toLowerCase(),
};

const upstream = z.object({
  url: urlField({
    default: defaultUpstreamUrl,
    description: 'Upstream server sync web service (Microsoft Update, or another WSUS/Patchbay server).',
  }),
  mode: enumField({
    values: ['autonomous', 'replica'],
    default: 'autonomous',
    description:
      'autonomous: groups, approvals and declines are managed here. replica: every sync copies them from the ' +
      'upstream (a WSUS or Patchbay server, GetDeployments) and local approval, decline, group and rule changes ' +
      'are refused (PB_ERR_REPLICA_READ_ONLY); computers are still assigned to groups here.',
  }),
  proxyUrl: urlField({
    default: '',
    description:
      'HTTP proxy for upstream traffic, e.g. http://proxy.example.com:3128. Empty: HTTPS_PROXY / HTTP_PROXY ' +
      'from the environment are used unless NO_PROXY matches the upstream host.',
  }),
  proxyUsername: stringField({ default: '', description: 'User name for the proxy (Basic authentication).' }),
  proxyPassword: stringField({
    default: '',
    secret: true,
    envOnly: true,
    description:
      'Proxy password. Not accepted in the file: set PATCHBAY_UPSTREAM_PROXY_PASSWORD or proxy_password_file.',
  }),
  proxyPasswordFile: pathField({ default: '', description: 'File whose content is the proxy password.' }),
  xpress: booleanField({
    default: true,
    description:
      'Ask the upstream for Xpress-compressed answers (Accept-Encoding: xpress), as a Windows downstream ' +
      'server does; answers are decoded within the same size limits. false: ask for identity.',
  }),
  tlsVerify: booleanField({
    default: true,
    description:
      'Verify the upstream TLS certificate. Turn off only for a lab upstream with a self-signed certificate.',
  }),
  pinnedSha256: listField({
    default: [],
    item: fingerprint,
    description:
      'SHA-256 fingerprints of accepted upstream certificates (any one in the chain must match). Empty: no pinning.',
  }),
  contentHosts: listField({
    default: [...microsoftContentHosts],
    item: contentHostPattern,
    description:
      'Hosts besides the upstream itself that update files may be downloaded from or redirected to ' +
      '(*.example.com matches any subdomain). Loopback, link-local and private addresses are refused unless the ' +
      'upstream itself is in that range.',
  }),
  connectTimeoutSeconds: integerField({
    min: 1,
    max: 600,
    default: 30,
    description: 'Timeout for connecting to the upstream.',
  }),
  requestTimeoutSeconds: integerField({
    min: 1,
    max: 86400,
    default: 300,
    description:
      'Timeout for one upstream request without progress (metadata call or file download). A body delivering ' +
      'less than 16 KiB within this time (at most 60 s) counts as no progress too.',
  }),
  retries: integerField({
    min: 0,
    max: 20,
    default: 4,
    description:
      'Retries of a failed upstream request, with exponential backoff; connection refused and unknown host fail at once.',
  }),
  clientCertificateFile: pathField({
    default: '',
    description:
      'PEM client certificate presented to the upstream over HTTPS (for an upstream Patchbay with ' +
      '[upstream_service] client_ca_file). Needs client_key_file. Empty: none.',
  }),
  clientKeyFile: pathField({ default: '', description: 'PEM private key of client_certificate_file.' }),
  rollup: booleanField({
    default: true,
    description:
      'Roll up our computers, their update states and our downstream servers to the upstream after each ' +
      'sync and every rollup_interval_minutes (reporting roll-up, as a WSUS downstream does). Never done ' +
      'towards Microsoft Update, which has no reporting service.',
  }),
  rollupIntervalMinutes: integerField({
    min: 0,
    max: 10_080,
    default: 60,
    description:
      'Minutes between scheduled roll-ups in `patchbay serve` (besides the one after each sync). 0: only after syncs.',
  }),
});

const sync = z.object({
  firstSyncTime: timeOfDayField({
    default: '03:00',
    description: 'Local time of the first scheduled synchronization of the day (HH:MM).',
  }),
  syncsPerDay: integerField({
    min: 0,
    max: 24,
    default: 1,
    description: 'Scheduled synchronizations per day, spread evenly from first_sync_time. 0: manual only.',
  }),
  jitterMinutes: integerField({
    min: 0,
    max: 720,
    default: 30,
    description:
      'Random delay added to each scheduled synchronization, so that many servers do not sync at once.',
  }),
  staleAfterHours: integerField({
    min: 1,
    max: 8760,
    default: 48,
    description: 'Warn when the last successful synchronization is older than this.',
  }),
});

const selection = z.object({
  products: listField({
    default: ['Windows'],
    description:
      'Products (category titles or GUIDs) synchronized by default. Comma-separated, or repeated products[] lines.',
  }),
  classifications: listField({
    default: ['Critical Updates', 'Security Updates', 'Definition Updates'],
    description: 'Update classifications (titles or GUIDs) synchronized by default.',
  }),
  languages: listField({
    default: ['en'],
    item: { re: /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, expected: 'a language code such as en or pt-BR' },
    description: 'Update languages synchronized (language codes).',
  }),
});

const admin = z.object({
  bind: stringField({
    default: '127.0.0.1',
    description: 'Address the admin port (REST API, health) listens on; loopback by default.',
    pattern: hostPattern,
  }),
  port: portField({
    default: 8532,
    description: 'Admin port (REST API and health); must differ from the client ports; 0 = any free port.',
  }),
});

/** What anonymous clients may store (issue 10 item 3): raw event retention and budgets, new computers. */
const clients = z.object({
  eventRetentionDays: integerField({
    min: 0,
    max: 3650,
    default: 30,
    description:
      'Days raw client events (ReportEventBatch) are kept; a job deletes older ones once per cluster every ' +
      'hour. The per-update states derived from them are kept. 0 = keep raw events forever.',
  }),
  rawEventBudget: sizeField({
    min: 64 * 1024,
    max: 1024 ** 3,
    default: '8MiB',
    description:
      'Raw event text one computer may store per budget_period_hours. Beyond it its events still update ' +
      'the per-update states and the batch is still accepted (a refused client resends forever); only ' +
      'their raw text is not stored.',
  }),
  budgetPeriodHours: integerField({
    min: 1,
    max: 8760,
    default: 24,
    description: 'Period of raw_event_budget and new_computers_per_address (a sliding window).',
  }),
  newComputersPerAddress: integerField({
    min: 0,
    max: 1_000_000,
    default: 0,
    description:
      'New computers (client ids this server has not seen) accepted from one source address per ' +
      'budget_period_hours; more are answered ServerBusy and retry later. 0 = no bound (WSUS behaviour). ' +
      'Clients behind NAT or a proxy share one address: size it for the largest such site.',
  }),
});

/** Catalog maintenance (issue 13): declining superseded updates by WSUS's safe rule and the server cleanup (docs/administration.md). */
const maintenance = z.object({
  declineSupersededAfterDays: integerField({
    min: 0,
    max: 3650,
    default: 30,
    description:
      'Days an update must have been superseded (since the first superseding revision arrived) before ' +
      '`patchbay decline --superseded` or auto_decline_superseded declines it; the other conditions of the ' +
      'safe rule apply too.',
  }),
  autoDeclineSuperseded: booleanField({
    default: false,
    description:
      'After every synchronization, decline the superseded updates the safe rule allows (audited as ' +
      'rule:decline-superseded). Off: only `patchbay decline --superseded` does.',
  }),
  cleanupTime: timeOfDayField({
    default: '03:30',
    description:
      'Local time (HH:MM) of the first scheduled `patchbay cleanup` of the day in `serve` (with up to 15 ' +
      'minutes of jitter; once per cluster).',
  }),
  cleanupsPerDay: integerField({
    min: 0,
    max: 24,
    default: 1,
    description:
      'Scheduled cleanups per day, evenly spaced from cleanup_time; 0: only `patchbay cleanup` runs it.',
  }),
  cleanupKeepGenerations: integerField({
    min: 1,
    max: 1000,
    default: 5,
    description:
      'Finished catalog generations (retired, rolled back, abandoned) the cleanup keeps for `catalog rollback`, ' +
      'newest first; the active (and pinned) generation is always kept besides them.',
  }),
  cleanupComputerSilentDays: integerField({
    min: 0,
    max: 36500,
    default: 90,
    description:
      'The cleanup removes computers that have not contacted the server (last sync, else last report) for ' +
      'this many days; a removed computer that scans again registers anew. 0: never.',
  }),
  cleanupUnapprovedFileDays: integerField({
    min: 0,
    max: 3650,
    default: 30,
    description:
      'The cleanup deletes a stored file that no approval needs once it has been stored (or last changed ' +
      'state) this many days ago; files of declined updates go at once.',
  }),
});

/** The upstream role (docs/upstream.md): whether downstream servers may sync from us, and which. */
const upstreamService = z.object({
  enabled: booleanField({
    default: true,
    description:
      'Serve downstream WSUS and Patchbay servers (ServerSyncWebService, DssAuthWebService on the client ' +
      'ports). Off: those paths answer 404, as on a server without the role.',
  }),
  maxDownstreams: integerField({
    min: 1,
    max: 1_000_000,
    default: 1000,
    description:
      'Downstream servers the registry holds (`patchbay downstreams list`). The authorization step is ' +
      'anonymous, so a flood of made-up server ids stops here: a new id beyond it is answered ServerBusy ' +
      'until `patchbay downstreams remove` makes room. Known servers always pass.',
  }),
  allowedDownstreams: listField({
    default: [],
    item: {
      re: /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/,
      expected: 'a downstream server id (a GUID)',
      normalize: (s) => s.toLowerCase(),
    },
    description:
      'Server ids (GUIDs, as `patchbay downstreams list` shows them) allowed to sync. Empty: any (as WSUS). ' +
      'Others are refused at authorization with an InvalidParameters fault.',
  }),
  allowedAddresses: listField({
    default: [],
    item: {
      re: /^[0-9A-Fa-f.:]{2,45}(?:\/\d{1,3})?$/,
      expected: 'an IP address or CIDR range such as 10.0.0.0/8 or fd00::/8',
    },
    description:
      'Source addresses (IPs or CIDR ranges) downstream servers may sync from. Empty: any (as WSUS). ' +
      "Behind a proxy the address is the proxy's.",
  }),
  clientCaFile: pathField({
    default: '',
    description:
      'PEM CA bundle for downstream TLS client certificates. Set: the HTTPS port asks every connection for a ' +
      'certificate (Windows clients without one are served as before), and server-sync and roll-up calls ' +
      'without a certificate signed by this CA are refused (also on the HTTP port). Empty: no certificate needed.',
  }),
  rollupDetailed: booleanField({
    default: true,
    description:
      'Take computers and their update states in reporting roll-up (DoDetailedRollup). Off: downstreams roll ' +
      'up only their server summaries.',
  }),
  rollupMaxComputersPerDownstream: integerField({
    min: 0,
    max: 10_000_000,
    default: 100_000,
    description:
      'Rolled-up computers kept per direct downstream server (its whole subtree). Beyond it new computers ' +
      'are dropped with a warning in the log; states are kept only for updates in our catalog.',
  }),
  rollupMaxServersPerDownstream: integerField({
    min: 1,
    max: 100_000,
    default: 1000,
    description:
      'Servers below one direct downstream (any depth) kept from its roll-up; beyond it they are dropped with a warning.',
  }),
});

/** `/metrics` on the admin port (docs/operations.md "Metrics"). */
const metrics = z.object({
  enabled: booleanField({
    default: true,
    description: 'Serve Prometheus metrics at /metrics on the admin port. Off: /metrics answers 404.',
  }),
  anonymousAddresses: listField({
    default: [],
    item: {
      re: /^[0-9A-Fa-f.:]{2,45}(?:\/\d{1,3})?$/,
      expected: 'an IP address or CIDR range such as 127.0.0.1 or 10.0.0.0/8',
    },
    description:
      'Addresses (IPs or CIDR ranges) that may scrape /metrics without a token. Everyone else sends ' +
      'Authorization: Bearer with an API token holding metrics:read (role monitor, reporter or admin).',
  }),
  cacheSeconds: integerField({
    min: 1,
    max: 3600,
    default: 10,
    description:
      'Seconds the database-derived figures (computers, compliance, content states, sync history) are ' +
      'reused between scrapes, so frequent scrapes do not load the database.',
  }),
});

/** `patchbay export` (docs/operations.md "Air-gapped networks"). */
const bundle = z.object({
  // The range is the one `patchbay export` accepts (src/bundle/bundle-manifest.ts minChunkBytes..maxChunkBytes).
  chunkSize: sizeField({
    min: 256 * 1024,
    max: 4 * 1024 ** 3,
    default: '64MiB',
    description:
      'Size of the chunk files an export is cut in (the last one is smaller): pick one that fits the medium ' +
      'carried across, e.g. 4095MiB for FAT32. `patchbay export --chunk-size` overrides it.',
  }),
});

/** Thresholds of `patchbay health`, the status warnings and the disk-space notification. */
const health = z.object({
  diskWarningPercent: integerField({
    min: 0,
    max: 99,
    default: 10,
    description: 'Free space (percent) of the content or data file system below which health warns.',
  }),
  diskCriticalPercent: integerField({
    min: 0,
    max: 99,
    default: 3,
    description: 'Free space (percent) below which health is critical.',
  }),
  certWarningDays: integerField({
    min: 0,
    max: 3650,
    default: 21,
    description: 'Days before the HTTPS certificate expires from which health warns (expired: critical).',
  }),
  installFailureSpike: integerField({
    min: 1,
    max: 1_000_000,
    default: 25,
    description:
      'Install failures reported by clients within one hour that count as a spike (health warning and the ' +
      'installs.failure_spike notification).',
  }),
});

/** What is notified and when (docs/operations.md "Notifications"); the channels are [notify_smtp], [notify_webhook]. */
const notifications = z.object({
  events: listField({
    default: ['all'],
    item: { re: /^[a-z_.]{2,40}$/, expected: 'an event name such as sync.failed, or all' },
    description:
      'Events sent to the channels: all, or names from docs/operations.md (sync.failed, sync.partial, ' +
      'revisions.quarantined, updates.new_matching, sync.stale, content.failed, disk.low, rollout.held, ' +
      'rollout.paused, installs.failure_spike, summary).',
  }),
  updateFilter: listField({
    default: [],
    description:
      'Words that make a newly synchronized update notable (updates.new_matching): matched without case ' +
      'against its title and KB number. Empty: the event is not sent.',
  }),
  summary: enumField({
    values: ['none', 'daily', 'weekly'],
    default: 'daily',
    description: 'A summary of the server state sent daily, weekly (on Mondays) or never.',
  }),
  summaryTime: timeOfDayField({ default: '07:00', description: 'Local time of the summary (HH:MM).' }),
  repeatHours: integerField({
    min: 1,
    max: 720,
    default: 24,
    description:
      'A condition that persists (sync.stale, disk.low, installs.failure_spike) is notified again after this.',
  }),
  queueLimit: integerField({
    min: 1,
    max: 100000,
    default: 500,
    description: 'Notifications held per channel while it is unreachable; beyond it the oldest are dropped.',
  }),
});

const smtpSecurity = ['starttls', 'tls', 'none'] as const;

const notifySmtp = z.object({
  host: stringField({
    default: '',
    description: 'SMTP server for e-mail notifications. Empty: no e-mail.',
    pattern: hostPattern,
  }),
  port: portField({ default: 587, description: 'SMTP port (587 submission with STARTTLS, 465 with tls).' }),
  security: enumField({
    values: smtpSecurity,
    default: 'starttls',
    description:
      'starttls: STARTTLS required (a server that does not offer it is refused); tls: TLS from the first ' +
      'byte (port 465); none: plain text (a lab relay only).',
  }),
  caFile: pathField({
    default: '',
    description: 'PEM CA certificate(s) trusted for the SMTP server besides the system ones.',
  }),
  username: stringField({ default: '', description: 'SMTP user name (AUTH); empty: no authentication.' }),
  password: stringField({
    default: '',
    secret: true,
    envOnly: true,
    description:
      'SMTP password. Not accepted in the file: set PATCHBAY_NOTIFY_SMTP_PASSWORD or password_file.',
  }),
  passwordFile: pathField({ default: '', description: 'File whose content is the SMTP password.' }),
  from: stringField({ default: '', description: 'Sender address, e.g. patchbay@example.com.' }),
  to: listField({ default: [], description: 'Recipient addresses.' }),
  timeoutSeconds: integerField({
    min: 1,
    max: 600,
    default: 30,
    description: 'Timeout for connecting to and each exchange with the SMTP server.',
  }),
});

const notifyWebhook = z.object({
  url: urlField({
    default: '',
    description:
      'URL that receives each notification as a JSON POST, signed with HMAC-SHA256 (X-Patchbay-Signature). ' +
      'Empty: no webhook.',
  }),
  secret: stringField({
    default: '',
    secret: true,
    envOnly: true,
    description:
      'Key of the HMAC signature. Not accepted in the file: set PATCHBAY_NOTIFY_WEBHOOK_SECRET or secret_file.',
  }),
  secretFile: pathField({ default: '', description: 'File whose content is the webhook HMAC key.' }),
  timeoutSeconds: integerField({
    min: 1,
    max: 600,
    default: 10,
    description: 'Timeout of one delivery attempt.',
  }),
  retries: integerField({
    min: 0,
    max: 20,
    default: 5,
    description:
      'Further attempts after a failed delivery (network error, timeout, 5xx, 429), with exponential backoff ' +
      'from 1 s (at most 5 min); a 4xx other than 408/429 is not retried.',
  }),
});

const log = z.object({
  level: enumField({
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'Lowest log level written.',
  }),
  format: enumField({
    values: ['auto', 'json', 'pretty'],
    default: 'auto',
    description:
      'Log format: json (one JSON object per line), pretty (human-readable), auto (pretty on a terminal).',
  }),
  accessLog: booleanField({
    default: false,
    description:
      'One info line per HTTP request in combined log format (client, request line, status, bytes, user agent); off = per-request lines at debug only.',
  }),
});

/** Checks that involve more than one key. Paths are schema paths (camelCase); the loader maps them. */
function crossChecks(c: z.output<typeof sections>, ctx: z.RefinementCtx): void {
  const s = c.server;
  // A replica's declines come from its upstream: the automatic superseded-decline would be refused every sync.
  if (c.upstream.mode === 'replica' && c.maintenance.autoDeclineSuperseded) {
    ctx.addIssue({
      code: 'custom',
      path: ['maintenance', 'autoDeclineSuperseded'],
      message: 'must be off while [upstream] mode = replica (the upstream decides the declines)',
    });
  }
  if ((s.tlsCertFile === '') !== (s.tlsKeyFile === '')) {
    ctx.addIssue({
      code: 'custom',
      path: ['server', s.tlsCertFile === '' ? 'tlsCertFile' : 'tlsKeyFile'],
      message: 'HTTPS needs both tls_cert_file and tls_key_file',
    });
  }
  const httpsOn = s.tlsCertFile !== '' && s.tlsKeyFile !== '';
  // Port 0 is never a clash: each listener gets its own free port.
  const clash = (a: number, b: number) => a !== 0 && a === b;
  if (httpsOn && clash(s.httpsPort, s.httpPort)) {
    ctx.addIssue({
      code: 'custom',
      path: ['server', 'httpsPort'],
      message: `must differ from http_port (${s.httpPort})`,
    });
  }
  if (clash(c.admin.port, s.httpPort) || (httpsOn && clash(c.admin.port, s.httpsPort))) {
    ctx.addIssue({
      code: 'custom',
      path: ['admin', 'port'],
      message: `must differ from the client ports (${httpsOn ? `${s.httpPort}, ${s.httpsPort}` : s.httpPort})`,
    });
  }
  const d = c.database;
  if (d.driver === 'postgres' && d.url === '') {
    ctx.addIssue({ code: 'custom', path: ['database', 'url'], message: 'required when driver = postgres' });
  }
  if (d.driver === 'sqlite') {
    for (const k of ['url', 'password', 'passwordFile'] as const) {
      if (d[k] !== '')
        ctx.addIssue({ code: 'custom', path: ['database', k], message: 'only used when driver = postgres' });
    }
  }
  if (d.driver === 'postgres' && d.path !== '') {
    ctx.addIssue({ code: 'custom', path: ['database', 'path'], message: 'only used when driver = sqlite' });
  }
  if (d.password !== '' && d.passwordFile !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['database', 'passwordFile'],
      message: 'set either the password or password_file',
    });
  }
  const up = c.upstream;
  if ((up.clientCertificateFile === '') !== (up.clientKeyFile === ''))
    ctx.addIssue({
      code: 'custom',
      path: ['upstream', up.clientCertificateFile === '' ? 'clientCertificateFile' : 'clientKeyFile'],
      message: 'a client certificate needs both client_certificate_file and client_key_file',
    });
  for (const [i, a] of c.upstream_service.allowedAddresses.entries())
    if (parseAddressRange(a) === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['upstream_service', 'allowedAddresses', i],
        message: `expected an IP address or CIDR range such as 10.0.0.0/8, got ${JSON.stringify(a)}`,
      });
  for (const [i, a] of c.metrics.anonymousAddresses.entries())
    if (parseAddressRange(a) === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', 'anonymousAddresses', i],
        message: `expected an IP address or CIDR range such as 127.0.0.1 or 10.0.0.0/8, got ${JSON.stringify(a)}`,
      });
  if (c.health.diskCriticalPercent > c.health.diskWarningPercent)
    ctx.addIssue({
      code: 'custom',
      path: ['health', 'diskCriticalPercent'],
      message: `must not exceed disk_warning_percent (${c.health.diskWarningPercent})`,
    });
  for (const [i, e] of c.notifications.events.entries())
    if (e !== 'all' && !isNotificationEvent(e)) {
      const near = closestName(notificationEvents, e);
      ctx.addIssue({
        code: 'custom',
        path: ['notifications', 'events', i],
        message: `unknown event ${JSON.stringify(e)}${near ? ` (did you mean ${near}?)` : ''}; known: all, ${notificationEvents.join(', ')}`,
      });
    }
  const smtp = c.notify_smtp;
  if (smtp.host !== '' && (smtp.from === '' || smtp.to.length === 0))
    ctx.addIssue({
      code: 'custom',
      path: ['notify_smtp', smtp.from === '' ? 'from' : 'to'],
      message: 'required when host is set',
    });
  if (smtp.password !== '' && smtp.passwordFile !== '')
    ctx.addIssue({
      code: 'custom',
      path: ['notify_smtp', 'passwordFile'],
      message: 'set either the password or password_file',
    });
  if ((smtp.password !== '' || smtp.passwordFile !== '') && smtp.username === '')
    ctx.addIssue({
      code: 'custom',
      path: ['notify_smtp', 'username'],
      message: 'required when a password is set',
    });
  const hook = c.notify_webhook;
  if (hook.secret !== '' && hook.secretFile !== '')
    ctx.addIssue({
      code: 'custom',
      path: ['notify_webhook', 'secretFile'],
      message: 'set either the secret or secret_file',
    });
  if (hook.url !== '' && hook.secret === '' && hook.secretFile === '')
    ctx.addIssue({
      code: 'custom',
      path: ['notify_webhook', 'secretFile'],
      message: 'a webhook needs a signing key: set secret_file or PATCHBAY_NOTIFY_WEBHOOK_SECRET',
    });
  const u = c.upstream;
  if (u.proxyPassword !== '' && u.proxyPasswordFile !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['upstream', 'proxyPasswordFile'],
      message: 'set either the proxy password or proxy_password_file',
    });
  }
  if ((u.proxyPassword !== '' || u.proxyPasswordFile !== '') && u.proxyUsername === '') {
    ctx.addIssue({
      code: 'custom',
      path: ['upstream', 'proxyUsername'],
      message: 'required when a proxy password is set',
    });
  }
}

const sections = z.object({
  server,
  database,
  content,
  upstream,
  // The INI section name is the schema key: `[upstream_service]`, PATCHBAY_UPSTREAM_SERVICE_*.
  upstream_service: upstreamService,
  sync,
  selection,
  admin,
  clients,
  maintenance,
  metrics,
  health,
  bundle,
  notifications,
  notify_smtp: notifySmtp,
  notify_webhook: notifyWebhook,
  log,
});

export const configSchema = sections.superRefine(crossChecks);

/** Section names in reference order. */
export const sectionNames = Object.keys(sections.shape) as SectionName[];
export type SectionName = keyof typeof sections.shape;

/** The section schemas, for walking keys (reference generation, unknown-key detection). */
export const sectionShapes = sections.shape;

/** What the schema produces before the loader resolves paths, secrets and the proxy. */
export type ParsedConfig = z.output<typeof configSchema>;
