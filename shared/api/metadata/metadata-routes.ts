import { z } from 'zod';

import { METADATA_TABLES } from '../../domain/metadata/metadata-tables';
import { type AnyApiRoute, defineRoute } from '../api-route';
import { IdParamsSchema, pageSchema, RowMetaSchema } from '../api-schemas';
import { ContinuationTokenSchema, LimitSchema } from '../paging';
import { API_TABLES, type ApiTable, METADATA_RESOURCES } from './metadata-resources';
import { deleteRow, getRow, listRows, putRow, ScopeKeySchema } from './metadata-use-cases';

const camel = (table: string): string =>
  table.replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase());

/** Any JSON object; the use case validates it strictly against the table's schema (naming unknown fields). */
const JsonObjectSchema = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });

interface KeyParams {
  readonly id?: string;
  readonly scope?: string;
}

function keyParams(table: ApiTable): z.ZodType<KeyParams> {
  return METADATA_RESOURCES[table].keyParam === 'scope' ? z.strictObject({ scope: ScopeKeySchema }) : IdParamsSchema;
}

const keyOf = (table: ApiTable, params: KeyParams): string =>
  (METADATA_RESOURCES[table].keyParam === 'scope' ? params.scope : params.id) ?? '';

/** The four CRUD routes of one metadata table. */
function tableRoutes(table: ApiTable): AnyApiRoute[] {
  const r = METADATA_RESOURCES[table];
  const rowSchema = METADATA_TABLES[table].schema;
  const recordSchema = z.intersection(rowSchema, RowMetaSchema).meta({ id: `${camel(table)}Record` });
  const base = `metadata/${table}`;
  const item = r.keyParam === 'scope' ? `${base}/{*scope}` : `${base}/{id}`;
  const filters = Object.fromEntries(Object.entries(r.filters).map(([k, s]) => [k, s.optional()]));
  const tags = ['metadata'];
  return [
    defineRoute({
      name: `list${camel(table)}`,
      capability: 'metadata',
      method: 'GET',
      route: base,
      access: 'Warden.Reader',
      summary: `List ${r.noun} rows in key order, filtered by ${Object.keys(r.filters).join(', ')}; paged`,
      tags,
      query: z.strictObject({ limit: LimitSchema, continuationToken: ContinuationTokenSchema, ...filters }),
      response: pageSchema(recordSchema),
      successStatus: 200,
      ifMatch: 'none',
      handle: async ({ query }, services) => ({
        status: 200,
        body: await listRows(services, table, query as Record<string, unknown>),
      }),
    }),
    defineRoute({
      name: `get${camel(table)}`,
      capability: 'metadata',
      method: 'GET',
      route: item,
      access: 'Warden.Reader',
      summary: `Read one ${r.noun} (ETag = its version)`,
      tags,
      params: keyParams(table),
      response: recordSchema,
      successStatus: 200,
      ifMatch: 'none',
      etag: true,
      handle: async ({ params }, services) => {
        const record = await getRow(services, table, keyOf(table, params));
        return { status: 200, body: record, version: record.version };
      },
    }),
    defineRoute({
      name: `put${camel(table)}`,
      capability: 'metadata',
      method: 'PUT',
      route: item,
      access: 'Warden.PolicyAdmin',
      summary: `Create (no If-Match) or replace (If-Match: its ETag) one ${r.noun}; guardrails apply`,
      tags,
      params: keyParams(table),
      body: JsonObjectSchema,
      bodyDoc: rowSchema,
      response: recordSchema,
      successStatus: 200,
      ifMatch: 'optional',
      etag: true,
      handle: async ({ params, body, expectedVersion, principal, correlationId }, services) => {
        const out = await putRow(services, table, keyOf(table, params), body, expectedVersion, {
          principal: principal!,
          correlationId,
        });
        return {
          status: out.created ? 201 : 200,
          body: out.record,
          version: out.record.version,
          ...(out.approvalId ? { headers: { 'x-warden-approval': out.approvalId } } : {}),
        };
      },
    }),
    defineRoute({
      name: `delete${camel(table)}`,
      capability: 'metadata',
      method: 'DELETE',
      route: item,
      access: 'Warden.PolicyAdmin',
      summary: `Delete a ${r.noun} at the version in If-Match (required)`,
      tags,
      params: keyParams(table),
      successStatus: 204,
      ifMatch: 'required',
      handle: async ({ params, expectedVersion, principal, correlationId }, services) => {
        await deleteRow(services, table, keyOf(table, params), expectedVersion!, {
          principal: principal!,
          correlationId,
        });
        return { status: 204 };
      },
    }),
  ];
}

/** CRUD routes for every metadata table the API exposes. */
export const METADATA_ROUTES: readonly AnyApiRoute[] = API_TABLES.flatMap(tableRoutes);
