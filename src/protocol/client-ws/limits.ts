/**
 * Hard limits of the client-facing codecs (MS-WUSP and ReportEventBatch). Every list and string a client sends
 * is bounded here, so a request can never make a decoder allocate more than these allow (on top of the XML
 * reader's own byte/element limits).
 *
 * The two protocol caps the WSUS client relies on are REAL (docs/protocol/client.md §1.6 item 9, §1.4): more than 400
 * `InstalledNonLeafUpdateIDs` (duplicates counted) and more than `MaxExtendedUpdatesPerRequest` revision ids in
 * GetExtendedUpdateInfo are answered with InvalidParameters naming the parameter. The others are our own
 * safety bounds, chosen well above anything seen in the captures.
 */
export interface ClientWsLimits {
  /** REAL WSUS cap; entries are counted before anything else is decoded. */
  readonly maxInstalledNonLeafIds: number;
  /** WSUS had no cap up to 4,937 (REAL); ours only bounds memory. */
  readonly maxOtherCachedIds: number;
  readonly maxCachedDriverIds: number;
  /** Must equal the `MaxExtendedUpdatesPerRequest` GetConfig advertises (a config value, default 50). */
  readonly maxExtendedUpdatesPerRequest: number;
  /** StartCategoryScan: 200 or more categories is InvalidParameters (SPEC, WSUS 3.0 SP2). */
  readonly maxRequestedCategories: number;
  readonly maxFilterCategoryIds: number;
  readonly maxRefreshCacheIdentities: number;
  readonly maxFileDigests: number;
  readonly maxLocales: number;
  readonly maxInfoTypes: number;
  /** Devices in a driver-pass SystemSpec (REAL: 70-75). */
  readonly maxSystemSpecDevices: number;
  /** Hardware-id GUIDs in ComputerSpec (REAL: 6). */
  readonly maxComputerHardwareIds: number;
  /** Decoded bytes of a session cookie's EncryptedData (WS2025: 248) and of an auth cookie's CookieData (496). */
  readonly maxCookieBytes: number;
  /** Short identifiers: protocol versions, plug-in ids, locales, GeoId, enum-like strings. */
  readonly maxShortString: number;
  /** Names and descriptions: DNS names, models, target group names, OS descriptions. */
  readonly maxNameString: number;
  /** `Key=Value;…` attribute strings (REAL DeviceAttributes ~2.2 KB). */
  readonly maxAttributeString: number;
  readonly maxTargetGroups: number;
  readonly maxReplacementStrings: number;
  readonly maxMiscDataStrings: number;
  /**
   * One ReplacementStrings/MiscData string. A `156` `U=` list is ~37 chars per id and lists every update the
   * scan found applicable, so this is the XML reader's text-node bound (bytes bound it), not a guess at a count.
   */
  readonly maxEventString: number;
  /** Update ids in one `156` U= or V= list: as many as fit in maxEventString (37 chars each). */
  readonly maxStatusListIds: number;
}

export const defaultClientWsLimits: ClientWsLimits = Object.freeze({
  maxInstalledNonLeafIds: 400,
  maxOtherCachedIds: 100_000,
  maxCachedDriverIds: 20_000,
  maxExtendedUpdatesPerRequest: 50,
  maxRequestedCategories: 199,
  maxFilterCategoryIds: 199,
  maxRefreshCacheIdentities: 1_000,
  maxFileDigests: 1_000,
  maxLocales: 16,
  maxInfoTypes: 16,
  maxSystemSpecDevices: 10_000,
  maxComputerHardwareIds: 256,
  maxCookieBytes: 4_096,
  maxShortString: 64,
  maxNameString: 256,
  maxAttributeString: 16_384,
  maxTargetGroups: 32,
  maxReplacementStrings: 32,
  maxMiscDataStrings: 128,
  maxEventString: 1024 * 1024,
  maxStatusListIds: Math.ceil((1024 * 1024) / 37),
});

/** Limits with `maxExtendedUpdatesPerRequest` taken from configuration (the value GetConfig advertises). */
export function clientWsLimitsFor(overrides: Partial<ClientWsLimits>): ClientWsLimits {
  return Object.freeze({ ...defaultClientWsLimits, ...overrides });
}
