import type { PlanSummary } from './command-dispatcher';

/** The fields every remediation plan shares (access, network; rotation and quarantine plans may add theirs). */
export interface SummarizablePlan {
  readonly kind: string;
  readonly target: string;
  readonly apply: boolean;
  readonly notApplyingReason: string | null;
  readonly needsApproval: boolean;
  readonly steps: readonly { readonly key: string }[];
}

/** Steps listed in a dry-run notification; the rest are counted. */
export const MAX_SUMMARY_STEPS = 50;

/**
 * A dry-run plan as a `Warden.Command.Planned` notification carries it: what would apply, why not, whether an
 * approval is needed, and the step keys (identifiers only — at most {@link MAX_SUMMARY_STEPS}, the rest counted), so
 * a plan of a large scope stays a small event. The full plan: `POST /api/access/reconcile?dryRun=true` (or the
 * network route), or `warden plan`.
 */
export function summarizePlan(plan: SummarizablePlan): PlanSummary {
  return {
    kind: plan.kind,
    target: plan.target,
    apply: plan.apply,
    notApplyingReason: plan.notApplyingReason,
    needsApproval: plan.needsApproval,
    stepCount: plan.steps.length,
    steps: plan.steps.slice(0, MAX_SUMMARY_STEPS).map((s) => s.key),
    truncated: plan.steps.length > MAX_SUMMARY_STEPS,
  };
}
