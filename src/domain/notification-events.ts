/**
 * The notification events (docs/operations.md "Notifications"): the one list the configuration validates
 * `[notifications] events` against, the notifier routes and `patchbay notify test` sends one of each of.
 * `rollout.held` and `rollout.paused` are emitted by the deployment rings once they exist (their module
 * calls `notify()`); everything else is emitted by the server today.
 */
export const notificationEvents = [
  'sync.failed',
  'sync.partial',
  'revisions.quarantined',
  'updates.new_matching',
  'sync.stale',
  'content.failed',
  'disk.low',
  'rollout.held',
  'rollout.paused',
  'installs.failure_spike',
  'summary',
] as const;
export type NotificationEventName = (typeof notificationEvents)[number];

export function isNotificationEvent(v: string): v is NotificationEventName {
  return (notificationEvents as readonly string[]).includes(v);
}

/** How urgent an event is: `critical` wants action now, `warning` soon, `info` is news. */
export type NotificationSeverity = 'info' | 'warning' | 'critical';
