import { z } from 'zod';

import type { AnyApiRoute } from './api-route';
import { ProblemSchema } from './api-schemas';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema, inline (no `$defs` to resolve). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'throw',
    metadata: z.registry<Record<string, unknown>>(),
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** The OpenAPI path of a route template: `/api/…`, with a catch-all `{*scope}` written `{scope}`. */
export function openApiPath(route: string): string {
  return `/api/${route.replace(/\{\*?([A-Za-z0-9_]+)(:[^}]*)?\??\}/g, '{$1}')}`;
}

const PROBLEM_STATUSES: Record<string, string> = {
  '400': 'Invalid input (problem+json `errors` name each field)',
  '401': 'No valid bearer token (WWW-Authenticate says why)',
  '403': 'The caller lacks the route role, or a guardrail refused the change',
  '404': 'Not found',
  '409': 'Conflict with the current state',
  '412': 'If-Match does not match the current version',
  '413': 'Body too large',
  '415': 'Body is not application/json',
  '428': 'If-Match is required',
  '503': 'A dependency is unavailable; retry',
};

/**
 * Generates the OpenAPI 3.1 document of Warden's HTTP API from the route table: paths, parameters, request
 * bodies and responses come from each route's zod schemas (`z.toJSONSchema`), security from its role.
 */
export function buildOpenApiDocument(routes: readonly AnyApiRoute[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const problemRef = { $ref: '#/components/schemas/Problem' };
  for (const r of routes) {
    const parameters: unknown[] = [];
    if (r.params) {
      const s = jsonSchemaOf(r.params, 'input');
      for (const [name, schema] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>))
        parameters.push({
          name,
          in: 'path',
          required: true,
          schema,
          ...(r.route.includes(`{*${name}}`)
            ? { description: 'The ARM id without its leading slash (the rest of the path)' }
            : {}),
        });
    }
    if (r.query) {
      const s = jsonSchemaOf(r.query, 'input');
      const required = new Set((s.required ?? []) as string[]);
      for (const [name, schema] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>))
        parameters.push({ name, in: 'query', required: required.has(name), schema });
    }
    if (r.ifMatch !== 'none')
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: r.ifMatch === 'required',
        description: 'The ETag (version) read; absent on PUT means create',
        schema: { type: 'string', pattern: '^"[0-9]+"$' },
      });
    const responses: Record<string, unknown> = {};
    const content = (schema: z.ZodType | undefined) =>
      schema
        ? { content: { [r.responseContentType ?? 'application/json']: { schema: jsonSchemaOf(schema, 'output') } } }
        : {};
    responses[String(r.successStatus)] = { description: 'Success', ...content(r.response) };
    if (r.method === 'PUT') responses['201'] = { description: 'Created', ...content(r.response) };
    const problems = r.access === 'anonymous' ? ['400', '503'] : Object.keys(PROBLEM_STATUSES);
    for (const status of problems)
      responses[status] = {
        description: PROBLEM_STATUSES[status],
        content: { 'application/problem+json': { schema: problemRef } },
      };
    const body = r.bodyDoc ?? r.body;
    paths[openApiPath(r.route)] ??= {};
    paths[openApiPath(r.route)]![r.method.toLowerCase()] = {
      operationId: r.name,
      summary: r.summary,
      tags: [...r.tags],
      'x-warden-role': r.access,
      ...(r.access === 'anonymous' ? { security: [] } : { security: [{ entra: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Warden API',
      version: info.version,
      description:
        "Warden's front door. Every route but health needs an Entra ID bearer token for Warden's API (audience api://warden or its client id) carrying the app role named in x-warden-role.",
    },
    servers: [{ url: '/' }],
    security: [{ entra: [] }],
    paths,
    components: {
      schemas: { Problem: jsonSchemaOf(ProblemSchema, 'output') },
      securitySchemes: {
        entra: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Entra ID access token for the Warden API app registration; app roles in the roles claim',
        },
      },
    },
  };
}
