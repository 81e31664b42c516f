import type { ServerSyncLanguage } from '../protocol/server-sync/index.js';

/**
 * The update languages a WSUS upstream lists in GetConfigData (REAL: WS2025, wsus-m0-wsusss/exchanges/000005:
 * id 0 `all` first, then these 38 by LCID). Patchbay serves the same table; `Enabled` says which languages we
 * synchronize ourselves (the `[selection] languages`), the `all` entry is enabled only when every one is.
 */
const wsusLanguages: readonly (readonly [number, string, string])[] = [
  [1025, 'ar', 'Arabic'],
  [1026, 'bg', 'Bulgarian'],
  [1028, 'zh-tw', 'Chinese (Traditional)'],
  [1029, 'cs', 'Czech'],
  [1030, 'da', 'Danish'],
  [1031, 'de', 'German'],
  [1032, 'el', 'Greek'],
  [1033, 'en', 'English'],
  [1034, 'es', 'Spanish'],
  [1035, 'fi', 'Finnish'],
  [1036, 'fr', 'French'],
  [1037, 'he', 'Hebrew'],
  [1038, 'hu', 'Hungarian'],
  [1040, 'it', 'Italian'],
  [1041, 'ja', 'Japanese'],
  [1042, 'ko', 'Korean'],
  [1043, 'nl', 'Dutch'],
  [1044, 'no', 'Norwegian'],
  [1045, 'pl', 'Polish'],
  [1046, 'pt-br', 'Portuguese (Brazil)'],
  [1048, 'ro', 'Romanian'],
  [1049, 'ru', 'Russian'],
  [1050, 'hr', 'Croatian'],
  [1051, 'sk', 'Slovak'],
  [1053, 'sv', 'Swedish'],
  [1054, 'th', 'Thai'],
  [1055, 'tr', 'Turkish'],
  [1058, 'uk', 'Ukrainian'],
  [1060, 'sl', 'Slovenian'],
  [1061, 'et', 'Estonian'],
  [1062, 'lv', 'Latvian'],
  [1063, 'lt', 'Lithuanian'],
  [1081, 'hi', 'Hindi'],
  [2052, 'zh-cn', 'Chinese (Simplified)'],
  [2070, 'pt', 'Portuguese (Portugal)'],
  [2074, 'sr', 'Serbian (Latin)'],
  [3076, 'zh-hk', 'Chinese (Hong Kong SAR)'],
  [66577, 'ja-nec', 'Japanese NEC'],
];

export function upstreamLanguageList(enabled: readonly string[]): ServerSyncLanguage[] {
  const on = new Set(enabled.map((l) => l.toLowerCase()));
  const list = wsusLanguages.map(([languageId, shortLanguage, longLanguage]) => ({
    languageId,
    shortLanguage,
    longLanguage,
    enabled: on.has(shortLanguage),
  }));
  const all = {
    languageId: 0,
    shortLanguage: 'all',
    longLanguage: 'all',
    enabled: list.every((l) => l.enabled),
  };
  return [all, ...list];
}
