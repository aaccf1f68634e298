import type { DurableClient, DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';

import type { OrchestrationQuery, OrchestrationSummary } from '../../shared/api/orchestrations/orchestration-query';

function summary(s: DurableOrchestrationStatus): OrchestrationSummary {
  return {
    instanceId: s.instanceId,
    name: s.name,
    runtimeStatus: String(s.runtimeStatus),
    createdTime: new Date(s.createdTime).toISOString(),
    lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
    customStatus: s.customStatus ?? null,
  };
}

/** The {@link OrchestrationQuery} port over the invocation's durable client (inputs and outputs left out). */
export function durableOrchestrationQuery(client: DurableClient): OrchestrationQuery {
  return {
    async get(instanceId) {
      try {
        return summary(await client.getStatus(instanceId, { showInput: false }));
      } catch (e) {
        if (e instanceof Error && /HTTP 404/.test(e.message)) return undefined;
        throw e;
      }
    },
    async list(filter) {
      const all = await client.getStatusBy({
        ...(filter.runtimeStatus ? { runtimeStatus: filter.runtimeStatus as OrchestrationRuntimeStatus[] } : {}),
        ...(filter.createdFrom ? { createdTimeFrom: new Date(filter.createdFrom) } : {}),
        ...(filter.createdTo ? { createdTimeTo: new Date(filter.createdTo) } : {}),
      });
      return all.map(summary);
    },
  };
}
