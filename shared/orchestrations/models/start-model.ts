/**
 * The start use cases of the model orchestrations — every trigger (alert webhook, ML events, endpoint writes, the
 * models SQL trigger, the sweep, HTTP, Service Bus commands) calls these. One instance per model version and
 * orchestration (deterministic id); a busy one is requeued (`rerun`): a second alert joins the running quarantine.
 */
import type { OrchestrationClient } from '../orchestration-client';
import { startOrRequeue, type StartOutcome } from '../start-remediation';
import { MODEL_ORCHESTRATIONS, modelInstanceId, type QuarantineSignal, type ReleaseModelInput } from './model-catalog';

export interface ModelStartRequest {
  readonly modelId: string;
  readonly correlationId: string;
  readonly requestedBy: string;
  readonly reason: string;
}

/**
 * Starts (or requeues) `quarantineModel` for one model version. `signal` defaults to an operator decision (no metric
 * confirmation); alerts and monitor events pass their kind and the rule they map to.
 */
export async function startQuarantineModel(
  client: OrchestrationClient,
  request: ModelStartRequest & { readonly ruleId?: string | null; readonly signal?: Partial<QuarantineSignal> },
): Promise<StartOutcome> {
  const input = MODEL_ORCHESTRATIONS.quarantineModel.input.parse({
    modelId: request.modelId,
    correlationId: request.correlationId,
    requestedBy: request.requestedBy,
    reason: request.reason,
    ruleId: request.ruleId ?? null,
    signal: { kind: 'operator', ...(request.signal ?? {}) },
    dryRun: false,
  });
  const instanceId = modelInstanceId(MODEL_ORCHESTRATIONS.quarantineModel.name, input.modelId);
  // The rerun carries the signal, so the next run of a busy instance assesses it (a second alert joins).
  const rerun = {
    correlationId: input.correlationId,
    requestedBy: input.requestedBy,
    reason: input.reason,
    ruleId: input.ruleId,
    signal: input.signal,
  };
  return startOrRequeue(client, MODEL_ORCHESTRATIONS.quarantineModel.name, instanceId, input, rerun);
}

/** Starts (or requeues) `releaseModel`: `operator` (API, command), `row-edit`, or `auto` (the sweep's re-check). */
export async function startReleaseModel(
  client: OrchestrationClient,
  request: ModelStartRequest & { readonly mode?: ReleaseModelInput['mode'] },
): Promise<StartOutcome> {
  const input = MODEL_ORCHESTRATIONS.releaseModel.input.parse({ ...request, mode: request.mode ?? 'operator' });
  return startOrRequeue(
    client,
    MODEL_ORCHESTRATIONS.releaseModel.name,
    modelInstanceId(MODEL_ORCHESTRATIONS.releaseModel.name, input.modelId),
    input,
  );
}

/** Starts `retireModel` for an approved retire (or a row set to Archived by a PolicyAdmin). */
export async function startRetireModel(
  client: OrchestrationClient,
  request: ModelStartRequest & { readonly approvalId: string | null },
): Promise<StartOutcome> {
  const input = MODEL_ORCHESTRATIONS.retireModel.input.parse(request);
  const instanceId = modelInstanceId(
    MODEL_ORCHESTRATIONS.retireModel.name,
    `${input.modelId}|${input.approvalId ?? 'row'}`,
  );
  return startOrRequeue(client, MODEL_ORCHESTRATIONS.retireModel.name, instanceId, input);
}

/** Starts (or requeues) `syncAlertRules` for one `alert_rules` row. */
export async function startSyncAlertRules(
  client: OrchestrationClient,
  request: {
    readonly ruleId: string;
    readonly correlationId: string;
    readonly requestedBy: string;
    readonly reason: string;
  },
): Promise<StartOutcome> {
  const input = MODEL_ORCHESTRATIONS.syncAlertRules.input.parse(request);
  return startOrRequeue(
    client,
    MODEL_ORCHESTRATIONS.syncAlertRules.name,
    modelInstanceId(MODEL_ORCHESTRATIONS.syncAlertRules.name, input.ruleId),
    input,
  );
}
