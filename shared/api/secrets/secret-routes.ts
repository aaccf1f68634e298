import { z } from 'zod';

import { toActor } from '../../auth/principal';
import { NotFoundError } from '../../domain/errors';
import { RowIdSchema } from '../../domain/primitives/fields';
import { planRotationFor } from '../../orchestrations/secrets/secret-triggers';
import { type AnyApiRoute, defineRoute } from '../api-route';
import { DEFAULT_ROTATION_CHECK_SETTINGS, type SecretApiServices } from './secret-commands';

const DryRunQuerySchema = z.strictObject({
  dryRun: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => v === 'true'),
});

const StartedSchema = z
  .object({
    instanceId: z.string(),
    action: z.enum(['started', 'joined']),
    statusQueryGetUri: z.string(),
  })
  .meta({ id: 'RotationStarted' });
const PlanResponseSchema = z.object({ dryRun: z.literal(true), plan: z.record(z.string(), z.unknown()) });

/** Manual rotation (Operators): a dry run returns the steps and changes nothing; unknown references are 404. */
export const SECRET_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'startRotateSecret',
    capability: 'secrets',
    method: 'POST',
    route: 'secrets/{id}/rotate',
    access: 'Warden.Operator',
    summary:
      'Rotate the credential behind a secret reference now (start, or join the running rotation); ?dryRun=true returns the steps and changes nothing',
    tags: ['secrets'],
    params: z.strictObject({ id: RowIdSchema }),
    query: DryRunQuerySchema,
    response: z.union([StartedSchema, PlanResponseSchema]),
    successStatus: 202,
    ifMatch: 'none',
    durableClient: true,
    handle: async ({ params, query, principal, correlationId }, services) => {
      const secrets = (services as SecretApiServices).secrets;
      const plan = await planRotationFor(
        { store: services.store, settings: secrets?.settings ?? DEFAULT_ROTATION_CHECK_SETTINGS },
        params.id,
      );
      if (!plan) throw new NotFoundError('secret reference', params.id);
      if (query.dryRun) return { status: 200, body: { dryRun: true, plan } };
      if (!secrets) throw new Error('BUG: the rotation route needs the durable client (functions/secrets)');
      const actor = principal ? toActor(principal) : 'anonymous';
      const outcome = await secrets.startRotation({
        referenceId: params.id,
        correlationId,
        requestedBy: actor,
        reason: `requested by ${actor}`,
      });
      const statusQueryGetUri = `/api/orchestrations/${encodeURIComponent(outcome.instanceId)}`;
      return {
        status: 202,
        body: { instanceId: outcome.instanceId, action: outcome.action, statusQueryGetUri },
        headers: { Location: statusQueryGetUri },
      };
    },
  }),
];
