import { AppError } from '../../errors.js';

/**
 * A time as the codecs accept it on the way out: a Date, or an already formatted `xs:dateTime` / `xs:date`
 * text. The text form exists so a value received from the wire (e.g. a cookie Expiration WS2025 wrote with 7
 * fractional digits, `2026-10-04T16:03:35.9967236Z`) can be echoed unchanged, which a Date (milliseconds)
 * cannot do.
 */
export type WireTime = Date | string;

const dateTimeText = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;
const dateText = /^\d{4}-\d{2}-\d{2}$/;

function badTime(what: string, value: unknown): AppError {
  // Encoders only see server-side values: a bad one is our bug, never the client's.
  return new AppError('PB_ERR_INTERNAL', `cannot encode ${what}: ${String(value).slice(0, 64)}`);
}

/**
 * `xs:dateTime` in UTC the way .NET writes it (round-trip kind, trailing fraction zeros trimmed):
 * `2026-10-04T13:17:07.59Z`, `2026-10-04T15:03:36Z`. Protocol.md 1.2: `Z` and 0-7 fraction digits.
 */
export function formatDateTime(value: WireTime): string {
  if (typeof value === 'string') {
    if (!dateTimeText.test(value)) throw badTime('dateTime', value);
    return value;
  }
  const ms = value.getTime();
  if (!Number.isFinite(ms)) throw badTime('dateTime', value);
  const iso = value.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ (years 0-9999)
  if (iso.length !== 24) throw badTime('dateTime', iso);
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/** `xs:date` (UTC calendar date), as WS2025 writes `Deployment/LastChangeTime`: `2026-10-04`. */
export function formatDate(value: WireTime): string {
  if (typeof value === 'string') {
    if (!dateText.test(value)) throw badTime('date', value);
    return value;
  }
  const ms = value.getTime();
  if (!Number.isFinite(ms)) throw badTime('date', value);
  // Every Deployment of every SyncUpdates page passes here: building the date from its fields is several
  // times cheaper than toISOString() (which also formats the time) and gives the same text for 0-9999.
  const y = value.getUTCFullYear();
  if (y < 0 || y > 9999) throw badTime('date', value.toISOString());
  const m = value.getUTCMonth() + 1;
  const d = value.getUTCDate();
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}
