import { type EnforceNetworkInput, enforceNetworkInstanceId, ORCHESTRATIONS } from '../catalog';
import type { OrchestrationClient } from '../orchestration-client';
import { startOrRequeue, type StartOutcome } from '../start-remediation';

/** The one entry point every network trigger calls: start or requeue `enforceNetwork` for the resource. */
export async function startEnforceNetwork(
  client: OrchestrationClient,
  request: Omit<EnforceNetworkInput, 'dryRun'>,
): Promise<StartOutcome> {
  const input = ORCHESTRATIONS.enforceNetwork.input.parse({ ...request, dryRun: false });
  return startOrRequeue(client, ORCHESTRATIONS.enforceNetwork.name, enforceNetworkInstanceId(input.resourceId), input);
}
