/**
 * Reads the approvals that bear on a target (for the planners) and the reverts Warden made on it (for fight
 * detection) from the metadata store.
 */
import type { ApprovalContext } from '../domain/access/blast-radius';
import { detectFights, type FightSettings, type RevertRecord } from '../domain/access/detect-fight';
import type { MetadataStore } from '../metadata/metadata-store';

export interface TargetApprovals {
  readonly context: ApprovalContext;
  /** Drift keys an approved fight approval released, with when it was decided. */
  readonly fightResets: Record<string, string>;
  /** Drift keys a pending fight approval holds. */
  readonly pendingFights: ReadonlySet<string>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * The approvals of `kind` for `target`: pending plan approvals (their step keys), pending privileged-policy approvals
 * recorded by the front door (`plan.table = access_policies`, their policy ids), approved ones decided within
 * `validityMs` (their step keys), and fight approvals. Only open approvals and those decided within `validityMs` or
 * the fight window are read: an older decision neither approves a step nor resets a fight (every revert that still
 * counts is younger than it), and a deployment's approvals accumulate for years.
 */
export async function loadTargetApprovals(
  store: MetadataStore,
  kind: 'access' | 'network',
  target: string,
  now: Date,
  validityMs: number,
  fightWindowMs: number,
): Promise<TargetApprovals> {
  const horizon = new Date(now.getTime() - Math.max(validityMs, fightWindowMs)).toISOString();
  const rows = await store.approvals.list({ where: { kind }, openOrSince: { field: 'decided_at', at: horizon } });
  const t = target.toLowerCase();
  const pending: { approvalId: string; stepKeys: string[]; policyIds: string[] }[] = [];
  const approvedStepKeys: string[] = [];
  const fightResets: Record<string, string> = {};
  const pendingFights = new Set<string>();
  for (const a of rows) {
    const plan = a.plan;
    if (plan.table === 'access_policies' && typeof plan.id === 'string') {
      if (a.decision === null) pending.push({ approvalId: a.id, stepKeys: [], policyIds: [plan.id] });
      continue;
    }
    if (a.target.toLowerCase() !== t) continue;
    const keys = strings(plan.stepKeys);
    const fights = strings(plan.fights);
    if (a.decision === null) {
      pending.push({ approvalId: a.id, stepKeys: keys, policyIds: [] });
      for (const f of fights) pendingFights.add(f);
    } else if (a.decision === 'approved' && a.decided_at !== null) {
      if (Date.parse(a.decided_at) + validityMs > now.getTime()) approvedStepKeys.push(...keys);
      for (const f of fights) if (!fightResets[f] || fightResets[f] < a.decided_at) fightResets[f] = a.decided_at;
    }
  }
  return { context: { approvedStepKeys, pending }, fightResets, pendingFights };
}

/**
 * Plans with fight detection (DESIGN.md circuit breakers): plans once with the drifts pending fight approvals hold,
 * reads how often the plan's own drifts were reverted in the window, and — when that makes a new fight — plans again
 * with those drifts stopped too. A fight is the same drift reverted again and again, so only the drifts a plan is
 * about to revert can start one; reading just those keeps a busy target's thousands of one-off reverts out of every
 * plan. (A drift that stopped recurring is not reported: the fight is recognised when it comes back.)
 */
export async function planWithFights<P extends { readonly steps: readonly { readonly driftKey: string }[] }>(
  store: MetadataStore,
  target: string,
  action: string,
  now: Date,
  settings: FightSettings,
  approvals: TargetApprovals,
  plan: (stoppedDrifts: Record<string, string>) => P,
): Promise<{ plan: P; newFights: { driftKey: string; reason: string }[] }> {
  const first = plan(fightsOn([], approvals, settings, now).stopped);
  const reverts: RevertRecord[] = await store.audit.driftReverts({
    target,
    action,
    since: new Date(now.getTime() - settings.windowMs).toISOString(),
    driftKeys: first.steps.map((s) => s.driftKey),
  });
  const { stopped, newFights } = fightsOn(reverts, approvals, settings, now);
  return { plan: newFights.length > 0 ? plan(stopped) : first, newFights };
}

/** Fights on a target: which drifts to stop (new and already held), and which are new (to record and alert). */
export function fightsOn(
  reverts: readonly RevertRecord[],
  approvals: TargetApprovals,
  settings: FightSettings,
  now: Date,
): { stopped: Record<string, string>; newFights: { driftKey: string; reason: string }[] } {
  const stopped: Record<string, string> = {};
  for (const f of approvals.pendingFights) stopped[f] = 'a fight was detected on it; waiting for a human to decide';
  const newFights: { driftKey: string; reason: string }[] = [];
  for (const f of detectFights(reverts, settings, now, approvals.fightResets)) {
    stopped[f.driftKey] = f.reason;
    if (!approvals.pendingFights.has(f.driftKey)) newFights.push({ driftKey: f.driftKey, reason: f.reason });
  }
  return { stopped, newFights };
}
