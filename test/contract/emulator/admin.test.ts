/**
 * Contract: the admin API's directory and Event Grid management, and attribution of out-of-band changes (drifts
 * applied at seeding reach the subscriptions configured at start, with the actor's claims).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import {
  notifications,
  probeModule,
  startWebhook,
  tempStateDir,
  testWorld,
  waitFor,
  type Webhook,
} from './core-helpers';

const world = testWorld();
const PIPELINE_APP = 'c1668f6c-5b42-4098-a44a-b87b56c1e998';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const STORAGE = `/subscriptions/${world.subscriptionId}/resourceGroups/rg-fraud-ml/providers/Microsoft.Storage/storageAccounts/stfraudraw`;

type ArmError = { error: { code: string } };

describe('emulator: admin API', () => {
  let emu: RunningEmulator;
  let state: ReturnType<typeof tempStateDir>;
  let hook: Webhook;

  before(async () => {
    state = tempStateDir();
    hook = await startWebhook();
    emu = await startEmulator({
      port: 0,
      stateDir: state.dir,
      world: { ...world, drifts: [{ kind: 'probeDrift', id: 'd-1', actor: GRACE, resourceId: STORAGE }] },
      modules: [probeModule()],
      retryScale: 0.001,
      pollIntervalMs: 10,
      eventSubscriptions: [
        { name: 'seed-events', topic: `/subscriptions/${world.subscriptionId}`, endpointUrl: hook.url },
      ],
    });
  });
  after(async () => {
    await emu.stop();
    await hook.close();
    state.cleanup();
  });

  test('drifts applied at seeding reach the subscriptions configured at start, attributed to their actor', async () => {
    const hit = await waitFor(() => notifications(hook)[0], 'drift event');
    const [event] = JSON.parse(hit.body) as Array<{
      eventType: string;
      subject: string;
      data: { claims: Record<string, string> };
    }>;
    assert.equal(event!.eventType, 'Microsoft.Resources.ResourceWriteSuccess');
    assert.equal(event!.subject, STORAGE);
    assert.equal(event!.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], GRACE);
    assert.equal(
      event!.data.claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'],
      'grace@contoso.example',
    );
    assert.equal(event!.data.claims.appid, 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c');
  });

  test('client secrets are returned once, listed by hint only, and stored for local tools on request', async () => {
    const created = await emu.admin('POST', `/admin/apps/${PIPELINE_APP}/secrets`, {
      displayName: 'ci',
      expiresInDays: 30,
      store: true,
    });
    assert.equal(created.status, 201);
    const body = created.body as {
      secret: string;
      secretId: string;
      hint: string;
      expiresAt: string;
      storedIn: string;
    };
    assert.equal(body.hint, body.secret.slice(0, 3));
    assert.ok(Date.parse(body.expiresAt) > Date.now());
    const listed = (await emu.admin('GET', `/admin/apps/${PIPELINE_APP}/secrets`)).body as {
      value: Array<Record<string, unknown>>;
    };
    assert.equal(listed.value.length, 1);
    assert.ok(!('secret' in listed.value[0]!));
    assert.ok(!JSON.stringify(listed).includes(body.secret));
    const stored = JSON.parse(readFileSync(body.storedIn, 'utf8')) as {
      apps: Record<string, string>;
      users: Record<string, string>;
    };
    assert.equal(stored.apps[PIPELINE_APP], body.secret);
    assert.ok(stored.users['grace@contoso.example']);
    assert.equal((await emu.admin('DELETE', `/admin/apps/${PIPELINE_APP}/secrets/${body.secretId}`)).status, 200);
    assert.equal((await emu.admin('DELETE', `/admin/apps/${PIPELINE_APP}/secrets/${body.secretId}`)).status, 204);
    const mi = await emu.admin('POST', `/admin/apps/${world.warden!.appId}/secrets`, {});
    assert.equal(mi.status, 400);
    assert.equal((await emu.admin('POST', '/admin/apps/00000000-0000-0000-0000-000000000000/secrets', {})).status, 404);
  });

  test('app registrations and app role assignments are validated', async () => {
    const apps = (await emu.admin('GET', '/admin/apps')).body as {
      value: Array<{ appId: string; identifierUris: string[] }>;
    };
    assert.ok(apps.value.some((a) => a.identifierUris.includes('api://warden')));
    const api = world.warden!.api!.appId;
    const unknownRole = await emu.admin('POST', '/admin/appRoleAssignments', {
      principalId: GRACE,
      appId: api,
      role: 'Warden.God',
    });
    assert.equal(unknownRole.status, 400);
    const unknownPrincipal = await emu.admin('POST', '/admin/appRoleAssignments', {
      principalId: '00000000-0000-0000-0000-000000000001',
      appId: api,
      role: 'Warden.Reader',
    });
    assert.equal((unknownPrincipal.body as ArmError).error.code, 'PrincipalNotFound');
    assert.equal(
      (
        await emu.admin('POST', '/admin/appRoleAssignments', {
          principalId: GRACE,
          appId: api,
          role: 'Warden.PolicyAdmin',
        })
      ).status,
      201,
    );
    const list = (await emu.admin('GET', '/admin/appRoleAssignments')).body as {
      value: Array<{ principalId: string; role: string }>;
    };
    assert.ok(list.value.some((a) => a.principalId === GRACE && a.role === 'Warden.PolicyAdmin'));
    const del = await emu.admin(
      'DELETE',
      `/admin/appRoleAssignments?principalId=${GRACE}&appId=${api}&role=Warden.PolicyAdmin`,
    );
    assert.equal(del.status, 200);
    const both = await emu.admin('POST', '/admin/tokens', {
      principalId: GRACE,
      clientId: PIPELINE_APP,
      resource: 'https://management.azure.com',
    });
    assert.equal(both.status, 400);
    const group = await emu.admin('POST', '/admin/tokens', {
      principalId: '95d764b4-de42-46a3-bb72-8b382714c04a',
      resource: 'https://management.azure.com',
    });
    assert.equal((group.body as ArmError).error.code, 'PrincipalNotFound');
  });

  test('topics list without keys; subscriptions validate their input', async () => {
    assert.equal((await emu.admin('PUT', '/admin/eventgrid/topics/t-admin', {})).status, 201);
    assert.equal((await emu.admin('PUT', '/admin/eventgrid/topics/t-admin', {})).status, 200);
    const topics = (await emu.admin('GET', '/admin/eventgrid/topics')).body as {
      value: Array<Record<string, unknown>>;
    };
    assert.ok(topics.value.every((t) => !('key1' in t) && !('key2' in t)));
    assert.equal((await emu.admin('PUT', '/admin/eventgrid/topics/x', {})).status, 400);
    const sub = (body: Record<string, unknown>) =>
      emu.admin('PUT', '/admin/eventgrid/subscriptions/s-admin', {
        topic: 't-admin',
        endpointUrl: hook.url,
        validate: false,
        ...body,
      });
    assert.equal((await sub({ endpointUrl: 'http://example.com/hook' })).status, 400);
    assert.equal((await sub({ maxDeliveryAttempts: 31 })).status, 400);
    assert.equal((await sub({ advancedFilters: [{ operatorType: 'StringIn' }] })).status, 400);
    assert.equal((await sub({ topic: 'no-such-topic' })).status, 404);
    assert.equal((await sub({})).status, 201);
    assert.equal((await emu.admin('DELETE', '/admin/eventgrid/subscriptions/s-admin')).status, 200);
    assert.equal((await emu.admin('DELETE', '/admin/eventgrid/subscriptions/s-admin')).status, 204);
  });
});
