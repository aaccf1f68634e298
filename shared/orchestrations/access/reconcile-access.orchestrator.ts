import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';

import type { AccessPlan, AccessPlanStep } from '../../domain/access/plan-role-assignments';
import { ACTIVITIES, type ReconcileAccessInput, ReconcileAccessInputSchema, type RemediationResult } from '../catalog';
import { runRemediation } from '../remediation-flow.orchestrator';

/**
 * `reconcileAccess(scope)`: access policies → Azure RBAC role assignments on one managed scope. One step per
 * activity call (creates and deletes are independent), applied in parallel batches.
 *
 * @remarks
 * Deterministic: time comes from `currentUtcDateTime` and is handed to the plan activity, which does all I/O.
 * Invalid input fails the instance with a message naming the fields (nothing is read or changed).
 */
export const reconcileAccessOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<Task, RemediationResult<AccessPlan>, unknown> {
  const parsed = ReconcileAccessInputSchema.safeParse(context.df.getInput());
  if (!parsed.success)
    throw new Error(
      `reconcileAccess input is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`,
    );
  const input: ReconcileAccessInput = parsed.data;
  return yield* runRemediation<AccessPlan>(context, {
    kind: 'access',
    target: input.scope,
    correlationId: input.correlationId,
    requestedBy: input.requestedBy,
    dryRun: input.dryRun,
    plan: {
      name: ACTIVITIES.planAccess.name,
      input: {
        scope: input.scope,
        now: context.df.currentUtcDateTime.toISOString(),
        correlationId: input.correlationId,
      },
    },
    apply: (ready: readonly AccessPlanStep[]) =>
      ready.map((step) => ({
        name: ACTIVITIES.applyAccessStep.name,
        input: { scope: input.scope, step, correlationId: input.correlationId, actor: input.requestedBy },
        keys: [step.key],
      })),
    verify: (applied: readonly AccessPlanStep[]) => ({
      name: ACTIVITIES.verifyAccess.name,
      input: { scope: input.scope, steps: applied },
    }),
    rerunInput: (signal) => rerun(input, signal),
  });
};

/** The next run's input: the rerun's correlation id and requester when it carries them. */
export function rerun<T extends { correlationId: string; requestedBy: string; reason: string }>(
  input: T,
  signal: unknown,
): T {
  const s = (typeof signal === 'object' && signal !== null ? signal : {}) as Record<string, unknown>;
  return {
    ...input,
    correlationId: typeof s.correlationId === 'string' ? s.correlationId : input.correlationId,
    requestedBy: typeof s.requestedBy === 'string' ? s.requestedBy : input.requestedBy,
    reason: typeof s.reason === 'string' ? s.reason : `rerun after ${input.reason}`,
  };
}
