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
 * `validityMs` (their step keys), and fight approvals.
 */
export async function loadTargetApprovals(
  store: MetadataStore,
  kind: 'access' | 'network',
  target: string,
  now: Date,
  validityMs: number,
): Promise<TargetApprovals> {
  const rows = await store.approvals.list({ where: { kind } });
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

/** How far back the audit log is read for reverts (entries, newest first by seq). */
const REVERT_LOOKBACK = 5000;

/** Reverts Warden made on `target` (audit entries of `action` carrying a `driftKey`), recent enough to matter. */
export async function loadReverts(store: MetadataStore, target: string, action: string): Promise<RevertRecord[]> {
  const head = await store.audit.head();
  if (!head) return [];
  const entries = await store.audit.list({
    target,
    fromSeq: Math.max(1, head.seq - REVERT_LOOKBACK),
    limit: REVERT_LOOKBACK,
  });
  const out: RevertRecord[] = [];
  for (const e of entries) {
    if (e.action !== action) continue;
    const after = e.after as { driftKey?: unknown } | null;
    if (typeof after?.driftKey === 'string') out.push({ driftKey: after.driftKey, at: e.at });
  }
  return out;
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
