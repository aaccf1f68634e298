// The composition root of the `warden-commands` queue: which start use case each command maps onto. The same use
// cases the HTTP API calls (functions/access/enforcement-composition.ts), over the invocation's durable client.
import type { DurableClient } from 'durable-functions';

import type { Notifier } from '../../shared/cloud/ports/notifier';
import type { CommandDeps, CommandOutcome, CommandStarters } from '../../shared/commands/command-dispatcher';
import { summarizePlan } from '../../shared/commands/summarize-plan';
import { NotFoundError, ValidationError } from '../../shared/domain/errors';
import { planAccessForScope } from '../../shared/orchestrations/access/access-activities';
import { startReconcileAccess } from '../../shared/orchestrations/access/start-reconcile-access';
import { startQuarantineModel, startReleaseModel } from '../../shared/orchestrations/models/start-model';
import { planNetworkForResource } from '../../shared/orchestrations/network/network-activities';
import { startEnforceNetwork } from '../../shared/orchestrations/network/start-enforce-network';
import { fromDurableClient, type OrchestrationClient } from '../../shared/orchestrations/orchestration-client';
import { planRotationFor } from '../../shared/orchestrations/secrets/secret-triggers';
import { startRotateSecretFor } from '../../shared/orchestrations/secrets/start-rotate-secret';
import { enforcementDeps } from '../access/enforcement-composition';
import { apiServices } from '../api/api-composition';
import { modelCommands } from '../models/model-composition';
import { secretCommands } from '../secrets/rotation-composition';

/**
 * The commands beyond enforcement: `rotate` (rotateSecret), `quarantine` and `release` (quarantineModel,
 * releaseModel) — the same start use cases and dry-run planners as `POST /api/secrets/{id}/rotate` and
 * `POST /api/models/{id}/quarantine|release`. An unknown reference or model is a `NotFoundError` (poison, never
 * retried); `release` has no dry run (the HTTP route has none either), so a dry-run release is refused as invalid.
 */
export function remediationStarters(
  client: DurableClient,
  orchestrations: OrchestrationClient,
): Pick<CommandStarters, 'rotate' | 'quarantine' | 'release'> {
  const modelExists = async (modelId: string): Promise<void> => {
    const { api } = await apiServices();
    await api.store.models.require(modelId);
  };
  return {
    rotate: async ({ referenceId, dryRun, ...request }): Promise<CommandOutcome> => {
      const { api } = await apiServices();
      if (dryRun) {
        const plan = await planRotationFor(
          { store: api.store, settings: secretCommands(client).settings },
          referenceId,
        );
        if (!plan) throw new NotFoundError('secret reference', referenceId);
        return {
          action: 'planned',
          plan: {
            kind: 'rotation',
            target: referenceId,
            rotator: plan.rotator,
            issues: plan.issues,
            steps: plan.steps,
          },
        };
      }
      return startRotateSecretFor(api.store, orchestrations, { ...request, referenceId });
    },
    quarantine: async ({ modelId, dryRun, ...request }): Promise<CommandOutcome> => {
      await modelExists(modelId);
      if (dryRun) {
        const { api } = await apiServices();
        const assessment = await modelCommands(client).planQuarantine(modelId, api.clock.now(), request.correlationId);
        return {
          action: 'planned',
          plan: {
            kind: 'quarantine',
            target: modelId,
            decision: assessment.decision,
            reason: assessment.reason,
            traffic: assessment.traffic,
          },
        };
      }
      return startQuarantineModel(orchestrations, { ...request, modelId });
    },
    release: async ({ modelId, dryRun, ...request }): Promise<CommandOutcome> => {
      if (dryRun)
        throw new ValidationError("'release' command", [
          { path: 'dryRun', message: 'release has no dry run (it restores the traffic recorded at quarantine)' },
        ]);
      await modelExists(modelId);
      return startReleaseModel(orchestrations, { ...request, modelId, mode: 'operator' });
    },
  };
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
    ...remediationStarters(client, orchestrations),
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
