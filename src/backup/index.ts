export { createBackup, type BackupSummary, type CreateBackupInput } from './create-backup.js';
export { restoreBackup, type RestoreInput, type RestoreSummary } from './restore-backup.js';
export { readBackup, verifyBackup, type OpenedBackup } from './read-backup.js';
export { manifestName, type BackupManifest } from './backup-manifest.js';
