import { z } from 'zod';

import { toActor } from '../../auth/principal';
import { ArmResourceIdSchema } from '../../domain/primitives/fields';
import { type AnyApiRoute, defineRoute, type RouteResult } from '../api-route';
import type { ApiServices } from '../api-services';
import type { EnforcementCommands } from './enforcement-commands';

const DryRunQuerySchema = z.strictObject({
  dryRun: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => v === 'true'),
});

const StartedSchema = z
  .object({
    instanceId: z.string(),
    action: z.enum(['started', 'requeued']),
    statusQueryGetUri: z.string(),
  })
  .meta({ id: 'RemediationStarted' });

const PlanResponseSchema = z.object({ dryRun: z.literal(true), plan: z.record(z.string(), z.unknown()) });

function commands(services: ApiServices): EnforcementCommands {
  if (!services.enforcement) throw new Error('BUG: enforcement routes need the durable client (functions/_edge)');
  return services.enforcement;
}

function started(outcome: { instanceId: string; action: 'started' | 'requeued' }): RouteResult {
  const statusQueryGetUri = `/api/orchestrations/${encodeURIComponent(outcome.instanceId)}`;
  return {
    status: 202,
    body: { instanceId: outcome.instanceId, action: outcome.action, statusQueryGetUri },
    headers: { Location: statusQueryGetUri },
  };
}

/** Manual triggers of the enforcement remediations (Operators): a dry run returns the plan and starts nothing. */
export const ENFORCEMENT_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'startReconcileAccess',
    capability: 'enforcement',
    method: 'POST',
    route: 'access/reconcile',
    access: 'Warden.Operator',
    summary:
      'Reconcile a managed scope’s role assignments with its access policies (start or requeue); ?dryRun=true returns the plan and changes nothing',
    tags: ['enforcement'],
    query: DryRunQuerySchema,
    body: z.strictObject({ scope: ArmResourceIdSchema }),
    response: z.union([StartedSchema, PlanResponseSchema]),
    successStatus: 202,
    ifMatch: 'none',
    durableClient: true,
    handle: async ({ query, body, principal, correlationId }, services) => {
      const c = commands(services);
      if (query.dryRun) {
        const { plan } = await c.planAccess(body.scope, services.clock.now());
        return { status: 200, body: { dryRun: true, plan } };
      }
      const actor = principal ? toActor(principal) : 'anonymous';
      return started(
        await c.startAccess({ scope: body.scope, correlationId, requestedBy: actor, reason: `requested by ${actor}` }),
      );
    },
  }),
  defineRoute({
    name: 'startEnforceNetwork',
    capability: 'enforcement',
    method: 'POST',
    route: 'network/enforce',
    access: 'Warden.Operator',
    summary:
      'Enforce a governed resource’s network rule (start or requeue); ?dryRun=true returns the plan and changes nothing',
    tags: ['enforcement'],
    query: DryRunQuerySchema,
    body: z.strictObject({ resourceId: ArmResourceIdSchema }),
    response: z.union([StartedSchema, PlanResponseSchema]),
    successStatus: 202,
    ifMatch: 'none',
    durableClient: true,
    handle: async ({ query, body, principal, correlationId }, services) => {
      const c = commands(services);
      if (query.dryRun) {
        const { plan } = await c.planNetwork(body.resourceId, services.clock.now());
        return { status: 200, body: { dryRun: true, plan } };
      }
      const actor = principal ? toActor(principal) : 'anonymous';
      return started(
        await c.startNetwork({
          resourceId: body.resourceId,
          correlationId,
          requestedBy: actor,
          reason: `requested by ${actor}`,
        }),
      );
    },
  }),
];
