import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';

import type { NetworkPlan, NetworkPlanStep } from '../../domain/network/plan-network-posture';
import { rerun } from '../access/reconcile-access.orchestrator';
import { ACTIVITIES, type EnforceNetworkInput, EnforceNetworkInputSchema, type RemediationResult } from '../catalog';
import { runRemediation } from '../remediation-flow.orchestrator';

/**
 * `enforceNetwork(resourceId)`: a network rule → the network posture of one resource. The ready steps of a run are
 * applied in one activity call (one resource, one write where the type allows it), which audits each step.
 */
export const enforceNetworkOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<Task, RemediationResult<NetworkPlan>, unknown> {
  const parsed = EnforceNetworkInputSchema.safeParse(context.df.getInput());
  if (!parsed.success)
    throw new Error(
      `enforceNetwork input is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`,
    );
  const input: EnforceNetworkInput = parsed.data;
  return yield* runRemediation<NetworkPlan>(context, {
    kind: 'network',
    target: input.resourceId,
    correlationId: input.correlationId,
    requestedBy: input.requestedBy,
    dryRun: input.dryRun,
    plan: {
      name: ACTIVITIES.planNetwork.name,
      input: {
        resourceId: input.resourceId,
        now: context.df.currentUtcDateTime.toISOString(),
        correlationId: input.correlationId,
      },
    },
    apply: (ready: readonly NetworkPlanStep[]) =>
      ready.length === 0
        ? []
        : [
            {
              name: ACTIVITIES.applyNetwork.name,
              input: {
                resourceId: input.resourceId,
                steps: ready,
                correlationId: input.correlationId,
                actor: input.requestedBy,
              },
              keys: ready.map((s) => s.key),
            },
          ],
    verify: (applied: readonly NetworkPlanStep[]) => ({
      name: ACTIVITIES.verifyNetwork.name,
      input: { resourceId: input.resourceId, steps: applied },
    }),
    rerunInput: (signal) => rerun(input, signal),
  });
};
