import type { QuarantineAssessment } from '../../orchestrations/models/model-catalog';
import type { StartOutcome } from '../../orchestrations/start-remediation';
import type { ApiServices } from '../api-services';

export interface ModelRequest {
  readonly modelId: string;
  readonly correlationId: string;
  readonly requestedBy: string;
  readonly reason: string;
}

/** What the model routes need per invocation (over its durable client): the dry-run plan and the starts. */
export interface ModelCommands {
  planQuarantine(modelId: string, now: Date, correlationId: string): Promise<QuarantineAssessment>;
  startQuarantine(request: ModelRequest): Promise<StartOutcome>;
  startRelease(request: ModelRequest): Promise<StartOutcome>;
}

/**
 * The model commands of an invocation. They ride on the per-invocation enforcement commands
 * (`functions/models/models-http.ts` adds `models` to them), so the shared edge needs no change; a dedicated
 * `ApiServices.models` would be the clean seam (proposed to the edge's owner).
 */
export function modelCommandsOf(services: ApiServices): ModelCommands {
  const c = (services.enforcement as { models?: ModelCommands } | undefined)?.models;
  if (!c) throw new Error('BUG: model routes need the durable client and the model commands (functions/models)');
  return c;
}
