// Notifications: e-mail and webhooks for operational events; `notify()` on the Notifier is the hook.
export { DeliveryError, type Notification, type NotificationChannel } from './notification.js';
export { Notifier, type DeliveryReport, type NotifierOptions } from './notifier.js';
export { smtpChannel, formatMail, type SmtpOptions } from './smtp-channel.js';
export { webhookChannel, signWebhook, type WebhookOptions } from './webhook-channel.js';
export { channelsFromConfig, enabledEvents, notifierFromConfig, serverName } from './from-config.js';
export * from './events.js';
export {
  catalogHoldNotification,
  rolloutEventNotification,
  type CatalogHold,
} from './rollout-notifications.js';
