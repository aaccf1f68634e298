import type { DurableClient } from 'durable-functions';

/** What the start use cases need of the durable client (a port, so they are testable without a host). */
export interface OrchestrationClient {
  /** The instance's runtime status, or undefined when there is no such instance. */
  getStatus(instanceId: string): Promise<{ readonly runtimeStatus: string } | undefined>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

/** The durable-functions client as an {@link OrchestrationClient} (its `getStatus` throws on 404). */
export function fromDurableClient(client: DurableClient): OrchestrationClient {
  return {
    async getStatus(instanceId) {
      try {
        const s = await client.getStatus(instanceId);
        return s ? { runtimeStatus: String(s.runtimeStatus) } : undefined;
      } catch (e) {
        if (e instanceof Error && /HTTP 404/.test(e.message)) return undefined;
        throw e;
      }
    },
    startNew: (name, options) => client.startNew(name, { instanceId: options.instanceId, input: options.input }),
    raiseEvent: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
  };
}
