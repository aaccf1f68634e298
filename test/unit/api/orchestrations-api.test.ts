import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ApiHarness } from './support/api-harness';

describe('orchestration status and list', () => {
  const h = new ApiHarness();
  let reader = '';
  before(async () => {
    await h.start();
    reader = await h.token({ roles: ['Warden.Reader'] });
  });
  after(() => h.stop());

  type Page = { items: { instanceId: string; runtimeStatus: string }[]; continuationToken?: string };

  test('filters by runtime status and creation time; pages by instance id', async () => {
    const running = await h.call('listOrchestrations', { token: reader, query: { runtimeStatus: 'Running,Failed' } });
    assert.equal(running.status, 200, running.text);
    assert.deepEqual((running.body as Page).items.map((o) => o.runtimeStatus).sort(), ['Failed', 'Running', 'Running']);
    const recent = await h.call('listOrchestrations', {
      token: reader,
      query: { createdFrom: h.orchestrations[3]!.createdTime },
    });
    assert.deepEqual(
      (recent.body as Page).items.map((o) => o.instanceId),
      ['reconcileAccess-3', 'reconcileAccess-4'],
    );
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const res = await h.call('listOrchestrations', {
        token: reader,
        query: { limit: '2', ...(token ? { continuationToken: token } : {}) },
      });
      ids.push(...(res.body as Page).items.map((o) => o.instanceId));
      token = (res.body as Page).continuationToken;
    } while (token);
    assert.deepEqual(ids, h.orchestrations.map((o) => o.instanceId).sort());
    const bad = await h.call('listOrchestrations', { token: reader, query: { runtimeStatus: 'Sleeping' } });
    assert.equal(bad.status, 400);
  });

  test('one instance; unknown → 404; a traversal-looking id → 400 naming instanceId', async () => {
    const one = await h.call('getOrchestration', { token: reader, params: { instanceId: 'reconcileAccess-2' } });
    assert.equal((one.body as { runtimeStatus: string }).runtimeStatus, 'Failed');
    assert.equal((await h.call('getOrchestration', { token: reader, params: { instanceId: 'nope' } })).status, 404);
    const bad = await h.call('getOrchestration', { token: reader, params: { instanceId: '../admin' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (bad.body as { errors: { path: string }[] }).errors.map((e) => e.path),
      ['instanceId'],
    );
  });
});
