import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';

import * as functions from '@azure/functions';

import { buildOpenApiDocument, openApiPath } from '../../../shared/api/openapi';
import { API_ROUTES } from '../../../shared/api/route-table';
import { ApiHarness } from './support/api-harness';

type Operation = {
  operationId: string;
  security?: unknown[];
  'x-warden-role': string;
  parameters?: { name: string; in: string; required: boolean }[];
};

describe('OpenAPI 3.1 document and registrations, both from the route table', () => {
  const h = new ApiHarness();
  before(async () => {
    await h.start();
  });
  after(() => h.stop());

  const operations = (doc: Record<string, unknown>): Map<string, { path: string; method: string; op: Operation }> => {
    const out = new Map<string, { path: string; method: string; op: Operation }>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>))
      for (const [method, op] of Object.entries(item)) out.set(op.operationId, { path, method, op });
    return out;
  };

  test('GET /api/openapi.json serves a 3.1 document with every route, and nothing else', async () => {
    const res = await h.call('getOpenApi', { token: await h.token({ roles: ['Warden.Reader'] }) });
    assert.equal(res.status, 200);
    const doc = res.body as Record<string, unknown>;
    assert.equal(doc.openapi, '3.1.0');
    const ops = operations(doc);
    assert.deepEqual([...ops.keys()].sort(), API_ROUTES.map((r) => r.name).sort());
    for (const r of API_ROUTES) {
      const o = ops.get(r.name)!;
      assert.equal(o.path, openApiPath(r.route));
      assert.equal(o.method, r.method.toLowerCase());
      assert.equal(o.op['x-warden-role'], r.access);
      assert.deepEqual(o.op.security, r.access === 'anonymous' ? [] : [{ entra: [] }]);
      for (const name of o.path.match(/\{([^}]+)\}/g) ?? [])
        assert.ok(
          o.op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name),
          `${r.name} documents ${name}`,
        );
      if (r.ifMatch === 'required') assert.ok(o.op.parameters?.some((p) => p.name === 'If-Match' && p.required));
    }
  });

  test('request bodies are the strict row schemas (unknown fields documented as refused)', () => {
    const doc = buildOpenApiDocument(API_ROUTES, { version: 't' });
    const put = (
      doc.paths as Record<
        string,
        Record<string, { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >
    )['/api/metadata/access_policies/{id}']!.put!;
    const schema = put.requestBody.content['application/json']!.schema;
    assert.equal(schema.additionalProperties, false);
    assert.ok((schema.required as string[]).includes('principal_id'));
  });

  test('functions/api registers exactly the table: anonymous auth level, one function per route', () => {
    const captured: { name: string; methods?: string[]; route?: string; authLevel?: string }[] = [];
    const timers: string[] = [];
    const app = functions.app as unknown as Record<string, unknown>;
    const original = { http: app.http, timer: app.timer };
    app.http = (name: string, o: { methods?: string[]; route?: string; authLevel?: string }) =>
      captured.push({ name, ...o });
    app.timer = (name: string) => timers.push(name);
    try {
      const load = createRequire(__filename);
      load('../../../functions/api/index');
    } finally {
      Object.assign(app, original);
    }
    assert.deepEqual(captured.map((c) => c.name).sort(), API_ROUTES.map((r) => r.name).sort());
    for (const c of captured) {
      const r = API_ROUTES.find((x) => x.name === c.name)!;
      assert.deepEqual(c.methods, [r.method]);
      assert.equal(c.route, r.route);
      assert.equal(c.authLevel, 'anonymous', 'tokens are checked in code; no function keys');
    }
    assert.deepEqual(timers, ['publishAuditHead']);
  });
});
