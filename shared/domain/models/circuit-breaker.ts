/**
 * The quarantine circuit breaker (DESIGN.md rules): more than K models quarantined within a window means the signal
 * source is suspect (a broken metrics pipeline must not take every model offline) — stop new quarantines and ask.
 */
export interface BreakerSettings {
  /** K: quarantines allowed within the window; the (K+1)-th is stopped. */
  readonly maxQuarantines: number;
  readonly windowMinutes: number;
}

export interface BreakerState {
  readonly tripped: boolean;
  /** Quarantines counted within the window. */
  readonly recent: number;
  readonly reason: string;
}

/**
 * Counts quarantines (their times) within `windowMinutes` before `now` (inclusive of the window's start); tripped
 * when another one would exceed `maxQuarantines`. Quarantines decided at or before `resetAt` (a human approved
 * resuming) do not count.
 */
export function checkBreaker(
  quarantinedAt: readonly string[],
  now: Date,
  settings: BreakerSettings,
  resetAt: string | null = null,
): BreakerState {
  const from = now.getTime() - settings.windowMinutes * 60_000;
  const reset = resetAt ? Date.parse(resetAt) : Number.NEGATIVE_INFINITY;
  const recent = quarantinedAt.filter((at) => {
    const t = Date.parse(at);
    return Number.isFinite(t) && t >= from && t <= now.getTime() && t > reset;
  }).length;
  const tripped = recent >= settings.maxQuarantines;
  return {
    tripped,
    recent,
    reason: tripped
      ? `${recent} model(s) quarantined in the last ${settings.windowMinutes} min (limit ${settings.maxQuarantines}): the signal source is suspect; new quarantines stop until a human decides`
      : `${recent} of ${settings.maxQuarantines} quarantine(s) in the last ${settings.windowMinutes} min`,
  };
}
