/**
 * Contract: the emulator's core — TLS material, request parsing (§0.3 of the API-surface note), Azure-shaped errors
 * for bad input, the admin key, the shared clock file, reset, seeding with drifts, and endpoints.json.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { probeModule, request, tempStateDir, testWorld } from './core-helpers';

const world = testWorld();
const SUB = world.subscriptionId;

type ArmError = { error: { code: string; message: string } };

describe('emulator: core', () => {
  let emu: RunningEmulator;
  let state: ReturnType<typeof tempStateDir>;
  const clockFile = () => path.join(state.dir, 'clock.json');

  before(async () => {
    state = tempStateDir();
    emu = await startEmulator({
      port: 0,
      stateDir: state.dir,
      world,
      modules: [probeModule()],
      maxBodyBytes: 2048,
      testClock: false,
      clockFile: path.join(state.dir, 'clock.json'),
    });
  });
  after(async () => {
    await emu.stop();
    state.cleanup();
  });

  test('serves HTTPS trusted through its CA for 127.0.0.1 and localhost; the CA is kept across restarts', async () => {
    assert.equal(emu.caCertPath, path.join(state.dir, 'ca.pem'));
    const r = await request(
      emu.baseUrl,
      emu.caCert,
      'GET',
      `/${world.tenantId}/v2.0/.well-known/openid-configuration`,
      { host: 'localhost' },
    );
    assert.equal(r.status, 200);
    await assert.rejects(request(emu.baseUrl, '', 'GET', '/'), /certificate|self-signed|unable to verify/i);
    // a second start on the same state dir reuses the CA (the trust configured once keeps working)
    const again = await startEmulator({ port: 0, stateDir: state.dir, world });
    try {
      assert.equal(again.caCert, emu.caCert);
      assert.equal(again.endpoints.managedIdentity.IDENTITY_HEADER, emu.endpoints.managedIdentity.IDENTITY_HEADER);
    } finally {
      await again.stop();
    }
  });

  test('collapses repeated slashes, matches ARM segments case-insensitively, decodes query keys and $filter', async () => {
    const r = await request(
      emu.baseUrl,
      emu.caCert,
      'GET',
      `//subscriptions/${SUB}/resourcegroups/rg-fraud-ml//providers/microsoft.probe/ECHO/n1?api%2Dversion=2022-04-01&$filter=atScope()%20and%20principalId%20eq%20%27abc%27`,
      { headers: { 'x-ms-client-request-id': 'c0ffee00-0000-4000-8000-000000000001' } },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      path: `/subscriptions/${SUB}/resourcegroups/rg-fraud-ml/providers/microsoft.probe/ECHO/n1`,
      scope: `/subscriptions/${SUB}/resourcegroups/rg-fraud-ml`,
      name: 'n1',
      apiVersion: '2022-04-01',
      filter: "atScope() and principalId eq 'abc'",
      body: null,
    });
    assert.equal(r.headers['x-ms-client-request-id'], 'c0ffee00-0000-4000-8000-000000000001');
    assert.ok(r.headers['x-ms-request-id']);
    assert.ok(r.headers['x-ms-correlation-request-id']);
    const put = await request(
      emu.baseUrl,
      emu.caCert,
      'PUT',
      `/subscriptions/${SUB}/providers/Microsoft.Probe/echo/n2?api-version=1`,
      {
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"properties":{"a":1}}',
      },
    );
    assert.deepEqual((put.json as { body: unknown }).body, { properties: { a: 1 } });
  });

  test('unknown routes, wrong methods, malformed bodies, wrong content types and oversized requests get Azure status codes and bodies', async () => {
    const unknown = await request(emu.baseUrl, emu.caCert, 'GET', '/no/such/thing');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json as ArmError).error.code, 'NotFound');
    const type = await request(
      emu.baseUrl,
      emu.caCert,
      'GET',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Nope/things/x?api-version=2020-01-01`,
    );
    assert.equal(type.status, 404);
    assert.equal((type.json as ArmError).error.code, 'InvalidResourceType');
    assert.match((type.json as ArmError).error.message, /Microsoft\.Nope/);
    const method = await request(
      emu.baseUrl,
      emu.caCert,
      'DELETE',
      `/subscriptions/${SUB}/providers/Microsoft.Probe/echo/n1`,
    );
    assert.equal(method.status, 405);
    assert.equal((method.json as ArmError).error.code, 'HttpMethodNotAllowed');
    const p = `/subscriptions/${SUB}/providers/Microsoft.Probe/echo/n1?api-version=1`;
    const malformed = await request(emu.baseUrl, emu.caCert, 'PUT', p, {
      headers: { 'content-type': 'application/json' },
      body: '{"properties":',
    });
    assert.equal(malformed.status, 400);
    assert.equal((malformed.json as ArmError).error.code, 'InvalidRequestContent');
    const ct = await request(emu.baseUrl, emu.caCert, 'PUT', p, {
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(ct.status, 415);
    assert.equal((ct.json as ArmError).error.code, 'UnsupportedMediaType');
    const big = await request(emu.baseUrl, emu.caCert, 'PUT', p, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(4096) }),
    });
    assert.equal(big.status, 413);
    assert.equal((big.json as ArmError).error.code, 'RequestEntityTooLarge');
    const ni = await request(emu.baseUrl, emu.caCert, 'GET', '/test/not-implemented');
    assert.equal(ni.status, 501);
    assert.equal((ni.json as ArmError).error.code, 'EmulatorNotImplemented');
    assert.match((ni.json as ArmError).error.message, /Microsoft\.Probe\/things\/listKeys\/action/);
    const enc = await request(emu.baseUrl, emu.caCert, 'GET', '/subscriptions/%E0%A4%A/x');
    assert.equal(enc.status, 400);
  });

  test('modules can open extra origins (one per Key Vault), stable across restarts', async () => {
    const dir = tempStateDir();
    try {
      // no resource-provider modules: they open origins of their own (vaults, Monitor), this checks the core seam
      const first = await startEmulator({ port: 0, stateDir: dir.dir, world, modules: [] });
      const a = await first.emulator.openOrigin('vault-a');
      a.router.get('/secrets/{name}', (req) => ({
        status: 200,
        body: { id: `${a.origin}/secrets/${req.params.name}`, url: req.url },
      }));
      assert.notEqual(a.origin, first.baseUrl);
      assert.equal((await first.emulator.openOrigin('vault-a')).origin, a.origin);
      const got = await request(a.origin, first.caCert, 'GET', '/secrets/db-password?api%2Dversion=2026-04-01');
      assert.equal(got.status, 200);
      assert.deepEqual(got.json, {
        id: `${a.origin}/secrets/db-password`,
        url: `${a.origin}/secrets/db-password?api%2Dversion=2026-04-01`,
      });
      const missing = await request(a.origin, first.caCert, 'GET', '/nope');
      assert.equal(missing.status, 404);
      // the main origin does not serve the extra origin's routes
      assert.equal((await request(first.baseUrl, first.caCert, 'GET', '/secrets/db-password')).status, 404);
      const file = first.emulator.writeEndpointsFile();
      assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as { origins: Record<string, string> }).origins, {
        'vault-a': a.origin,
      });
      await first.stop();
      const second = await startEmulator({ port: 0, stateDir: dir.dir, world, modules: [] });
      try {
        assert.equal((await second.emulator.openOrigin('vault-a')).origin, a.origin);
      } finally {
        await second.stop();
      }
    } finally {
      dir.cleanup();
    }
  });

  test('the admin API requires the admin key', async () => {
    const none = await request(emu.baseUrl, emu.caCert, 'GET', '/admin/apps');
    assert.equal(none.status, 401);
    assert.equal((none.json as ArmError).error.code, 'AdminKeyRequired');
    const wrong = await request(emu.baseUrl, emu.caCert, 'GET', '/admin/apps', {
      headers: { 'x-emulator-admin-key': 'nope' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(readFileSync(path.join(state.dir, 'admin-key'), 'utf8').trim(), emu.adminKey);
    const ok = await request(emu.baseUrl, emu.caCert, 'GET', '/admin/apps', {
      headers: { 'x-emulator-admin-key': emu.adminKey },
    });
    assert.equal(ok.status, 200);
    const bad = await emu.admin('PUT', '/admin/apps/not-a-guid-app', { displayName: 3 });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as ArmError).error.code, 'InvalidRequestContent');
  });

  test('the clock follows the shared clock file; advancing needs test mode', async () => {
    const before = (await emu.admin('GET', '/admin/clock')).body as { offsetMs: number; advanceable: boolean };
    assert.equal(before.advanceable, false);
    assert.ok(Math.abs(before.offsetMs) < 1000);
    const tmp = `${clockFile()}.tmp`;
    writeFileSync(tmp, JSON.stringify({ offsetMs: 86_400_000 }));
    const { renameSync } = await import('node:fs');
    renameSync(tmp, clockFile());
    await new Promise((r) => setTimeout(r, 60));
    const after = (await emu.admin('GET', '/admin/clock')).body as { offsetMs: number };
    assert.ok(Math.abs(after.offsetMs - 86_400_000) < 1000, `offset ${after.offsetMs}`);
    const refused = await emu.admin('POST', '/admin/clock/advance', { hours: 1 });
    assert.equal(refused.status, 409);
    writeFileSync(clockFile(), JSON.stringify({ offsetMs: 0 }));
  });

  test('reset wipes state and seeds again; drifts run through the modules after seeding', async () => {
    const app = 'c1668f6c-5b42-4098-a44a-b87b56c1e998';
    assert.equal((await emu.admin('POST', `/admin/apps/${app}/secrets`, {})).status, 201);
    assert.equal(((await emu.admin('GET', `/admin/apps/${app}/secrets`)).body as { value: unknown[] }).value.length, 1);
    const wiring = await emu.admin('PUT', '/admin/eventgrid/subscriptions/launcher-wiring', {
      topic: `/subscriptions/${SUB}`,
      endpointUrl: 'http://127.0.0.1:9/runtime/webhooks/eventgrid?functionName=f',
      validate: false,
    });
    assert.equal(wiring.status, 201);
    const r = await emu.admin('POST', '/admin/reset', {});
    assert.equal(r.status, 200);
    assert.equal(((await emu.admin('GET', `/admin/apps/${app}/secrets`)).body as { value: unknown[] }).value.length, 0);
    // the Event Grid wiring survives a reset
    assert.equal((await emu.admin('GET', '/admin/eventgrid/subscriptions/launcher-wiring')).status, 200);
    const principals = (await emu.admin('GET', '/admin/principals')).body as { value: Array<{ id: string }> };
    assert.ok(principals.value.some((p) => p.id === '6690be11-5387-4f81-9be0-9eba69a0dd12'));

    const dir = tempStateDir();
    try {
      const probe = probeModule();
      const drifted = await startEmulator({
        port: 0,
        stateDir: dir.dir,
        world: { ...world, drifts: [{ kind: 'probeDrift', id: 'd-1', actor: '6690be11-5387-4f81-9be0-9eba69a0dd12' }] },
        modules: [probe],
      });
      assert.deepEqual(
        probe.applied.map((d) => d.id),
        ['d-1'],
      );
      const file = drifted.emulator.writeEndpointsFile();
      const endpoints = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {
        managedIdentity: Record<string, string>;
      };
      assert.equal(endpoints.baseUrl, drifted.baseUrl);
      assert.equal(endpoints.caCertPath, path.join(dir.dir, 'ca.pem'));
      assert.equal(endpoints.managedIdentity.IDENTITY_ENDPOINT, `${drifted.baseUrl}/msi/token`);
      assert.equal(endpoints.managedIdentity.clientId, world.warden!.appId);
      assert.equal(endpoints.tenantId, world.tenantId);
      await drifted.stop();
      // deferred drifts are applied through the admin API once the caller is ready
      const deferDir = tempStateDir();
      const probe3 = probeModule();
      const deferred = await startEmulator({
        port: 0,
        stateDir: deferDir.dir,
        world: { ...world, drifts: [{ kind: 'probeDrift', id: 'd-2' }] },
        modules: [probe3],
        deferDrifts: true,
      });
      try {
        assert.equal(probe3.applied.length, 0);
        const applied = await deferred.admin('POST', '/admin/drifts', {});
        assert.deepEqual(applied.body, { applied: 1 });
        assert.deepEqual(
          probe3.applied.map((d) => d.id),
          ['d-2'],
        );
        const unknownKind = await deferred.admin('POST', '/admin/drifts', { drifts: [{ kind: 'martian' }] });
        assert.equal(unknownKind.status, 400);
      } finally {
        await deferred.stop();
        deferDir.cleanup();
      }
      // a restart on the same state dir does not seed again
      const probe2 = probeModule();
      const restarted = await startEmulator({
        port: 0,
        stateDir: dir.dir,
        world: { ...world, drifts: [{ kind: 'probeDrift', id: 'd-1' }] },
        modules: [probe2],
      });
      assert.equal(probe2.applied.length, 0);
      await restarted.stop();
    } finally {
      dir.cleanup();
    }
    const unknown = tempStateDir();
    try {
      await assert.rejects(
        startEmulator({ port: 0, stateDir: unknown.dir, world: { ...world, drifts: [{ kind: 'martian' }] } }),
        /No emulator module applies drifts of kind 'martian'/,
      );
    } finally {
      unknown.cleanup();
    }
  });
});
