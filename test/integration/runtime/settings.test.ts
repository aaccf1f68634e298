import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { makeAppDir, startTestRuntime } from './startup-fixture';

describe('settings as func start provides them', () => {
  test('local.settings.json Values become environment variables before the app loads; the environment wins', async () => {
    process.env.RUNTIME_APP_KEPT = 'from-environment';
    const appDir = makeAppDir({
      localSettings: {
        IsEncrypted: false,
        Values: {
          RUNTIME_APP_GREETING: 'from-settings',
          RUNTIME_APP_KEPT: 'from-file',
          RUNTIME_APP_NUMBER: 42,
          NODE_OPTIONS: '--max-old-space-size=64',
        },
      },
    });
    const rt = await startTestRuntime({ appDir });
    try {
      const get = async (name: string): Promise<unknown> =>
        ((await (await fetch(`${rt.baseUrl}/api/setting/${name}`)).json()) as { value: unknown }).value;
      assert.equal(await get('GREETING'), 'from-settings');
      assert.equal(await get('KEPT'), 'from-environment');
      assert.equal(await get('NUMBER'), '42');
      const warning = rt.logs.find((e) => e.event === 'settings.node-variable');
      assert.equal(warning?.setting, 'NODE_OPTIONS');
      assert.match(String(warning?.message), /Node reads NODE_\* variables only at start-up/);
      assert.equal(rt.services.resolveSetting('queue-%RUNTIME_APP_GREETING%'), 'queue-from-settings');
      assert.throws(
        () => rt.services.resolveSetting('%RUNTIME_APP_MISSING%'),
        /%RUNTIME_APP_MISSING% names an app setting that is not set/,
      );
      // Values never appear in logs.
      assert.ok(!JSON.stringify(rt.logs).includes('from-settings'));
    } finally {
      await rt.stop();
      delete process.env.RUNTIME_APP_KEPT;
    }
    assert.equal(process.env.RUNTIME_APP_GREETING, undefined, 'injected settings are removed on stop');
  });

  test('host.json routePrefix is honoured; settings not implemented are reported', async () => {
    const appDir = makeAppDir({
      hostJson: {
        version: '2.0',
        functionTimeout: '00:05:00',
        logging: { logLevel: { default: 'Information' } },
        extensions: { http: { routePrefix: 'v1', maxConcurrentRequests: 10 }, serviceBus: { maxConcurrentCalls: 4 } },
      },
    });
    const rt = await startTestRuntime({ appDir });
    try {
      assert.equal((await fetch(`${rt.baseUrl}/v1/hello`)).status, 200);
      assert.equal((await fetch(`${rt.baseUrl}/api/hello`)).status, 404);
      assert.deepEqual((rt.services.hostJson.extensions as { serviceBus: unknown }).serviceBus, {
        maxConcurrentCalls: 4,
      });
      const ignored = rt.logs.find((e) => e.event === 'settings.host-json-ignored');
      assert.deepEqual(ignored?.settings, ['functionTimeout', 'logging', 'extensions.http.maxConcurrentRequests']);
      assert.ok(rt.functions.some((f) => f.source === 'GET /v1/hello [anonymous]'));
    } finally {
      await rt.stop();
    }
  });

  test('an empty routePrefix serves functions at the root, next to the runtime endpoints', async () => {
    const rt = await startTestRuntime({
      appDir: makeAppDir({ hostJson: { version: '2.0', extensions: { http: { routePrefix: '' } } } }),
    });
    try {
      assert.equal(await (await fetch(`${rt.baseUrl}/hello`)).text(), 'hello world');
      assert.equal((await fetch(`${rt.baseUrl}/admin/health`)).status, 200);
    } finally {
      await rt.stop();
    }
  });

  test('bad settings fail start-up with a readable message', async () => {
    const broken = makeAppDir();
    writeFileSync(path.join(broken, 'local.settings.json'), '{"Values": {');
    await assert.rejects(startTestRuntime({ appDir: broken }), /local.settings.json is not valid JSON/);
    await assert.rejects(
      startTestRuntime({ appDir: makeAppDir({ localSettings: { Values: { A: { nested: true } } } }) }),
      /"Values.A" .* must be a string/,
    );
    await assert.rejects(
      startTestRuntime({ appDir: makeAppDir({ localSettings: { IsEncrypted: true, Values: {} } }) }),
      /is encrypted/,
    );
    await assert.rejects(startTestRuntime({ appDir: makeAppDir({ hostJson: { version: '1.0' } }) }), /needs "2.0"/);
    await assert.rejects(
      startTestRuntime({ env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: 'lots' } }),
      /FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes/,
    );
    assert.equal(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, undefined);
  });
});
