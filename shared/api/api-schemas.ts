import { z } from 'zod';

import { RowIdSchema } from '../domain/primitives/fields';

/** A problem+json body (RFC 9457) as Warden returns it. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().optional(),
    correlationId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

/** Row-id path parameter (`/…/{id}`): ids are validated by pattern, so `..` or `/` never reach the store. */
export const IdParamsSchema = z.strictObject({ id: RowIdSchema });

/** No query parameters accepted. */
export const NoQuerySchema = z.strictObject({});

/** The metadata every stored row carries. */
export const RowMetaSchema = z.object({
  version: z.number().int().min(1),
  created_at: z.string(),
  updated_at: z.string(),
  updated_by: z.string(),
});

/** A page of items: `{ items, continuationToken? }`. */
export function pageSchema(item: z.ZodType) {
  return z.object({ items: z.array(item), continuationToken: z.string().optional() });
}
