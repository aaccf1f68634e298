import { z } from 'zod';

import { NotFoundError } from '../../domain/errors';
import { IsoDateTimeSchema, shown } from '../../domain/primitives/fields';
import { type AnyApiRoute, defineRoute } from '../api-route';
import { pageSchema } from '../api-schemas';
import type { ApiServices } from '../api-services';
import {
  ContinuationTokenSchema,
  decodeContinuation,
  DEFAULT_PAGE_SIZE,
  encodeContinuation,
  LimitSchema,
} from '../paging';
import { type OrchestrationQuery, RUNTIME_STATUSES } from './orchestration-query';

const InstanceIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9@:._-]{0,255}$/, {
  error: (iss) => `must be an orchestration instance id (letters, digits, @ : . _ -), got ${shown(iss.input)}`,
});

const SummarySchema = z
  .object({
    instanceId: z.string(),
    name: z.string(),
    runtimeStatus: z.string(),
    createdTime: z.string(),
    lastUpdatedTime: z.string(),
    customStatus: z.unknown(),
  })
  .meta({ id: 'OrchestrationSummary' });

function query(services: ApiServices): OrchestrationQuery {
  if (!services.orchestrations) throw new Error('BUG: orchestration routes need the durable client (functions/_edge)');
  return services.orchestrations;
}

export const ORCHESTRATION_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'listOrchestrations',
    capability: 'orchestrations',
    method: 'GET',
    route: 'orchestrations',
    access: 'Warden.Reader',
    summary: 'Remediation orchestrations by runtime status (comma-separated) and creation time; paged by instance id',
    tags: ['orchestrations'],
    query: z.strictObject({
      runtimeStatus: z
        .string()
        .transform((s) => s.split(',').map((x) => x.trim()))
        .pipe(z.array(z.enum(RUNTIME_STATUSES, { error: `must be among ${RUNTIME_STATUSES.join(', ')}` })))
        .optional(),
      createdFrom: IsoDateTimeSchema.optional(),
      createdTo: IsoDateTimeSchema.optional(),
      limit: LimitSchema,
      continuationToken: ContinuationTokenSchema,
    }),
    response: pageSchema(SummarySchema),
    successStatus: 200,
    ifMatch: 'none',
    durableClient: true,
    handle: async ({ query: q }, services) => {
      const after = decodeContinuation<string>('orchestrations', q.continuationToken, 'string');
      const limit = q.limit ?? DEFAULT_PAGE_SIZE;
      const all = (
        await query(services).list({
          ...(q.runtimeStatus ? { runtimeStatus: q.runtimeStatus } : {}),
          ...(q.createdFrom ? { createdFrom: q.createdFrom } : {}),
          ...(q.createdTo ? { createdTo: q.createdTo } : {}),
        })
      )
        .filter((o) => after === undefined || o.instanceId > after)
        .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
      const items = all.slice(0, limit);
      const last = items[items.length - 1];
      return {
        status: 200,
        body:
          all.length > limit && last
            ? { items, continuationToken: encodeContinuation('orchestrations', last.instanceId) }
            : { items },
      };
    },
  }),
  defineRoute({
    name: 'getOrchestration',
    capability: 'orchestrations',
    method: 'GET',
    route: 'orchestrations/{instanceId}',
    access: 'Warden.Reader',
    summary: 'One orchestration: status, times and custom status',
    tags: ['orchestrations'],
    params: z.strictObject({ instanceId: InstanceIdSchema }),
    response: SummarySchema,
    successStatus: 200,
    ifMatch: 'none',
    durableClient: true,
    handle: async ({ params }, services) => {
      const o = await query(services).get(params.instanceId);
      if (!o) throw new NotFoundError('orchestration', params.instanceId);
      return { status: 200, body: o };
    },
  }),
];
