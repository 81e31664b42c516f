/**
 * Rollout rings (docs/rings.md) through the notification channels: a ringed approval whose gate failed (it
 * pauses by itself: `rollout.held`), and a ringed catalog generation held by its gate (`rollout.held`) or by an
 * operator (`rollout.paused`). The log lines with their stable event names stay; these are the alerts.
 */
import { rolloutNotification } from './events.js';
import type { Notification } from './notification.js';

/** The notification of a ringed-approval event, or undefined for the events that need no alert. */
export function rolloutEventNotification(
  server: string,
  event: string,
  fields: Readonly<Record<string, unknown>>,
): Notification | undefined {
  if (event !== 'rollout.paused') return undefined;
  const reasons = Array.isArray(fields.reasons) ? fields.reasons.map(String) : [];
  return rolloutNotification(
    server,
    'held',
    `${String(fields.rolloutId)} (update ${String(fields.updateId)})`,
    `The ringed approval stopped in ring ${String(fields.ring)}: ${reasons.join('; ') || 'its gate failed'}. ` +
      'The next rings get no approval. `patchbay rings status` shows the failed computers and codes; ' +
      '`patchbay rollouts resume|skip|stop` decides.',
    {
      kind: 'approval',
      rolloutId: fields.rolloutId,
      updateId: fields.updateId,
      ring: fields.ring,
      reasons,
      failedComputers: fields.failedComputers,
      codes: fields.codes,
    },
  );
}

export interface CatalogHold {
  readonly generationId: number;
  readonly ringIndex: number;
  readonly reason: string;
  /** `catalog hold` by an operator, not the gate. */
  readonly byHand: boolean;
}

export function catalogHoldNotification(server: string, h: CatalogHold): Notification {
  return rolloutNotification(
    server,
    h.byHand ? 'paused' : 'held',
    `of catalog generation ${h.generationId}`,
    `The catalog generation stays in the rings up to ring ${h.ringIndex}; the other rings keep the previous ` +
      `generation. ${h.reason}. \`patchbay catalog rollout\` shows the gate; \`patchbay catalog promote|abort\` decides.`,
    { kind: 'catalog', generationId: h.generationId, ring: h.ringIndex, reason: h.reason },
  );
}
