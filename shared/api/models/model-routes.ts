import { z } from 'zod';

import { toActor } from '../../auth/principal';
import { type AnyApiRoute, defineRoute, type RouteResult } from '../api-route';
import { IdParamsSchema } from '../api-schemas';
import { modelCommandsOf } from './model-commands';

const DryRunQuerySchema = z.strictObject({
  dryRun: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => v === 'true'),
});

const StartedSchema = z
  .object({ instanceId: z.string(), action: z.enum(['started', 'requeued']), statusQueryGetUri: z.string() })
  .meta({ id: 'ModelRunStarted' });

function started(outcome: { instanceId: string; action: 'started' | 'requeued' }): RouteResult {
  const statusQueryGetUri = `/api/orchestrations/${encodeURIComponent(outcome.instanceId)}`;
  return {
    status: 202,
    body: { instanceId: outcome.instanceId, action: outcome.action, statusQueryGetUri },
    headers: { Location: statusQueryGetUri },
  };
}

/**
 * Operator decisions on a model version (a `models` row): quarantine (no metric confirmation — a person decided;
 * `?dryRun=true` returns the plan), release (restores traffic), retire (permanent: recorded for a second operator's
 * approval, applied by the sweep once approved).
 */
export const MODEL_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'quarantineModelHttp',
    capability: 'models',
    method: 'POST',
    route: 'models/{id}/quarantine',
    access: 'Warden.Operator',
    summary:
      'Quarantine a model version: tag it Quarantined and move its traffic to the last good deployment; ?dryRun=true returns the plan',
    tags: ['models'],
    params: IdParamsSchema,
    query: DryRunQuerySchema,
    response: z.union([StartedSchema, z.object({ dryRun: z.literal(true), plan: z.record(z.string(), z.unknown()) })]),
    successStatus: 202,
    ifMatch: 'none',
    durableClient: true,
    handle: async ({ params, query, principal, correlationId }, services) => {
      const model = await services.store.models.require(params.id);
      const c = modelCommandsOf(services);
      if (query.dryRun) {
        const plan = await c.planQuarantine(model.id, services.clock.now(), correlationId);
        return { status: 200, body: { dryRun: true, plan } };
      }
      const actor = principal ? toActor(principal) : 'anonymous';
      return started(
        await c.startQuarantine({
          modelId: model.id,
          correlationId,
          requestedBy: actor,
          reason: `quarantine requested by ${actor}`,
        }),
      );
    },
  }),
  defineRoute({
    name: 'releaseModelHttp',
    capability: 'models',
    method: 'POST',
    route: 'models/{id}/release',
    access: 'Warden.Operator',
    summary: 'Release a quarantined model version: tag it Production and restore the traffic it had',
    tags: ['models'],
    params: IdParamsSchema,
    response: StartedSchema,
    successStatus: 202,
    ifMatch: 'none',
    durableClient: true,
    handle: async ({ params, principal, correlationId }, services) => {
      const model = await services.store.models.require(params.id);
      const actor = principal ? toActor(principal) : 'anonymous';
      return started(
        await modelCommandsOf(services).startRelease({
          modelId: model.id,
          correlationId,
          requestedBy: actor,
          reason: `release requested by ${actor}`,
        }),
      );
    },
  }),
  defineRoute({
    name: 'retireModelHttp',
    capability: 'models',
    method: 'POST',
    route: 'models/{id}/retire',
    access: 'Warden.Operator',
    summary:
      'Ask to retire a model version (archive it, no traffic for good): recorded for approval by a second operator; applied once approved',
    tags: ['models'],
    params: IdParamsSchema,
    response: z.object({ approvalId: z.string(), created: z.boolean() }),
    successStatus: 202,
    ifMatch: 'none',
    handle: async ({ params, principal, correlationId }, services) => {
      const model = await services.store.models.require(params.id);
      const actor = principal ? principal.objectId : 'anonymous';
      const target = `models/${model.id}`;
      const open = (await services.store.approvals.list({ where: { kind: 'model', target } })).find(
        (a) => a.decision === null && a.plan.action === 'retire',
      );
      if (open) return { status: 202, body: { approvalId: open.id, created: false } };
      const approvalId = `apr-model-retire-${model.id.slice(0, 40)}-${services.newId().slice(0, 8)}`;
      await services.store.approvals.upsert(
        {
          id: approvalId,
          kind: 'model',
          target,
          plan: {
            action: 'retire',
            modelId: model.id,
            summary: `retire ${model.name}:${model.model_version}`,
            correlationId,
          },
          requested_by: actor,
          requested_at: services.clock.now().toISOString(),
        },
        { actor: principal ? toActor(principal) : actor, reason: 'retire requested', correlationId },
      );
      return { status: 202, body: { approvalId, created: true } };
    },
  }),
];
