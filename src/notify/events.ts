/**
 * The notifications of each event, built from the facts the emitters have. Emitters call `notify()` with
 * these; `patchbay notify test` sends `sampleNotifications()`, one of each event.
 */
import {
  notificationEvents,
  type NotificationEventName,
  type NotificationSeverity,
} from '../domain/index.js';
import type { Notification } from './notification.js';

export function notification(
  server: string,
  event: NotificationEventName,
  severity: NotificationSeverity,
  title: string,
  text: string,
  detail?: Record<string, unknown>,
  at = new Date(),
): Notification {
  return { event, severity, title, text, at: at.toISOString(), server, ...(detail ? { detail } : {}) };
}

/** Facts of a finished synchronization pipeline (metadata, rules, content). */
export interface SyncOutcomeFacts {
  readonly syncRunId: number;
  readonly outcome: 'succeeded' | 'partial';
  readonly revisionsImported: number;
  readonly revisionsQuarantined: number;
  readonly note: string | null;
  readonly contentFilesFailed: number;
  readonly contentError?: string | undefined;
  /** First failures (sha1, code), bounded by the caller. */
  readonly contentFailures?: readonly { sha1: string; code: string }[];
}

export function syncNotifications(server: string, f: SyncOutcomeFacts): Notification[] {
  const out: Notification[] = [];
  const run = { syncRunId: f.syncRunId, revisionsImported: f.revisionsImported };
  if (f.outcome === 'partial')
    out.push(
      notification(
        server,
        'sync.partial',
        'warning',
        `synchronization ${f.syncRunId} was partial`,
        `The synchronization finished, but not everything was imported${f.note ? ` (${f.note})` : ''}. ` +
          'See `patchbay sync history` and `patchbay quarantine list`; the next synchronization retries.',
        { ...run, note: f.note },
      ),
    );
  if (f.revisionsQuarantined > 0)
    out.push(
      notification(
        server,
        'revisions.quarantined',
        'warning',
        `${f.revisionsQuarantined} revision(s) quarantined by synchronization ${f.syncRunId}`,
        'Update revisions from the upstream failed validation and are not offered to clients. ' +
          '`patchbay quarantine list` shows why; they are retried at later synchronizations.',
        { ...run, revisionsQuarantined: f.revisionsQuarantined },
      ),
    );
  if (f.contentFilesFailed > 0 || f.contentError !== undefined)
    out.push(
      notification(
        server,
        'content.failed',
        'warning',
        f.contentError !== undefined
          ? 'the content download failed'
          : `${f.contentFilesFailed} update file(s) failed to download`,
        (f.contentError !== undefined ? `${f.contentError}. ` : '') +
          'Approved updates whose files are missing are not offered to clients until they are stored. ' +
          '`patchbay content status` lists the failures; the next run retries them.',
        {
          syncRunId: f.syncRunId,
          filesFailed: f.contentFilesFailed,
          ...(f.contentFailures ? { failures: f.contentFailures } : {}),
        },
      ),
    );
  return out;
}

export function syncFailedNotification(server: string, code: string, message: string): Notification {
  return notification(
    server,
    'sync.failed',
    'critical',
    'synchronization failed',
    `${message.slice(0, 2000)}\nClients are still served from the current catalog. ` +
      'See `patchbay sync history`; `patchbay sync` runs it again.',
    { code },
  );
}

export function newMatchingNotification(
  server: string,
  filter: readonly string[],
  updates: readonly { updateId: string; title: string; kb: string | null }[],
  total: number,
): Notification {
  const lines = updates.map((u) => `- ${u.kb ? `KB${u.kb} ` : ''}${u.title}`);
  const more = total > updates.length ? `\n... and ${total - updates.length} more` : '';
  return notification(
    server,
    'updates.new_matching',
    'info',
    `${total} new update(s) matching ${filter.join(', ')}`,
    `${lines.join('\n')}${more}`,
    { filter, total, updates },
  );
}

export function staleNotification(
  server: string,
  ageHours: number | null,
  staleAfterHours: number,
): Notification {
  return notification(
    server,
    'sync.stale',
    'warning',
    ageHours === null
      ? 'no synchronization has succeeded yet'
      : `the last good synchronization is ${ageHours} h old`,
    `The catalog has not been refreshed for longer than sync.stale_after_hours (${staleAfterHours} h). Clients are ` +
      'still served from the current catalog. Check the upstream, the proxy and `patchbay sync history`.',
    { ageHours, staleAfterHours },
  );
}

export function diskLowNotification(
  server: string,
  what: string,
  path: string,
  freePercent: number,
  freeBytes: number,
  critical: boolean,
): Notification {
  return notification(
    server,
    'disk.low',
    critical ? 'critical' : 'warning',
    `${what} disk space low: ${freePercent}% free`,
    `The file system of ${path} has ${freePercent}% (${Math.round(freeBytes / 1024 ** 2)} MiB) free. ` +
      'Downloads and the database stop working when it is full; `patchbay status` shows the sizes.',
    { what, path, freePercent, freeBytes },
  );
}

export function failureSpikeNotification(server: string, failures: number, threshold: number): Notification {
  return notification(
    server,
    'installs.failure_spike',
    'warning',
    `${failures} install failures reported in the last hour`,
    `Clients reported ${failures} failed installations within an hour (threshold ${threshold}). ` +
      '`patchbay reports update-status --state failed` shows which updates.',
    { failures, threshold },
  );
}

/** For the deployment rings: a rollout that stopped by itself (held) or was paused by an operator. */
export function rolloutNotification(
  server: string,
  kind: 'held' | 'paused',
  rollout: string,
  reason: string,
  detail: Record<string, unknown> = {},
): Notification {
  return notification(
    server,
    kind === 'held' ? 'rollout.held' : 'rollout.paused',
    kind === 'held' ? 'warning' : 'info',
    `rollout ${rollout} ${kind}`,
    reason,
    { rollout, ...detail },
  );
}

export interface SummaryFacts {
  readonly period: 'daily' | 'weekly';
  readonly lines: readonly string[];
  readonly warnings: readonly string[];
  readonly detail: Record<string, unknown>;
}

export function summaryNotification(server: string, f: SummaryFacts): Notification {
  return notification(
    server,
    'summary',
    f.warnings.length > 0 ? 'warning' : 'info',
    `${f.period} summary${f.warnings.length > 0 ? ` (${f.warnings.length} warning(s))` : ''}`,
    [
      ...f.lines,
      ...(f.warnings.length > 0 ? ['', 'Warnings:', ...f.warnings.map((w) => `- ${w}`)] : []),
    ].join('\n'),
    f.detail,
  );
}

/** One notification of each event, marked as a test (`patchbay notify test`). */
export function sampleNotifications(server: string): Notification[] {
  const samples: Notification[] = [
    syncFailedNotification(server, 'PB_ERR_UPSTREAM_UNAVAILABLE', 'the upstream did not answer (sample)'),
    ...syncNotifications(server, {
      syncRunId: 0,
      outcome: 'partial',
      revisionsImported: 10,
      revisionsQuarantined: 2,
      note: 'sample',
      contentFilesFailed: 1,
      contentFailures: [{ sha1: '0'.repeat(40), code: 'PB_ERR_CONTENT_DIGEST_MISMATCH' }],
    }),
    newMatchingNotification(
      server,
      ['sample'],
      [{ updateId: '00000000-0000-0000-0000-000000000000', title: 'Sample update', kb: '5000000' }],
      1,
    ),
    staleNotification(server, 72, 48),
    diskLowNotification(server, 'content', '/var/lib/patchbay/content', 4, 1024 ** 3, false),
    rolloutNotification(server, 'held', 'sample', 'a ring reported failures above its limit (sample)'),
    rolloutNotification(server, 'paused', 'sample', 'paused by an operator (sample)'),
    failureSpikeNotification(server, 40, 25),
    summaryNotification(server, {
      period: 'daily',
      lines: ['This is a sample summary.'],
      warnings: [],
      detail: {},
    }),
  ];
  const byEvent = new Map(samples.map((s) => [s.event, { ...s, test: true, title: `test: ${s.title}` }]));
  return notificationEvents.map((e) => byEvent.get(e)!);
}
