import type { Logger } from 'pino';
import type { Clock, RandomSource } from './clock.js';

export interface CircuitBreakerPolicy {
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number;
  /** First cool-down before a probe is allowed; doubles after each failed probe. */
  coolDownMs: number;
  /** Upper bound of the cool-down, so a long outage is still probed regularly. */
  maxCoolDownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerPermit =
  { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number; reason: string; since: number };

/**
 * One upstream origin's circuit breaker: closed -> open after N consecutive failures -> half-open after a
 * cool-down, where exactly one probe request goes through; its success closes the circuit, its failure
 * re-opens it with a longer (capped, jittered) cool-down. While open, callers fail fast without touching the
 * network, which is what bounds the request rate during a long outage (targets.md R8).
 *
 * It logs exactly one "upstream offline" warning per outage and one "upstream back online" line when it ends,
 * instead of one line per failed request.
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #consecutiveFailures = 0;
  /** Time of the first failure of the current failure streak: the start of the outage as seen from here. */
  #streakStartedAt = 0;
  #lastReason = '';
  #openUntil = 0;
  #currentCoolDownMs: number;
  #probeInFlight = false;

  constructor(
    readonly origin: string,
    private readonly policy: CircuitBreakerPolicy,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly logger: Logger,
  ) {
    this.#currentCoolDownMs = policy.coolDownMs;
  }

  get state(): BreakerState {
    // Report the transition lazily: an open circuit whose cool-down passed is effectively half-open.
    if (this.#state === 'open' && this.clock.now() >= this.#openUntil) return 'half-open';
    return this.#state;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** Asks to send one request. A granted probe must be settled with success/failure/neutral. */
  acquire(): BreakerPermit {
    const now = this.clock.now();
    if (this.#state === 'closed') return { allowed: true, probe: false };
    if (this.#state === 'open' && now >= this.#openUntil) this.#state = 'half-open';
    if (this.#state === 'half-open' && !this.#probeInFlight) {
      this.#probeInFlight = true;
      return { allowed: true, probe: true };
    }
    return {
      allowed: false,
      // A half-open circuit with a probe in flight: try again after a short moment, not a full cool-down.
      retryAfterMs: this.#state === 'open' ? this.#openUntil - now : Math.min(1000, this.policy.coolDownMs),
      reason: this.#lastReason,
      since: this.#streakStartedAt,
    };
  }

  /** The upstream answered (any HTTP answer that is not a server failure). */
  recordSuccess(): void {
    const wasDown = this.#state !== 'closed';
    if (wasDown) {
      const outageMs = this.clock.now() - this.#streakStartedAt;
      this.logger.info(
        { origin: this.origin, outageMs, since: new Date(this.#streakStartedAt).toISOString() },
        'upstream back online',
      );
    }
    this.#state = 'closed';
    this.#consecutiveFailures = 0;
    this.#probeInFlight = false;
    this.#currentCoolDownMs = this.policy.coolDownMs;
  }

  /** A failure that says the upstream is unavailable (connect error, timeout, 5xx, 429). */
  recordFailure(reason: string): void {
    const now = this.clock.now();
    if (this.#consecutiveFailures === 0) this.#streakStartedAt = now;
    this.#consecutiveFailures += 1;
    this.#lastReason = reason;
    if (this.#state === 'half-open' || this.#state === 'open') {
      // The probe failed: stay offline (no new log line) and wait longer before the next probe.
      this.#probeInFlight = false;
      this.#currentCoolDownMs = Math.min(this.policy.maxCoolDownMs, this.#currentCoolDownMs * 2);
      this.#open(now);
      return;
    }
    if (this.#consecutiveFailures >= this.policy.failureThreshold) {
      this.logger.warn(
        { origin: this.origin, reason, consecutiveFailures: this.#consecutiveFailures },
        'upstream offline',
      );
      this.#open(now);
    }
  }

  /**
   * The attempt ended in a way that says nothing about availability (caller aborted, TLS policy refused the
   * certificate, response too large): release a probe slot without changing the state.
   */
  recordNeutral(): void {
    this.#probeInFlight = false;
  }

  #open(now: number): void {
    this.#state = 'open';
    // "Equal jitter": between half and all of the cool-down, so probes of many servers do not align.
    const half = this.#currentCoolDownMs / 2;
    this.#openUntil = now + Math.floor(half + this.random() * half);
  }
}
