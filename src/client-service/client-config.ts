/** What GetConfig tells clients; a change of any of it is a new configuration generation (ConfigChanged). */
export interface ClientConfig {
  /** WS2025 answers true; RegisterComputer is then called by every client (inventory, docs/protocol/client.md §1.4). */
  readonly registrationRequired: boolean;
  /** Advertised in GetConfig and enforced on GetExtendedUpdateInfo (REAL: 50). */
  readonly maxExtendedUpdatesPerRequest: number;
  /** REAL: 2. */
  readonly clientReportingLevel: number;
  /** REAL: `\\SERVER\UpdateServicesPackages`; never used by WUA for downloads. */
  readonly packageServerShare: string;
}

export const defaultClientConfig: ClientConfig = Object.freeze({
  registrationRequired: true,
  maxExtendedUpdatesPerRequest: 50,
  clientReportingLevel: 2,
  packageServerShare: '\\\\PATCHBAY\\UpdateServicesPackages',
});

/** The settings port (`createRepositories(...).settings` implements it). */
export interface SettingsStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, updatedBy?: string | null, now?: number): Promise<void>;
}

const settingKey = 'clientService.configGeneration';

interface StoredGeneration {
  readonly fingerprint: string;
  /** Epoch ms: `GetConfig/LastChange` and the `configGeneration` sealed into session cookies. */
  readonly lastChangeMs: number;
}

/**
 * The configuration generation stamp (docs/protocol/client.md §1.4 GetConfig `LastChange`), persisted in settings so a
 * restart with the same configuration keeps clients' cookies valid, and moved forward when the
 * client-visible configuration differs from the one stored (then cookies fault ConfigChanged once and the
 * client re-reads GetConfig).
 */
export async function loadConfigGeneration(
  settings: SettingsStore,
  config: ClientConfig,
  now: number = Date.now(),
): Promise<number> {
  const fingerprint = JSON.stringify([
    config.registrationRequired,
    config.maxExtendedUpdatesPerRequest,
    config.clientReportingLevel,
    config.packageServerShare,
    '3.2',
  ]);
  const stored = await settings.get<StoredGeneration>(settingKey);
  if (
    stored !== undefined &&
    stored.fingerprint === fingerprint &&
    Number.isSafeInteger(stored.lastChangeMs) &&
    stored.lastChangeMs > 0
  )
    return stored.lastChangeMs;
  // Whole milliseconds, strictly after the previous stamp: the client echoes it back in GetCookie.
  const lastChangeMs = Math.max(now, (stored?.lastChangeMs ?? 0) + 1);
  await settings.set(settingKey, { fingerprint, lastChangeMs } satisfies StoredGeneration, 'system', now);
  return lastChangeMs;
}
