// The composition root of the `warden-commands` queue: which start use case each command maps onto. The same use
// cases the HTTP API calls (functions/access/enforcement-composition.ts), over the invocation's durable client.
import type { DurableClient } from 'durable-functions';

import type { Notifier } from '../../shared/cloud/ports/notifier';
import type { CommandDeps, CommandOutcome, CommandStarters } from '../../shared/commands/command-dispatcher';
import { summarizePlan } from '../../shared/commands/summarize-plan';
import { planAccessForScope } from '../../shared/orchestrations/access/access-activities';
import { startReconcileAccess } from '../../shared/orchestrations/access/start-reconcile-access';
import { planNetworkForResource } from '../../shared/orchestrations/network/network-activities';
import { startEnforceNetwork } from '../../shared/orchestrations/network/start-enforce-network';
import { fromDurableClient, type OrchestrationClient } from '../../shared/orchestrations/orchestration-client';
import { enforcementDeps } from '../access/enforcement-composition';
import { apiServices } from '../api/api-composition';

/**
 * The commands beyond enforcement: `rotate` (rotateSecret), `quarantine` and `release` (quarantineModel). This is
 * the one place they are wired: return each starter here once its start use case exists, e.g.
 * `rotate: (r) => startRotateSecret(client, {...})`. A command without a starter is completed and recorded as poison
 * ("command 'rotate' is not available in this deployment") with a notification.
 */
export function remediationStarters(
  _client: OrchestrationClient,
): Pick<CommandStarters, 'rotate' | 'quarantine' | 'release'> {
  return {};
}

/** The starters of one invocation: start-or-requeue per target, or — for a dry run — the plan only. */
export function commandStarters(client: DurableClient): CommandStarters {
  const orchestrations = fromDurableClient(client);
  return {
    reconcile: async ({ scope, dryRun, ...request }): Promise<CommandOutcome> => {
      if (dryRun) {
        const deps = await enforcementDeps();
        const { plan } = await planAccessForScope(deps, scope, deps.clock.now());
        return { action: 'planned', plan: summarizePlan(plan) };
      }
      return startReconcileAccess(orchestrations, { ...request, scope });
    },
    enforce: async ({ resourceId, dryRun, ...request }): Promise<CommandOutcome> => {
      if (dryRun) {
        const deps = await enforcementDeps();
        const { plan } = await planNetworkForResource(deps, resourceId, deps.clock.now());
        return { action: 'planned', plan: summarizePlan(plan) };
      }
      return startEnforceNetwork(orchestrations, { ...request, resourceId });
    },
    ...remediationStarters(orchestrations),
  };
}

/**
 * Everything the dispatcher needs for one invocation; `notifier` is the invocation's (an outbox on Service Bus).
 * The store, notifier and clock are the API's, so invalid messages are recorded even when the enforcement ports
 * (ARM) cannot be built; only a dry run needs those.
 */
export async function commandDeps(client: DurableClient, notifier?: Notifier): Promise<CommandDeps> {
  const { api } = await apiServices();
  return {
    starters: commandStarters(client),
    audit: api.store.audit,
    poison: api.store.events,
    notifier: notifier ?? api.notifier,
    clock: api.clock,
    reportError:
      api.reportError ??
      ((event, error, fields) =>
        console.error(
          JSON.stringify({ event, error: error instanceof Error ? error.message : String(error), ...fields }),
        )),
  };
}
