// The composition root of enforcement (reconcileAccess, enforceNetwork): the ports built once from the validated
// settings, the activity handlers paired with the catalogue's names, and the per-invocation start/plan commands
// every trigger uses. The triggers under functions/access and functions/network only parse and call these.
import { DefaultAzureCredential } from '@azure/identity';
import type { DurableClient } from 'durable-functions';

import type { EnforcementCommands } from '../../shared/api/enforcement/enforcement-commands';
import { createArmClients } from '../../shared/cloud/azure/arm-clients';
import { AzureResourceNetwork } from '../../shared/cloud/azure/resource-network';
import { AzureRoleAssignments } from '../../shared/cloud/azure/role-assignments';
import { appSettings } from '../../shared/config/load-settings';
import type { Settings } from '../../shared/config/settings';
import { createAccessActivities, planAccessForScope } from '../../shared/orchestrations/access/access-activities';
import { startReconcileAccess } from '../../shared/orchestrations/access/start-reconcile-access';
import { ACTIVITIES } from '../../shared/orchestrations/catalog';
import type { EnforcementDeps, EnforcementSettings } from '../../shared/orchestrations/enforcement-deps';
import {
  createNetworkActivities,
  planNetworkForResource,
} from '../../shared/orchestrations/network/network-activities';
import { startEnforceNetwork } from '../../shared/orchestrations/network/start-enforce-network';
import { fromDurableClient, type OrchestrationClient } from '../../shared/orchestrations/orchestration-client';
import { createRemediationActivities } from '../../shared/orchestrations/remediation-activities';
import { apiServices } from '../api/api-composition';

/** The enforcement settings from the validated app settings. */
export function enforcementSettings(s: Settings): EnforcementSettings {
  return {
    wardenPrincipalIds: s.identity.wardenPrincipalIds,
    killSwitch: s.safety.killSwitch,
    limits: {
      maxDeletes: s.safety.blastRadius.maxDeletes,
      maxDeleteShare: s.safety.blastRadius.maxDeleteShare,
      shareAppliesFrom: s.enforcement.shareAppliesFrom,
      maxResourcesChanged: s.safety.blastRadius.maxResourcesChanged,
    },
    rawDataStores: s.enforcement.rawDataStores,
    wardenDependencies: s.enforcement.dependencies,
    // The circuit breaker on reverts is the fight detector.
    fight: { threshold: s.safety.breakers.maxReverts, windowMs: s.safety.breakers.windowMinutes * 60_000 },
    approvalValidityMs: s.enforcement.approvalValidityHours * 3_600_000,
    parallelism: s.enforcement.parallelism,
  };
}

let cached: Promise<EnforcementDeps> | undefined;

async function compose(): Promise<EnforcementDeps> {
  const s = appSettings();
  if (!s.azure.subscriptionId)
    throw new Error('WARDEN_SUBSCRIPTION_ID is required for enforcement (the subscription Warden governs)');
  // The store, notifier and clock are the API's (one connection to the metadata store per worker).
  const { api } = await apiServices();
  const clients = createArmClients({
    credential: new DefaultAzureCredential(
      s.identity.managedIdentityClientId ? { managedIdentityClientId: s.identity.managedIdentityClientId } : {},
    ),
    subscriptionId: s.azure.subscriptionId,
    endpoint: s.azure.armEndpoint,
  });
  return {
    roleAssignments: new AzureRoleAssignments(clients.authorization),
    network: new AzureResourceNetwork(clients.resources, clients.storage),
    store: api.store,
    notifier: api.notifier,
    clock: api.clock,
    settings: enforcementSettings(s),
  };
}

/** The enforcement ports (built once; a failure is retried on the next call). */
export function enforcementDeps(): Promise<EnforcementDeps> {
  cached ??= compose().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

type ActivityHandler = (input: unknown) => Promise<unknown>;
let handlers: Promise<Record<string, ActivityHandler>> | undefined;

/** Every enforcement activity handler by its catalogue name. */
function activityHandlers(): Promise<Record<string, ActivityHandler>> {
  handlers ??= enforcementDeps().then(
    (deps) =>
      ({
        ...createAccessActivities(deps),
        ...createNetworkActivities(deps),
        ...createRemediationActivities(deps),
      }) as Record<string, ActivityHandler>,
    (e: unknown) => {
      handlers = undefined;
      throw e;
    },
  );
  return handlers;
}

/** The handler registered for one catalogue activity: resolves the ports lazily, then runs the factory's handler. */
export function activity(name: string): ActivityHandler {
  return async (input) => {
    const h = (await activityHandlers())[name];
    if (!h) throw new Error(`BUG: no handler for activity '${name}'`);
    return h(input);
  };
}

/** The activity names of the catalogue, paired with their handlers by `functions/access` and `functions/network`. */
export const ACCESS_ACTIVITY_NAMES = [
  ACTIVITIES.planAccess.name,
  ACTIVITIES.applyAccessStep.name,
  ACTIVITIES.verifyAccess.name,
] as const;
export const NETWORK_ACTIVITY_NAMES = [
  ACTIVITIES.planNetwork.name,
  ACTIVITIES.applyNetwork.name,
  ACTIVITIES.verifyNetwork.name,
] as const;
export const REMEDIATION_ACTIVITY_NAMES = [
  ACTIVITIES.auditPlan.name,
  ACTIVITIES.auditOutcome.name,
  ACTIVITIES.recordApproval.name,
  ACTIVITIES.notify.name,
] as const;

/** The per-invocation commands of the HTTP routes (dry-run plans, start-or-requeue) over the invocation's client. */
export function enforcementCommands(client: DurableClient): EnforcementCommands {
  const orchestrations: OrchestrationClient = fromDurableClient(client);
  return {
    planAccess: async (scope, now) => planAccessForScope(await enforcementDeps(), scope, now),
    planNetwork: async (resourceId, now) => planNetworkForResource(await enforcementDeps(), resourceId, now),
    startAccess: (request) => startReconcileAccess(orchestrations, request),
    startNetwork: (request) => startEnforceNetwork(orchestrations, request),
  };
}
