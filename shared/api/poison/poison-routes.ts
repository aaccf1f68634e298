import { z } from 'zod';

import { NotFoundError } from '../../domain/errors';
import { IsoDateTimeSchema } from '../../domain/primitives/fields';
import type { PoisonRecord } from '../../metadata/event-receipts';
import { type AnyApiRoute, defineRoute } from '../api-route';
import { NoQuerySchema, pageSchema } from '../api-schemas';
import type { ApiServices } from '../api-services';
import { ContinuationTokenSchema, decodeContinuation, encodeContinuation, type Page } from '../paging';

/** Page size bounds of the poison listing (`top`): larger than the other lists, rows are small and operators scan. */
export const DEFAULT_POISON_TOP = 100;
export const MAX_POISON_TOP = 500;

/** A message, event or webhook call Warden could not accept, as recorded with its reason. */
export const PoisonMessageSchema = z
  .object({
    id: z.number().int(),
    source: z.string(),
    message_id: z.string().nullable(),
    reason: z.string(),
    body: z.string().nullable(),
    received_at: z.string(),
  })
  .meta({ id: 'PoisonMessage' });
export type PoisonMessageBody = z.infer<typeof PoisonMessageSchema>;

/** `top` query parameter: 1–500, default 100 (query values arrive as text). */
const TopSchema = z
  .string()
  .regex(/^\d{1,3}$/, { error: `must be a whole number from 1 to ${MAX_POISON_TOP}` })
  .transform(Number)
  .refine((n) => n >= 1 && n <= MAX_POISON_TOP, { error: `must be from 1 to ${MAX_POISON_TOP}` })
  .optional();

export const PoisonQuerySchema = z.strictObject({
  source: z.string().min(1).max(256).optional(),
  since: IsoDateTimeSchema.optional(),
  top: TopSchema,
  continuationToken: ContinuationTokenSchema,
});
export type PoisonListQuery = z.output<typeof PoisonQuerySchema>;

/** `{id}` of one poison message: a positive whole number (ids are the table's identity column). */
export const PoisonIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, { error: 'must be a poison message id (a positive whole number)' })
    .transform(Number),
});

const CONTINUATION_KIND = 'poison';

function toBody(r: PoisonRecord): PoisonMessageBody {
  return {
    id: r.id,
    source: r.source,
    message_id: r.messageId,
    reason: r.reason,
    body: r.body,
    received_at: r.receivedAt,
  };
}

/**
 * One page of poison messages, newest first. The continuation token carries the last id of the page (ids only grow,
 * rows are never updated), so paging is stable while new messages are recorded; the filters must be sent again with
 * it, as on the other lists.
 */
export async function listPoisonMessages(
  services: ApiServices,
  query: PoisonListQuery,
): Promise<Page<PoisonMessageBody>> {
  const beforeId = decodeContinuation<number>(CONTINUATION_KIND, query.continuationToken, 'number');
  const top = query.top ?? DEFAULT_POISON_TOP;
  const rows = await services.store.events.queryPoison({
    top: top + 1,
    ...(query.source !== undefined ? { source: query.source } : {}),
    ...(query.since !== undefined ? { since: query.since } : {}),
    ...(beforeId !== undefined ? { beforeId } : {}),
  });
  const items = rows.slice(0, top).map(toBody);
  const last = items[items.length - 1];
  return rows.length > top && last
    ? { items, continuationToken: encodeContinuation(CONTINUATION_KIND, last.id) }
    : { items };
}

/**
 * Read-only access to the poison-message record (invalid Service Bus commands, invalid or unmapped Event Grid events,
 * refused Monitor alert webhook calls). Warden.Reader, as the audit query: the bodies are operational data, and
 * credential-looking values were redacted when they were recorded.
 */
export const POISON_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'listPoisonMessages',
    capability: 'poison',
    method: 'GET',
    route: 'poison-messages',
    access: 'Warden.Reader',
    summary:
      'Messages, events and alert calls Warden refused, with their reasons, newest first; by source and since a time; paged (top 1–500)',
    tags: ['poison'],
    query: PoisonQuerySchema,
    response: pageSchema(PoisonMessageSchema),
    successStatus: 200,
    ifMatch: 'none',
    handle: async ({ query }, services) => ({ status: 200, body: await listPoisonMessages(services, query) }),
  }),
  defineRoute({
    name: 'getPoisonMessage',
    capability: 'poison',
    method: 'GET',
    route: 'poison-messages/{id}',
    access: 'Warden.Reader',
    summary: 'One refused message with its reason and body as received (credential-looking values redacted)',
    tags: ['poison'],
    params: PoisonIdParamsSchema,
    query: NoQuerySchema,
    response: PoisonMessageSchema,
    successStatus: 200,
    ifMatch: 'none',
    handle: async ({ params }, services) => {
      const r = await services.store.events.getPoison(params.id);
      if (!r) throw new NotFoundError('poison message', String(params.id));
      return { status: 200, body: toBody(r) };
    },
  }),
];
