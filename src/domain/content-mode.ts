/**
 * `[content] mode`, one meaning for the whole server:
 * - `approved`: download the files of updates approved for installation in some group (and of the bundle
 *   members they install through); clients are offered an approved update once its files are stored.
 * - `all`: download the files of every revision the active catalog generation serves.
 * - `none`: metadata only; clients are sent to the file's Microsoft Update URL, nothing waits for files.
 * The config schema, the content download, the client file locations, the sync engine and the admin
 * views all read this type.
 */
export const contentModes = ['approved', 'all', 'none'] as const;

export type ContentMode = (typeof contentModes)[number];
