import { AppError } from '../../errors.js';

/**
 * Why a document was refused. The sync engine quarantines a revision on PB_ERR_UPDATE_DOCUMENT and records
 * `detail.reason`, so these strings are stable.
 */
export type UpdateDocumentReason =
  | 'not-an-update'
  | 'bad-identity'
  | 'bad-update-type'
  | 'missing-properties'
  | 'bad-guid'
  | 'bad-digest'
  | 'bad-size'
  | 'bad-file'
  | 'bad-boolean'
  | 'bad-localized-properties';

export function updateDocumentError(
  reason: UpdateDocumentReason,
  message: string,
  extra?: Record<string, unknown>,
): AppError {
  return new AppError('PB_ERR_UPDATE_DOCUMENT', `Update document: ${message}`, {
    detail: { reason, ...extra },
  });
}

/** A short, safe excerpt of an untrusted value for an error message (never the whole of a huge attribute). */
export function excerpt(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}
