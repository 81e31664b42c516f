import { createAdminServices } from '../admin/index.js';
import type { Config } from '../config/index.js';
import type { ContentStore, DbHandle } from '../storage/index.js';
import { CleanupService, requireCleanupSettings } from './cleanup-service.js';
import type { CleanupSettings } from './cleanup-types.js';

/** The rules' numbers from the configuration. */
export function cleanupSettingsFrom(config: Config): CleanupSettings {
  const m = config.maintenance;
  return requireCleanupSettings({
    contentMode: config.content.mode,
    declineSupersededAfterDays: m.declineSupersededAfterDays,
    unapprovedFileDays: m.cleanupUnapprovedFileDays,
    computerSilentDays: m.cleanupComputerSilentDays,
    eventRetentionDays: config.clients.eventRetentionDays,
    keepGenerations: m.cleanupKeepGenerations,
  });
}

/** The cleanup over the same administration services the CLI and the API use (one code path). */
export function createCleanupService(
  db: DbHandle,
  store: ContentStore,
  settings: CleanupSettings,
): CleanupService {
  const admin = createAdminServices(db, {
    contentMode: settings.contentMode,
    declineSupersededAfterDays: settings.declineSupersededAfterDays,
  });
  return new CleanupService({
    db,
    store,
    approvals: admin.approvals,
    computers: admin.computers,
    supersededDeclines: admin.supersededDeclines,
    settings,
  });
}
