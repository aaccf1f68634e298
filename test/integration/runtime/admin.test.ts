import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import type { RuntimeComponent } from '../../../runtime/host/runtime-services';
import { OTHER_TRIGGERS, standIn, startTestRuntime, tempStateDir } from './startup-fixture';

describe('admin endpoints', () => {
  test('health needs no key; functions and keys need the master key; keys persist across restarts', async () => {
    const stateDir = tempStateDir();
    const rt = await startTestRuntime({ stateDir });
    let master: string;
    try {
      const health = await fetch(`${rt.baseUrl}/admin/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ready');
      assert.equal((await fetch(`${rt.baseUrl}/admin/functions`)).status, 401);
      assert.equal((await fetch(`${rt.baseUrl}/admin/functions?code=wrong`)).status, 401);
      master = rt.keys.masterKey;
      const fns = await fetch(`${rt.baseUrl}/admin/functions`, { headers: { 'x-functions-key': master } });
      assert.equal(fns.status, 200);
      const list = (await fns.json()) as { functions: { name: string }[] };
      assert.ok(list.functions.some((f) => f.name === 'onEvent'));
      const keys = (await (await fetch(`${rt.baseUrl}/admin/keys?code=${master}`)).json()) as {
        file: string;
        systemKeys: Record<string, string>;
      };
      assert.equal(keys.file, path.join(stateDir, 'keys.json'));
      assert.ok(keys.systemKeys.eventgrid_extension);
      assert.equal(statSync(keys.file).mode & 0o777, 0o600);
      assert.equal((await fetch(`${rt.baseUrl}/admin/nothing?code=${master}`)).status, 404);
      // Keys never reach the log.
      assert.ok(!JSON.stringify(rt.logs).includes(master));
    } finally {
      await rt.stop();
    }
    const again = await startTestRuntime({ stateDir });
    try {
      assert.equal(again.keys.masterKey, master);
    } finally {
      await again.stop();
    }
  });

  test('test-mode clock: GET /admin/clock, POST /admin/clock/advance with ms or an ISO duration, shared file', async () => {
    const clockFile = path.join(tempStateDir(), 'clock.json');
    const rt = await startTestRuntime({ env: { WARDEN_CLOCK_MODE: 'test', WARDEN_CLOCK_FILE: clockFile } });
    try {
      const headers = { 'x-functions-key': rt.keys.masterKey, 'content-type': 'application/json' };
      const before = (await (await fetch(`${rt.baseUrl}/admin/clock`, { headers })).json()) as {
        offsetMs: number;
        mode: string;
      };
      assert.equal(before.mode, 'test');
      assert.equal(before.offsetMs, 0);
      const hour = await fetch(`${rt.baseUrl}/admin/clock/advance`, {
        method: 'POST',
        headers,
        body: '{"duration":"PT1H"}',
      });
      assert.equal(hour.status, 200);
      assert.equal(((await hour.json()) as { offsetMs: number }).offsetMs, 3_600_000);
      const ms = await fetch(`${rt.baseUrl}/admin/clock/advance`, { method: 'POST', headers, body: '{"ms":500}' });
      assert.equal(((await ms.json()) as { offsetMs: number }).offsetMs, 3_600_500);
      assert.deepEqual(JSON.parse(readFileSync(clockFile, 'utf8')), { offsetMs: 3_600_500 });
      assert.ok(rt.services.clock.now() - Date.now() >= 3_600_000);
      for (const bad of ['{"duration":"P1M"}', '{"ms":-1}', 'nope', '{}']) {
        const res = await fetch(`${rt.baseUrl}/admin/clock/advance`, { method: 'POST', headers, body: bad });
        assert.equal(res.status, 400, bad);
      }
      assert.equal(
        (await fetch(`${rt.baseUrl}/admin/clock/advance`, { method: 'POST', body: '{"ms":1}' })).status,
        401,
      );
    } finally {
      await rt.stop();
    }
  });

  test('the clock cannot be advanced outside test mode', async () => {
    const rt = await startTestRuntime();
    try {
      const res = await fetch(`${rt.baseUrl}/admin/clock/advance`, {
        method: 'POST',
        headers: { 'x-functions-key': rt.keys.masterKey },
        body: '{"ms":1000}',
      });
      assert.equal(res.status, 409);
    } finally {
      await rt.stop();
    }
  });

  test('components add routes; those under /admin get the master-key guard', async () => {
    const component: RuntimeComponent = {
      name: 'custom',
      triggerTypes: OTHER_TRIGGERS,
      start: (services) => {
        services.addSystemRoute('/admin/custom', (_req, res) => {
          res.end('custom admin');
        });
        services.addSystemRoute('/runtime/webhooks/custom', (_req, res) => {
          res.end(`custom webhook at ${services.baseUrl()}`);
        });
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    };
    const rt = await startTestRuntime({ components: [component, standIn([])] });
    try {
      assert.equal((await fetch(`${rt.baseUrl}/admin/custom`)).status, 401);
      const ok = await fetch(`${rt.baseUrl}/admin/custom`, { headers: { 'x-functions-key': rt.keys.masterKey } });
      assert.equal(await ok.text(), 'custom admin');
      assert.equal(
        await (await fetch(`${rt.baseUrl}/runtime/webhooks/custom`)).text(),
        `custom webhook at ${rt.baseUrl}`,
      );
    } finally {
      await rt.stop();
    }
  });

  test('a component that fails to start fails start-up and the port is released', async () => {
    const failing: RuntimeComponent = {
      name: 'failing',
      triggerTypes: OTHER_TRIGGERS,
      start: () => Promise.reject(new Error('broker file locked')),
      stop: () => Promise.resolve(),
    };
    await assert.rejects(startTestRuntime({ components: [failing] }), /broker file locked/);
    assert.ok(os.tmpdir());
  });
});
