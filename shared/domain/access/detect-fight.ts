/**
 * Fight detection (DESIGN.md, circuit breakers): the same drift reverted N times within a window means something
 * else is fighting Warden (Terraform, Azure Policy `modify`, a person). Pure: the caller passes the recent reverts
 * (from the audit log) and the clock.
 */

/** One revert Warden made: which drift (a stable key per target and aspect) and when. */
export interface RevertRecord {
  readonly driftKey: string;
  /** ISO time of the revert. */
  readonly at: string;
}

export interface FightSettings {
  /** Reverts of one drift within the window that trip the breaker (e.g. 5). */
  readonly threshold: number;
  /** The window, in milliseconds (e.g. 60 000). */
  readonly windowMs: number;
}

/** A drift Warden must stop reverting until a human decides. */
export interface Fight {
  readonly driftKey: string;
  readonly reverts: number;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly reason: string;
}

/**
 * The drifts whose reverts within `[now - windowMs, now]` reached the threshold. Reverts at or before a drift's
 * `resetAt` (a human resolved an earlier fight) do not count.
 */
export function detectFights(
  reverts: readonly RevertRecord[],
  settings: FightSettings,
  now: Date,
  resetAt: Readonly<Record<string, string>> = {},
): Fight[] {
  if (!Number.isInteger(settings.threshold) || settings.threshold < 1)
    throw new RangeError(`fight threshold must be a positive whole number, got ${settings.threshold}`);
  if (!(settings.windowMs > 0)) throw new RangeError(`fight window must be positive, got ${settings.windowMs}`);
  const from = now.getTime() - settings.windowMs;
  const byKey = new Map<string, number[]>();
  for (const r of reverts) {
    const t = Date.parse(r.at);
    if (Number.isNaN(t) || t < from || t > now.getTime()) continue;
    const reset = resetAt[r.driftKey];
    if (reset !== undefined && t <= Date.parse(reset)) continue;
    const list = byKey.get(r.driftKey) ?? [];
    list.push(t);
    byKey.set(r.driftKey, list);
  }
  const fights: Fight[] = [];
  for (const [driftKey, times] of [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (times.length < settings.threshold) continue;
    times.sort((a, b) => a - b);
    const firstAt = new Date(times[0] ?? 0).toISOString();
    const lastAt = new Date(times[times.length - 1] ?? 0).toISOString();
    fights.push({
      driftKey,
      reverts: times.length,
      firstAt,
      lastAt,
      reason: `reverted ${times.length} times between ${firstAt} and ${lastAt} (limit ${settings.threshold} in ${Math.round(settings.windowMs / 1000)} s): something else keeps re-applying it; enforcement on it stops until a human decides`,
    });
  }
  return fights;
}
