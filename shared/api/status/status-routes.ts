import { z } from 'zod';

import { type AnyApiRoute, defineRoute } from '../api-route';
import { NoQuerySchema } from '../api-schemas';

const StatusSchema = z
  .object({
    version: z.string(),
    killSwitch: z.object({ engaged: z.boolean() }),
    counts: z.record(z.string(), z.number()),
    auditHead: z.object({ seq: z.number(), hash: z.string() }).nullable(),
    pendingApprovals: z.number(),
    now: z.string(),
  })
  .meta({ id: 'Status' });

export const STATUS_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'getStatus',
    capability: 'status',
    method: 'GET',
    route: 'status',
    access: 'Warden.Reader',
    summary: "Warden's version, the global kill switch, row counts, the audit chain head and pending approvals",
    tags: ['status'],
    query: NoQuerySchema,
    response: StatusSchema,
    successStatus: 200,
    ifMatch: 'none',
    handle: async (_input, services) => {
      const store = services.store;
      const pending = await store.backend.db
        .selectFrom('approvals')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('decision', 'is', null)
        .executeTakeFirst();
      return {
        status: 200,
        body: {
          version: services.settings.appVersion,
          killSwitch: { engaged: services.settings.killSwitch },
          counts: await store.counts(),
          auditHead: (await store.audit.head()) ?? null,
          pendingApprovals: Number(pending?.n ?? 0),
          now: services.clock.now().toISOString(),
        },
      };
    },
  }),
  defineRoute({
    name: 'health',
    capability: 'health',
    method: 'GET',
    route: 'health',
    access: 'anonymous',
    summary: 'Liveness (anonymous; says nothing about the data)',
    tags: ['status'],
    query: NoQuerySchema,
    response: z.object({ status: z.literal('ok') }),
    successStatus: 200,
    ifMatch: 'none',
    handle: () => Promise.resolve({ status: 200, body: { status: 'ok' } }),
  }),
];
