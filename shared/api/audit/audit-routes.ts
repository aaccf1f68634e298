import { z } from 'zod';

import { IsoDateTimeSchema } from '../../domain/primitives/fields';
import { type AnyApiRoute, defineRoute } from '../api-route';
import { NoQuerySchema, pageSchema } from '../api-schemas';
import { ContinuationTokenSchema, LimitSchema } from '../paging';
import { queryAudit } from './audit-query';

export const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    before: z.unknown(),
    after: z.unknown(),
    reason: z.string().nullable(),
    correlation_id: z.string().nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const filters = {
  target: z.string().min(1).max(1024).optional(),
  actor: z.string().min(1).max(256).optional(),
  correlationId: z.string().min(1).max(128).optional(),
  action: z.string().min(1).max(128).optional(),
  from: IsoDateTimeSchema.optional(),
  to: IsoDateTimeSchema.optional(),
};

const VerdictSchema = z.union([
  z.object({ ok: z.literal(true), entries: z.number(), headSeq: z.number(), headHash: z.string() }),
  z.object({ ok: z.literal(false), entries: z.number(), firstBadSeq: z.number(), problem: z.string() }),
]);

export const AUDIT_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'queryAudit',
    capability: 'audit',
    method: 'GET',
    route: 'audit',
    access: 'Warden.Reader',
    summary: 'Audit entries by target, actor, correlation id, action and time range (inclusive), in seq order; paged',
    tags: ['audit'],
    query: z.strictObject({ ...filters, limit: LimitSchema, continuationToken: ContinuationTokenSchema }),
    response: pageSchema(AuditEntrySchema),
    successStatus: 200,
    ifMatch: 'none',
    handle: async ({ query }, services) => ({ status: 200, body: await queryAudit(services, query) }),
  }),
  defineRoute({
    name: 'exportAudit',
    capability: 'audit',
    method: 'GET',
    route: 'audit/export',
    access: 'Warden.Auditor',
    summary: 'Export audit entries with their hashes as NDJSON (one entry a line), same filters as the query',
    tags: ['audit'],
    query: z.strictObject(filters),
    response: AuditEntrySchema,
    responseContentType: 'application/x-ndjson',
    successStatus: 200,
    ifMatch: 'none',
    handle: async ({ query }, services) => {
      const lines: string[] = [];
      let token: string | undefined;
      do {
        const page = await queryAudit(services, { ...query, limit: 200, continuationToken: token });
        for (const e of page.items) lines.push(JSON.stringify(e));
        token = page.continuationToken;
      } while (token !== undefined);
      return { status: 200, body: lines.length ? `${lines.join('\n')}\n` : '' };
    },
  }),
  defineRoute({
    name: 'verifyAudit',
    capability: 'audit',
    method: 'GET',
    route: 'audit/verify',
    access: 'Warden.Auditor',
    summary: 'Walk the hash chain and name the first entry that does not hold',
    tags: ['audit'],
    query: NoQuerySchema,
    response: VerdictSchema,
    successStatus: 200,
    ifMatch: 'none',
    handle: async (_input, services) => ({ status: 200, body: await services.store.audit.verify() }),
  }),
];
