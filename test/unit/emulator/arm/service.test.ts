/**
 * The ARM module without HTTP: seeding the demo world, drifts through the admin path, the RBAC hook other modules
 * use for data actions, and PIM expiry on the emulator clock — against an in-memory SQLite and a fake context.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { beforeEach, describe, test } from 'node:test';

import { armModule } from '../../../../emulator/arm';
import { storageAccounts } from '../../../../emulator/arm/providers/storage';
import type { ResourceTypeSpec } from '../../../../emulator/arm/providers/types';
import { ResourceHandlers } from '../../../../emulator/arm/resources';
import { ArmService, deterministicGuid } from '../../../../emulator/arm/service';
import type {
  AccessChecker,
  CallerIdentity,
  DemoWorld,
  DirectoryPrincipal,
  EmulatorContext,
  EmulatorRequest,
  ResourceEventInput,
  Router,
} from '../../../../emulator/core/module';

function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'warden')
        return dir;
    } catch {
      // walk up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

const world = JSON.parse(readFileSync(path.join(repoRoot(), 'demo/world.json'), 'utf8')) as DemoWorld;
const RG = `/subscriptions/${world.subscriptionId}/resourceGroups/rg-fraud-ml`;
const KV = `${RG}/providers/Microsoft.KeyVault/vaults/kv-fraud-ml`;
const ST = `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;

interface Fake {
  ctx: EmulatorContext;
  events: ResourceEventInput[];
  checker: () => AccessChecker | undefined;
  advance(ms: number): void;
}

function fakeContext(): Fake {
  const db = new DatabaseSync(':memory:');
  let now = Date.parse('2026-11-25T12:00:00Z');
  const principals = new Map<string, DirectoryPrincipal>();
  for (const p of world.principals ?? []) principals.set(p.id, { id: p.id, type: p.type, displayName: p.displayName });
  const w = world.warden!;
  principals.set(w.principalId, {
    id: w.principalId,
    type: 'ServicePrincipal',
    displayName: w.displayName,
    appId: w.appId,
  });
  const identityOf = (id: string): CallerIdentity => {
    const p = principals.get(id);
    if (!p) throw new Error(`unknown principal ${id}`);
    return {
      oid: id,
      tid: world.tenantId,
      principalType: p.type === 'User' ? 'User' : 'ServicePrincipal',
      aud: 'https://management.azure.com',
      claims: { oid: id, tid: world.tenantId },
    };
  };
  const events: ResourceEventInput[] = [];
  let checker: AccessChecker | undefined;
  const ctx: EmulatorContext = {
    db,
    clock: {
      now: () => now,
      nowIso: () => new Date(now).toISOString(),
      advanceable: true,
      advance: (ms) => (now += ms),
      onChange: () => () => undefined,
    },
    tenantId: world.tenantId,
    subscriptionId: world.subscriptionId,
    location: world.location ?? 'westeurope',
    baseUrl: 'https://127.0.0.1:1',
    directory: {
      getPrincipal: (id) => principals.get(id.toLowerCase()),
      listPrincipals: () => [...principals.values()],
      identityOf,
    },
    authenticate: () => {
      throw new Error('not over HTTP');
    },
    adminCaller: () => identityOf(principals.keys().next().value!),
    publishEvent: () => undefined,
    publishResourceEvent: (input) => {
      events.push(input);
      return {
        id: 'e',
        topic: '',
        subject: input.resourceUri,
        eventType: '',
        eventTime: '',
        data: {},
        dataVersion: '2',
      };
    },
    access: {
      register: (c) => {
        checker = c;
      },
      check: (caller, scope, action, options) => checker?.isAllowed(caller, scope, action, options),
    },
    log: () => undefined,
  };
  armModule.migrate!(db);
  return {
    ctx,
    events,
    checker: () => checker,
    advance: (ms) => {
      now += ms;
    },
  };
}

const noRouter: Router = {
  add: () => undefined,
  get: () => undefined,
  put: () => undefined,
  patch: () => undefined,
  post: () => undefined,
  delete: () => undefined,
};

describe('ARM module: seed, drifts, RBAC hook, PIM expiry', () => {
  let fake: Fake;
  let service: ArmService;

  beforeEach(async () => {
    fake = fakeContext();
    armModule.register(noRouter, fake.ctx);
    await armModule.seed!(world, fake.ctx);
    service = new ArmService(fake.ctx);
  });

  test('seeds every world resource, custom role and grant, silently', () => {
    const resources = service.store.listResources();
    for (const r of (world.azure as { resources: Array<{ id: string }> }).resources) {
      assert.ok(
        resources.some((x) => x.id.toLowerCase() === r.id.toLowerCase()),
        r.id,
      );
    }
    assert.ok(
      resources.some((r) => r.type === 'Microsoft.DataFactory/factories'),
      'the implicit parent factory',
    );
    for (const c of world.customRoles ?? [])
      assert.equal(service.store.getRoleDefinition(String(c.id))?.roleType, 'CustomRole');
    const w = world.warden!;
    for (const g of w.grants ?? []) {
      const def = service.resolveRole(g.role)!;
      const name = deterministicGuid(g.scope, w.principalId, def.name);
      assert.ok(service.store.getRoleAssignment(g.scope, name), `${g.role} at ${g.scope}`);
    }
    assert.equal(fake.events.length, 0, 'seeding emits no events');
  });

  test('drifts go through the admin path and emit events attributed to their actor', async () => {
    for (const d of world.drifts ?? []) await armModule.drifts![d.kind]!(d, fake.ctx);
    const ra = fake.events.find((e) => e.operationName === 'Microsoft.Authorization/roleAssignments/write');
    assert.equal(ra?.caller.oid, '6690be11-5387-4f81-9be0-9eba69a0dd12');
    assert.equal(
      ra?.resourceUri,
      `${RG}/providers/Microsoft.Authorization/roleAssignments/13b3a5c9-8a49-4739-852c-fd0d71ad6f11`,
    );
    const st = fake.events.find((e) => e.operationName === 'Microsoft.Storage/storageAccounts/write');
    assert.equal(st?.resourceUri, ST);
    assert.equal(st?.evidence, undefined, "the actor's Reader grant is no evidence for a write");
    assert.equal(ra?.evidence, undefined);
    const props = service.store.getResource(ST)!.properties as { publicNetworkAccess: string };
    assert.equal(props.publicNetworkAccess, 'Enabled');
  });

  test('the RBAC hook answers data actions for other modules (Key Vault data plane)', () => {
    const check = fake.checker();
    assert.ok(check);
    const warden = fake.ctx.directory.identityOf(world.warden!.principalId);
    const secretsSet = 'Microsoft.KeyVault/vaults/secrets/setSecret/action';
    assert.equal(check.isAllowed(warden, `${KV}/secrets/db-password`, secretsSet, { dataAction: true }), true);
    assert.equal(check.isAllowed(warden, `${KV}/secrets/db-password`, secretsSet), false, 'not a control-plane action');
    assert.equal(
      check.isAllowed(warden, ST, 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', {
        dataAction: true,
      }),
      false,
    );
    assert.equal(check.isAllowed(warden, ST, 'Microsoft.Storage/storageAccounts/listKeys/action'), true);
  });

  test('group grants reach members when the directory models membership (optional groupsOf)', () => {
    const grace = fake.ctx.directory.identityOf('b9cda072-27d0-4fb2-9769-cef0d3d47e1d');
    const group = '95d764b4-de42-46a3-bb72-8b382714c04a';
    service.createRoleAssignment(
      {
        scope: KV,
        name: '0c3a8f1e-0000-4000-8000-000000000001',
        roleDefinitionId: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
        principalId: group,
      },
      { caller: grace, silent: true },
    );
    const action = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';
    assert.equal(service.decide(grace, KV, action, true).allowed, false, 'no membership modelled: no access');
    (fake.ctx.directory as { groupsOf?: (id: string) => string[] }).groupsOf = (id) =>
      id === grace.oid ? [group] : [];
    const d = service.decide(grace, KV, action, true);
    assert.ok(d.allowed);
    assert.equal(d.evidence.principalType, 'Group');
    assert.equal(service.listAssignments(KV, { atScope: true, asTarget: false, assignedTo: grace.oid }).length, 1);
  });

  test('a PIM activation grants until its end on the emulator clock, then PIM removes it', () => {
    const ada = fake.ctx.directory.identityOf('6690be11-5387-4f81-9be0-9eba69a0dd12');
    const action = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';
    assert.equal(service.decide(ada, KV, action, true).allowed, false);
    service.activateRole(
      { principalId: ada.oid, role: 'Key Vault Secrets User', scope: KV, durationMinutes: 30 },
      { caller: ada },
    );
    assert.equal(service.decide(ada, KV, action, true).allowed, true);
    fake.advance(31 * 60_000);
    assert.equal(service.decide(ada, KV, action, true).allowed, false);
    assert.ok(
      fake.events.some(
        (e) => e.operationName === 'Microsoft.Authorization/roleAssignments/delete' && e.caller.oid === ada.oid,
      ),
    );
  });
});

describe('ARM module: the POST action extension point (what storage keys and Databricks tokens will plug into)', () => {
  test('an action added to a type is authorised with its RBAC action and emits ResourceActionSuccess', async () => {
    const fake = fakeContext();
    armModule.register(noRouter, fake.ctx);
    await armModule.seed!(world, fake.ctx);
    const service = new ArmService(fake.ctx);
    const handlers = new ResourceHandlers(service);
    const spec = storageAccounts as { actions?: ResourceTypeSpec['actions'] };
    const saved = spec.actions;
    spec.actions = {
      listkeys: {
        action: 'Microsoft.Storage/storageAccounts/listKeys/action',
        emitsEvent: true,
        handle: ({ resource }) => ({ status: 200, body: { keys: [{ keyName: 'key1', value: `k-${resource.name}` }] } }),
      },
    };
    try {
      const req = fakeRequest('POST', `${ST}/listKeys`, '2026-09-01');
      const warden = fake.ctx.directory.identityOf(world.warden!.principalId);
      const out = handlers.resource(req, warden);
      assert.equal(out.status, 200);
      assert.deepEqual(out.body, { keys: [{ keyName: 'key1', value: 'k-stfraudraw' }] });
      const e = fake.events.find((x) => x.kind === 'Action');
      assert.equal(e?.operationName, 'Microsoft.Storage/storageAccounts/listKeys/action');
      assert.equal(e?.resourceUri, ST);
      assert.equal(e?.evidence?.role, 'Storage Account Key Operator Service Role');
      const ada = fake.ctx.directory.identityOf('6690be11-5387-4f81-9be0-9eba69a0dd12');
      assert.throws(() => handlers.resource(req, ada), /AuthorizationFailed|does not have authorization/);
    } finally {
      spec.actions = saved;
    }
  });
});

function fakeRequest(method: string, p: string, apiVersion: string): EmulatorRequest {
  const query = new Map([['api-version', apiVersion]]);
  return {
    method,
    path: p,
    segments: p.split('/').filter(Boolean),
    params: {},
    query,
    queryAll: new URLSearchParams(`api-version=${apiVersion}`),
    apiVersion,
    headers: {},
    rawBody: Buffer.alloc(0),
    body: undefined,
    contentType: '',
    url: `https://127.0.0.1:1${p}?api-version=${apiVersion}`,
    clientIp: '127.0.0.1',
    clientRequestId: 'r1',
    correlationId: 'c1',
    header: () => undefined,
    queryParam: (name) => (name.toLowerCase() === 'api-version' ? apiVersion : undefined),
  };
}
