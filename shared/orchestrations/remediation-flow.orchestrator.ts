/**
 * The shape every enforcement run shares (DESIGN.md rules): plan (an activity, so history holds the plan and not the
 * whole actual state), dry run → return the plan; audit the plan; report-only or kill switch → stop; gated steps →
 * record them in `approvals`, notify, and go on with the rest (a pending approval never freezes a target against new
 * drift); apply the rest in parallel batches of a configured size; verify by re-reading; audit the outcome and notify
 * (together); then, if another trigger asked for the same target meanwhile, continue as new.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import * as df from 'durable-functions';

import type { ApprovalGate } from '../domain/access/blast-radius';
import {
  ACTIVITIES,
  type ApprovalRecorded,
  type RecordApprovalInput,
  type RemediationOutcome,
  type RemediationResult,
  type StepOutcome,
  type VerifyResult,
} from './catalog';
import { closeAndTakeRerun } from './take-rerun.orchestrator';

/** The plan's common shape as the flow reads it. */
export interface FlowStep {
  readonly key: string;
  readonly driftKey: string;
  readonly reason: string;
  readonly needsApproval: boolean;
  readonly gate: ApprovalGate | null;
  readonly approvalReason: string | null;
}
export interface FlowPlan {
  readonly kind: 'access' | 'network';
  readonly target: string;
  readonly apply: boolean;
  readonly notApplyingReason: string | null;
  readonly steps: readonly FlowStep[];
}

/** What the plan activity returns: the plan, the settings the orchestrator may not read itself, and new fights. */
export interface PlannedRun<P extends FlowPlan> {
  readonly plan: P;
  /** Steps applied at once (the configured parallelism). */
  readonly parallelism: number;
  /** Drifts the fight detector stopped that no pending approval covers yet. */
  readonly newFights: readonly { readonly driftKey: string; readonly reason: string }[];
}

export interface FlowSpec<P extends FlowPlan> {
  readonly kind: 'access' | 'network';
  readonly target: string;
  readonly correlationId: string;
  readonly requestedBy: string;
  readonly dryRun: boolean;
  readonly plan: { readonly name: string; readonly input: unknown };
  /** The activity calls that apply the ready steps (one per step, or one per resource). */
  readonly apply: (ready: readonly P['steps'][number][]) => { name: string; input: unknown; keys: string[] }[];
  readonly verify: (applied: readonly P['steps'][number][]) => { name: string; input: unknown };
  /** The input of the next run when a rerun was asked for. */
  readonly rerunInput: (signal: unknown) => unknown;
}

/** Activity retry: transient cloud failures (429/5xx) get three attempts, 5 s apart, then the step is `failed`. */
export const ACTIVITY_RETRY = new df.RetryOptions(5000, 3);

export function* runRemediation<P extends FlowPlan>(
  context: OrchestrationContext,
  spec: FlowSpec<P>,
): Generator<Task, RemediationResult<P>, unknown> {
  const planned = (yield context.df.callActivityWithRetry(
    spec.plan.name,
    ACTIVITY_RETRY,
    spec.plan.input,
  )) as PlannedRun<P>;
  const plan = planned.plan;
  const done = (outcome: RemediationOutcome, rerun = false): RemediationResult<P> => ({ plan, outcome, rerun });
  if (spec.dryRun) return done({ status: 'dry-run', steps: [], verify: null, approvalId: null });

  const actor = spec.requestedBy;
  yield context.df.callActivity(ACTIVITIES.auditPlan.name, {
    plan,
    correlationId: spec.correlationId,
    actor,
    phase: plan.apply ? 'planned' : 'report-only',
  });
  if (!plan.apply) {
    const notified = context.df.callActivity(ACTIVITIES.notify.name, {
      type: 'Warden.Remediation.Outcome',
      subject: spec.target,
      data: { kind: spec.kind, status: 'report-only', reason: plan.notApplyingReason, steps: plan.steps.length },
      correlationId: spec.correlationId,
    });
    return yield* finish(
      context,
      spec,
      notified,
      done({ status: 'report-only', steps: [], verify: null, approvalId: null }),
    );
  }

  // Gated steps (and new fights) wait for a human: record them once, notify, and carry on with the rest.
  const gated = plan.steps.filter((s) => s.needsApproval && s.gate !== 'awaiting-approval');
  let approvalId: string | null = null;
  if (gated.length > 0 || planned.newFights.length > 0) {
    const request: RecordApprovalInput = {
      kind: spec.kind,
      target: spec.target,
      steps:
        gated.length > 0
          ? gated.map((s) => ({ key: s.key, summary: `${s.reason} — ${s.approvalReason ?? ''}`, gate: s.gate ?? '' }))
          : planned.newFights.map((f) => ({ key: `fight:${f.driftKey}`, summary: f.reason, gate: 'fight' })),
      fights: planned.newFights.map((f) => f.driftKey),
      requestedBy: actor,
      correlationId: spec.correlationId,
    };
    const recorded = (yield context.df.callActivity(ACTIVITIES.recordApproval.name, request)) as ApprovalRecorded;
    approvalId = recorded.approvalId;
    if (recorded.created)
      yield context.df.callActivity(ACTIVITIES.notify.name, {
        type: planned.newFights.length > 0 ? 'Warden.Remediation.FightDetected' : 'Warden.Approval.Requested',
        subject: `approvals/${recorded.approvalId}`,
        data: {
          approvalId: recorded.approvalId,
          kind: spec.kind,
          target: spec.target,
          steps: gated.length,
          fights: planned.newFights.map((f) => f.reason),
        },
        correlationId: spec.correlationId,
      });
  }

  const ready = plan.steps.filter((s) => !s.needsApproval);
  const outcomes: StepOutcome[] = [];
  const calls = spec.apply(ready);
  const size = Math.max(1, planned.parallelism);
  for (let i = 0; i < calls.length; i += size) {
    const batch = calls.slice(i, i + size);
    const tasks = batch.map((c) => context.df.callActivityWithRetry(c.name, ACTIVITY_RETRY, c.input));
    try {
      const results = (yield context.df.Task.all(tasks)) as (StepOutcome | StepOutcome[])[];
      for (const r of results) outcomes.push(...(Array.isArray(r) ? r : [r]));
    } catch {
      // One call failed after its retries: keep what the others did; the failed steps are retried by the next run.
      batch.forEach((c, k) => {
        const t = tasks[k];
        if (t?.isCompleted && !t.isFaulted) {
          const r = t.result as StepOutcome | StepOutcome[];
          outcomes.push(...(Array.isArray(r) ? r : [r]));
        } else {
          for (const key of c.keys)
            outcomes.push({ key, status: 'failed', detail: 'failed after retries (transient cloud failure)' });
        }
      });
    }
  }

  const applied = ready.filter((s) => outcomes.some((o) => o.key === s.key && o.status === 'applied'));
  let verify: VerifyResult | null = null;
  if (applied.length > 0) {
    const v = spec.verify(applied);
    verify = (yield context.df.callActivityWithRetry(v.name, ACTIVITY_RETRY, v.input)) as VerifyResult;
  }
  const failed = outcomes.some((o) => o.status === 'failed' || o.status === 'refused');
  const status: RemediationOutcome['status'] =
    ready.length === 0
      ? gated.length > 0 || plan.steps.some((s) => s.needsApproval)
        ? 'waiting-for-approval'
        : 'nothing-to-do'
      : failed || (verify?.mismatched.length ?? 0) > 0 || plan.steps.some((s) => s.needsApproval)
        ? 'partial'
        : 'applied';
  const outcome: RemediationOutcome = { status, steps: outcomes, verify, approvalId };
  // The outcome's audit entry and its notification are independent: scheduled together, raced by the rerun check.
  const closing: Task[] = [
    context.df.callActivity(ACTIVITIES.auditOutcome.name, {
      kind: spec.kind,
      target: spec.target,
      outcome,
      correlationId: spec.correlationId,
      actor,
    }),
  ];
  if (plan.steps.length > 0)
    closing.push(
      context.df.callActivity(ACTIVITIES.notify.name, {
        type: 'Warden.Remediation.Outcome',
        subject: spec.target,
        data: {
          kind: spec.kind,
          status,
          applied: outcomes.filter((o) => o.status === 'applied').length,
          refused: outcomes.filter((o) => o.status === 'refused').length,
          failed: outcomes.filter((o) => o.status === 'failed').length,
          waiting: plan.steps.filter((s) => s.needsApproval).length,
          approvalId,
        },
        correlationId: spec.correlationId,
      }),
    );
  return yield* finish(context, spec, context.df.Task.all(closing), done(outcome));
}

/**
 * The run's closing activities, then — if a rerun was asked for meanwhile ({@link closeAndTakeRerun}) — continue as
 * new with it: the run plans again from fresh state.
 */
function* finish<P extends FlowPlan>(
  context: OrchestrationContext,
  spec: FlowSpec<P>,
  closing: Task,
  result: RemediationResult<P>,
): Generator<Task, RemediationResult<P>, unknown> {
  const rerun = yield* closeAndTakeRerun(context, closing);
  if (!rerun) return result;
  context.df.continueAsNew(spec.rerunInput(rerun.latest));
  return { ...result, rerun: true };
}
