/** An orchestration as the API shows it: identity, status and times (inputs and outputs stay in the engine). */
export interface OrchestrationSummary {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: string;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly customStatus: unknown;
}

/** Filters of an orchestration list. */
export interface OrchestrationFilter {
  readonly runtimeStatus?: readonly string[];
  /** ISO instants, inclusive. */
  readonly createdFrom?: string;
  readonly createdTo?: string;
}

/**
 * Reads orchestration status from the durable engine (the Durable Task extension on Azure, the local engine
 * locally) through the durable client.
 *
 * @remarks
 * Per invocation: the edge builds it from the invocation's durable client input binding.
 */
export interface OrchestrationQuery {
  /** One instance, or undefined when the engine does not know it. */
  get(instanceId: string): Promise<OrchestrationSummary | undefined>;
  list(filter: OrchestrationFilter): Promise<OrchestrationSummary[]>;
}

/** The durable runtime statuses a filter may name. */
export const RUNTIME_STATUSES = [
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Pending',
  'Suspended',
] as const;
