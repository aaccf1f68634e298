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

/** The API services with the model commands of the invocation (added by `functions/api/models-http.ts`). */
export type ModelApiServices = ApiServices & { readonly models?: ModelCommands };

/** The model commands of an invocation; their absence is a wiring bug. */
export function modelCommandsOf(services: ApiServices): ModelCommands {
  const c = (services as ModelApiServices).models;
  if (!c)
    throw new Error('BUG: model routes need the durable client and the model commands (functions/api/models-http)');
  return c;
}
