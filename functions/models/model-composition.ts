// The composition root of the model orchestrations (issue 9): the Monitor and Azure ML adapters built once from the
// validated settings, the activity handlers paired with the catalogue's names, and the per-invocation commands of the
// HTTP routes. The triggers under functions/models only parse and call these.
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { DefaultAzureCredential } from '@azure/identity';
import type { DurableClient } from 'durable-functions';

import type { ModelCommands } from '../../shared/api/models/model-commands';
import { ARM_AUDIENCE } from '../../shared/cloud/azure/arm-clients';
import { AzureModelRegistry } from '../../shared/cloud/azure/model-registry';
import { AzureMonitorAlertRules } from '../../shared/cloud/azure/monitor-alert-rules';
import { AzureMonitorMetrics } from '../../shared/cloud/azure/monitor-metrics';
import { AzureRoleAssignments } from '../../shared/cloud/azure/role-assignments';
import { appSettings } from '../../shared/config/load-settings';
import { QUARANTINE_RECHECK_MS } from '../../shared/domain/metadata/due-times';
import { assessQuarantine, createModelActivities } from '../../shared/orchestrations/models/model-activities';
import { MODEL_ACTIVITIES } from '../../shared/orchestrations/models/model-catalog';
import type { ModelDeps } from '../../shared/orchestrations/models/model-deps';
import { startQuarantineModel, startReleaseModel } from '../../shared/orchestrations/models/start-model';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { apiServices } from '../api/api-composition';

let cached: Promise<ModelDeps> | undefined;

async function compose(): Promise<ModelDeps> {
  const s = appSettings();
  const { api } = await apiServices();
  const credential = new DefaultAzureCredential(
    s.identity.managedIdentityClientId ? { managedIdentityClientId: s.identity.managedIdentityClientId } : {},
  );
  const registry = new AzureModelRegistry({ credential, endpoint: s.azure.armEndpoint });
  // Role assignments and definitions are addressed by scope: the client's subscription is only a default.
  const authorization = new AuthorizationManagementClient(credential, s.azure.subscriptionId ?? '', {
    endpoint: s.azure.armEndpoint.replace(/\/+$/, ''),
    credentialScopes: [`${ARM_AUDIENCE}/.default`],
    retryOptions: { maxRetries: 3 },
  });
  return {
    registry,
    roleAssignments: new AzureRoleAssignments(authorization),
    metrics: new AzureMonitorMetrics({ credential, hostOverrides: s.azure.hostOverrides }),
    alertRules: new AzureMonitorAlertRules({ credential, endpoint: s.azure.armEndpoint }, async (id) =>
      /\/onlineEndpoints\//i.test(id) ? (await registry.getEndpoint(id))?.location : undefined,
    ),
    store: api.store,
    notifier: api.notifier,
    clock: api.clock,
    settings: {
      actionGroupId: s.models.alertActionGroupId,
      breaker: { maxQuarantines: s.safety.breakers.maxQuarantines, windowMinutes: s.safety.breakers.windowMinutes },
      approvalValidityMs: s.enforcement.approvalValidityHours * 3_600_000,
      recheckMs: QUARANTINE_RECHECK_MS,
      killSwitch: s.safety.killSwitch,
    },
  };
}

/** The model ports (built once; a failure is retried on the next call). */
export function modelDeps(): Promise<ModelDeps> {
  cached ??= compose().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

type ActivityHandler = (input: unknown) => Promise<unknown>;
let handlers: Promise<Record<string, ActivityHandler>> | undefined;

function activityHandlers(): Promise<Record<string, ActivityHandler>> {
  handlers ??= modelDeps().then(
    (deps) => createModelActivities(deps) as Record<string, ActivityHandler>,
    (e: unknown) => {
      handlers = undefined;
      throw e;
    },
  );
  return handlers;
}

/** The handler registered for one catalogue activity. */
export function modelActivity(name: string): ActivityHandler {
  return async (input) => {
    const h = (await activityHandlers())[name];
    if (!h) throw new Error(`BUG: no handler for activity '${name}'`);
    return h(input);
  };
}

export const MODEL_ACTIVITY_NAMES = Object.values(MODEL_ACTIVITIES).map((a) => a.name);

/** The per-invocation commands of the model HTTP routes over the invocation's durable client. */
export function modelCommands(client: DurableClient): ModelCommands {
  const orchestrations = fromDurableClient(client);
  return {
    planQuarantine: async (modelId, now, correlationId) =>
      assessQuarantine(await modelDeps(), {
        modelId,
        ruleId: null,
        signal: { kind: 'operator', ref: null, metricValue: null },
        now: now.toISOString(),
        correlationId,
      }),
    startQuarantine: (request) => startQuarantineModel(orchestrations, request),
    startRelease: (request) => startReleaseModel(orchestrations, { ...request, mode: 'operator' }),
  };
}
