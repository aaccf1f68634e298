/** The tags Warden writes on a model version, and the evidence they carry (strings ≤ 256, never a secret). Pure. */
import type { BreachEvidence } from './breach';
import { formatTraffic } from './traffic-plan';

export const STAGE_TAG = 'warden.stage';
export const TAG_REASON = 'warden.quarantine.reason';
export const TAG_EVIDENCE = 'warden.quarantine.evidence';
export const TAG_AT = 'warden.quarantine.at';
/** The endpoint's traffic when the version was quarantined (`blue=100,green=0`): what a release restores. */
export const TAG_TRAFFIC = 'warden.quarantine.traffic';
export const TAG_CORRELATION = 'warden.quarantine.correlationId';
export const QUARANTINE_TAGS = [TAG_REASON, TAG_EVIDENCE, TAG_AT, TAG_TRAFFIC, TAG_CORRELATION] as const;

export function evidenceSummary(e: BreachEvidence | null): string {
  if (!e) return 'no metric evidence (decided by a person)';
  const values = e.windows.map((w) => (w.value === null ? '-' : String(Math.round(w.value * 1e4) / 1e4))).join(' ');
  return `${e.verdict}: ${e.failing}/${e.examined} windows ${e.condition}; values ${values}`.slice(0, 256);
}

/** The evidence tags of a quarantine. */
export function quarantineTags(
  a: {
    readonly reason: string;
    readonly evidence: BreachEvidence | null;
    readonly traffic: { readonly before: Readonly<Record<string, number>> } | null;
  },
  now: string,
  correlationId: string,
): Record<string, string | null> {
  return {
    [TAG_REASON]: a.reason.slice(0, 256),
    [TAG_EVIDENCE]: evidenceSummary(a.evidence),
    [TAG_AT]: now,
    [TAG_TRAFFIC]: a.traffic ? formatTraffic(a.traffic.before) : null,
    [TAG_CORRELATION]: correlationId.slice(0, 128),
  };
}

/** Release: the quarantine tags go (the stage tag is set separately). */
export function releaseTags(): Record<string, null> {
  return Object.fromEntries(QUARANTINE_TAGS.map((t) => [t, null]));
}
