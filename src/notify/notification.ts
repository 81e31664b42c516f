import type { NotificationEventName, NotificationSeverity } from '../domain/index.js';

/** One notification as every channel receives it (the webhook's JSON body is exactly this). */
export interface Notification {
  readonly event: NotificationEventName;
  readonly severity: NotificationSeverity;
  /** One line: the e-mail subject, a chat message. */
  readonly title: string;
  /** A few lines a person reads: what happened and what to do. */
  readonly text: string;
  /** Machine-readable facts (counts, ids, error codes); bounded by the emitter. */
  readonly detail?: Readonly<Record<string, unknown>>;
  /** ISO 8601 time of the event. */
  readonly at: string;
  /** The server's name (host name), so that one mailbox can serve several servers. */
  readonly server: string;
  /** Sent by `patchbay notify test`: the event did not happen. */
  readonly test?: boolean;
}

/** A delivery channel: e-mail or webhook. `send` throws a `DeliveryError` (retryable or not) on failure. */
export interface NotificationChannel {
  readonly name: 'email' | 'webhook';
  /** Where it delivers, for messages (`smtp://host:587`, the webhook URL without credentials). */
  readonly target: string;
  send(n: Notification): Promise<void>;
  close(): Promise<void>;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}
