import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { API_ROUTES } from '../../../shared/api/route-table';
import { WARDEN_ROLES } from '../../../shared/auth/principal';
import { ApiHarness } from './support/api-harness';
import { sampleCall } from './support/route-samples';

describe('route × role matrix, walked from the one route table', () => {
  const h = new ApiHarness();
  before(async () => {
    await h.start();
  });
  after(() => h.stop());

  test('the table declares a role for every route; only health is anonymous', () => {
    for (const r of API_ROUTES)
      assert.ok(r.access === 'anonymous' || (WARDEN_ROLES as readonly string[]).includes(r.access), r.name);
    assert.deepEqual(
      API_ROUTES.filter((r) => r.access === 'anonymous').map((r) => r.name),
      ['health'],
    );
    assert.equal(new Set(API_ROUTES.map((r) => r.name)).size, API_ROUTES.length, 'route names are unique');
    assert.equal(
      new Set(API_ROUTES.map((r) => `${r.method} ${r.route}`)).size,
      API_ROUTES.length,
      'method + template pairs are unique',
    );
  });

  for (const route of API_ROUTES) {
    test(`${route.method} /api/${route.route} (${route.name}) → 2xx for ${route.access} only`, async () => {
      for (const role of WARDEN_ROLES) {
        const token = await h.token({ oid: randomUUID(), name: `Matrix ${role}`, roles: [role] });
        const res = await h.call(route.name, { ...(await sampleCall(h, route.name)), token });
        if (route.access === 'anonymous' || route.access === role) {
          assert.ok(res.status >= 200 && res.status < 300, `${route.name} as ${role}: ${res.status} ${res.text}`);
        } else {
          assert.equal(res.status, 403, `${route.name} as ${role}: ${res.text}`);
          assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
          const problem = res.body as { code: string; detail: string };
          assert.equal(problem.code, 'missing_role');
          assert.ok(problem.detail.includes(route.access), `the 403 names ${route.access}`);
        }
      }
      // A token without any Warden role.
      const none = await h.token({ oid: randomUUID(), roles: [] });
      const noRole = await h.call(route.name, { ...(await sampleCall(h, route.name)), token: none });
      assert.equal(noRole.status, route.access === 'anonymous' ? 200 : 403, noRole.text);
      // No token at all.
      const anon = await h.call(route.name, await sampleCall(h, route.name));
      if (route.access === 'anonymous') {
        assert.equal(anon.status, 200);
      } else {
        assert.equal(anon.status, 401, anon.text);
        assert.match(anon.headers['www-authenticate'] ?? '', /^Bearer realm="warden"/);
        assert.equal((anon.body as { code: string }).code, 'missing_token');
      }
    });
  }
});
