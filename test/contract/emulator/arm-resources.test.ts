/**
 * Generic resources through `@azure/arm-resources` 8 (modular: `endpoint` only) and storage accounts through
 * `@azure/arm-storage` 21, with Warden's own least-privilege grants from the demo world: network posture of each
 * resource type, per-type PATCH rules, LROs in both forms, the events ARM emits, the admin API's out-of-band
 * changes, and ARM's answers to bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ResourceManagementClient } from '@azure/arm-resources';
import { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/identity';

import {
  ARM_SCOPE,
  type ArmTestBed,
  assertCoversShape,
  clientOptions,
  fixture,
  raw,
  startArmTestBed,
} from './arm-helpers';

const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const MALLORY = 'bf92cd29-2eee-4e3b-9d96-85a7d1118887';
const o = { updateIntervalInMs: 5 };

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
}

async function rejects(p: Promise<unknown>, status: number, code: string): Promise<RestErrorLike> {
  try {
    await p;
  } catch (e) {
    const err = e as RestErrorLike;
    assert.equal(err.statusCode, status, `${err.code}: ${err.message}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${status} ${code}`);
}

type Props = Record<string, unknown> & {
  publicNetworkAccess?: string;
  networkAcls?: { defaultAction?: string; ipRules?: Array<{ value: string }> };
  provisioningState?: string;
  connectVia?: { referenceName: string };
};

describe('ARM generic resources and storage accounts through the modular SDK clients', () => {
  let bed: ArmTestBed;
  let warden: ResourceManagementClient;
  let wardenCred: TokenCredential;
  let owner: ResourceManagementClient;
  let ada: ResourceManagementClient;
  let ids: Record<'st' | 'kv' | 'mlw' | 'dbw' | 'sql' | 'ls', string>;
  const resources = (c: TokenCredential) => new ResourceManagementClient(c, bed.sub, clientOptions(bed));
  const token = async (c: TokenCredential) => (await c.getToken(ARM_SCOPE))!.token;

  before(async () => {
    bed = await startArmTestBed();
    wardenCred = bed.mintedCredential(bed.world.warden!.principalId);
    warden = resources(wardenCred);
    ada = resources(bed.mintedCredential(ADA));
    const app = await bed.newApp('contract-owner');
    const added = await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: bed.rg,
      principalId: app.principalId,
      role: 'Owner',
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    owner = resources(app.credential);
    const p = `${bed.rg}/providers`;
    ids = {
      st: `${p}/Microsoft.Storage/storageAccounts/stfraudraw`,
      kv: `${p}/Microsoft.KeyVault/vaults/kv-fraud-ml`,
      mlw: `${p}/Microsoft.MachineLearningServices/workspaces/mlw-fraud`,
      dbw: `${p}/Microsoft.Databricks/workspaces/dbw-fraud`,
      sql: `${p}/Microsoft.Sql/servers/sql-onprem-mirror`,
      ls: `${p}/Microsoft.DataFactory/factories/adf-fraud/linkedservices/ls-onprem-transactions`,
    };
  });
  after(async () => {
    await bed?.stop();
  });

  test('the seeded world, with the drift applied: the raw-data account is open to the internet', async () => {
    const st = await warden.resources.getById(ids.st, '2026-09-01');
    const props = st.properties as Props;
    assert.equal(st.type, 'Microsoft.Storage/storageAccounts');
    assert.equal(props.publicNetworkAccess, 'Enabled');
    assert.equal(props.networkAcls?.defaultAction, 'Allow');
    assert.deepEqual(
      props.networkAcls?.ipRules?.map((r) => r.value),
      ['203.0.113.0/24'],
    );
    // Warden holds no resource-group read or listing (least privilege: its roles carry only the actions its activities
    // declare); the group's Owner reads and lists it.
    const rg = await owner.resourceGroups.get('rg-fraud-ml');
    assert.equal(rg.location, bed.world.location);
    const listed = [];
    for await (const r of owner.resources.listByResourceGroup('rg-fraud-ml')) listed.push(r);
    for (const id of [ids.st, ids.kv, ids.mlw, ids.dbw, ids.sql])
      assert.ok(
        listed.some((r) => r.id === id),
        id,
      );
    assert.ok(!listed.some((r) => r.id === ids.ls), 'proxy resources (linked services) are not listed');
    const vaults = [];
    for await (const r of owner.resources.listByResourceGroup('rg-fraud-ml', {
      filter: "resourceType eq 'Microsoft.KeyVault/vaults'",
    })) {
      vaults.push(r.name);
    }
    assert.deepEqual(vaults, ['kv-fraud-ml']);
  });

  test('storage accounts through @azure/arm-storage: getProperties, update (PATCH 200), private endpoint connections', async () => {
    const storage = new StorageManagementClient(wardenCred, bed.sub, clientOptions(bed));
    const before = await storage.storageAccounts.getProperties('rg-fraud-ml', 'stfraudraw');
    assert.equal(before.publicNetworkAccess, 'Enabled');
    assert.equal(before.networkRuleSet?.ipRules?.[0]?.iPAddressOrRange, '203.0.113.0/24');
    const updated = await storage.storageAccounts.update('rg-fraud-ml', 'stfraudraw', {
      publicNetworkAccess: 'Disabled',
      networkRuleSet: { defaultAction: 'Deny', bypass: 'AzureServices', ipRules: [], virtualNetworkRules: [] },
    });
    assert.equal(updated.publicNetworkAccess, 'Disabled');
    assert.equal(updated.networkRuleSet?.defaultAction, 'Deny');
    const again = await storage.storageAccounts.getProperties('rg-fraud-ml', 'stfraudraw');
    assert.equal(again.publicNetworkAccess, 'Disabled', 'the change stuck');
    assert.deepEqual(again.networkRuleSet?.ipRules, []);
    assert.equal(again.allowSharedKeyAccess, true, 'properties not in the PATCH are kept');
    const pecs = [];
    for await (const c of storage.privateEndpointConnections.list('rg-fraud-ml', 'stfraudraw')) pecs.push(c);
    assert.equal(pecs.length, 1);
    assert.equal(pecs[0]?.privateLinkServiceConnectionState?.status, 'Approved');
    assert.match(pecs[0]?.privateEndpoint?.id ?? '', /privateEndpoints\/pe-stfraudraw-blob$/);
    const event = await bed.events.waitFor(
      (e) =>
        e.subject === ids.st &&
        e.data.operationName === 'Microsoft.Storage/storageAccounts/write' &&
        e.data.httpRequest?.method === 'PATCH',
      'storage write',
    );
    assert.equal(event.eventType, 'Microsoft.Resources.ResourceWriteSuccess');
    assert.equal(event.data.authorization.evidence?.role, 'Warden Network Enforcer');
    assert.equal(event.data.resourceProvider, 'Microsoft.Storage');
    assertCoversShape(fixture<unknown[]>('ResourceWriteSuccess.json')[0], event);
  });

  test("storage account update answers with every field of Azure's documented example", async () => {
    const example = fixture<{
      parameters: { parameters: unknown };
      responses: { 200: { body: { properties: Record<string, unknown>; tags: unknown } } };
    }>('StorageAccountUpdate.json');
    const r = await raw(bed, 'PATCH', `${ids.st}?api-version=2025-01-01`, {
      token: await token(wardenCred),
      body: JSON.stringify(example.parameters.parameters),
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const expected = structuredClone(example.responses['200'].body);
    // Geo-redundant SKUs only (the example is Standard_GRS; the demo account is Standard_ZRS).
    delete expected.properties.secondaryLocation;
    delete expected.properties.statusOfSecondary;
    expected.tags = {};
    assertCoversShape(expected, r.body);
    const props = r.body.properties as Props & {
      sasPolicy?: unknown;
      networkAcls: { resourceAccessRules?: unknown[]; bypass?: string };
    };
    assert.deepEqual(props.sasPolicy, { expirationAction: 'Log', sasExpirationPeriod: '1.15:59:59' });
    assert.equal(props.networkAcls.bypass, 'AzureServices', 'networkAcls is replaced as a whole, with defaults');
    assert.equal(props.networkAcls.resourceAccessRules?.length, 1);
  });

  test('Key Vault, SQL server and Azure ML workspace: PATCH merges network properties (200 at once)', async () => {
    const kv = await warden.resources.updateById(
      ids.kv,
      '2024-11-01',
      { properties: { publicNetworkAccess: 'Enabled' } },
      o,
    );
    assert.equal((kv.properties as Props).publicNetworkAccess, 'Enabled');
    assert.equal((kv.properties as Props).enableRbacAuthorization, true);
    const sql = await warden.resources.updateById(
      ids.sql,
      '2021-11-01',
      { properties: { publicNetworkAccess: 'Enabled' } },
      o,
    );
    assert.equal((sql.properties as Props).publicNetworkAccess, 'Enabled');
    assert.equal((sql.properties as Props).minimalTlsVersion, '1.2');
    const mlw = await warden.resources.updateById(
      ids.mlw,
      '2024-04-01',
      { properties: { publicNetworkAccess: 'Enabled' } },
      o,
    );
    assert.equal((mlw.properties as Props).publicNetworkAccess, 'Enabled');
    const read = await warden.resources.getById(ids.kv, '2026-02-01');
    assert.equal((read.properties as Props).publicNetworkAccess, 'Enabled');
  });

  test('Databricks: PATCH takes only tags; network settings need a PUT of the whole workspace', async () => {
    await rejects(
      warden.resources.updateById(ids.dbw, '2026-01-01', { properties: { publicNetworkAccess: 'Enabled' } }, o),
      400,
      'EmulatorUnsupported',
    );
    const tagged = await warden.resources.updateById(ids.dbw, '2026-01-01', { tags: { owner: 'warden' } }, o);
    assert.deepEqual(tagged.tags, { owner: 'warden' });
    const current = await warden.resources.getById(ids.dbw, '2026-01-01');
    const put = await warden.resources.createOrUpdateById(
      ids.dbw,
      '2026-01-01',
      {
        location: current.location,
        sku: current.sku,
        tags: current.tags,
        properties: { ...(current.properties as Props), publicNetworkAccess: 'Enabled', requiredNsgRules: 'AllRules' },
      },
      o,
    );
    const props = put.properties as Props;
    assert.equal(props.publicNetworkAccess, 'Enabled');
    assert.equal(props.provisioningState, 'Succeeded');
    assert.equal(props.workspaceUrl, 'adb-5555555555555555.15.azuredatabricks.net', 'read-only properties are kept');
    await rejects(
      warden.resources.createOrUpdateById(
        ids.dbw,
        '2026-01-01',
        { location: 'eastus', sku: current.sku, properties: current.properties },
        o,
      ),
      409,
      'InvalidResourceLocation',
    );
  });

  test('Data Factory linked services: no PATCH; a PUT switches connectVia to the Azure integration runtime', async () => {
    await rejects(
      warden.resources.updateById(ids.ls, '2018-06-01', { properties: { description: 'x' } }, o),
      405,
      'HttpMethodNotAllowed',
    );
    const current = await warden.resources.getById(ids.ls, '2018-06-01');
    assert.equal((current.properties as Props).connectVia?.referenceName, 'shir-onprem');
    const put = await warden.resources.createOrUpdateById(
      ids.ls,
      '2018-06-01',
      {
        properties: {
          ...(current.properties as Props),
          connectVia: { referenceName: 'AutoResolveIntegrationRuntime', type: 'IntegrationRuntimeReference' },
        },
      },
      o,
    );
    assert.equal((put.properties as Props).connectVia?.referenceName, 'AutoResolveIntegrationRuntime');
    await rejects(
      warden.resources.createOrUpdateById(ids.ls, '2018-06-01', { properties: { typeProperties: {} } }, o),
      400,
      'InvalidRequestContent',
    );
  });

  test('least privilege: a Reader reads but cannot write; Warden cannot delete what it may only configure', async () => {
    const st = await ada.resources.getById(ids.st, '2026-09-01');
    assert.equal(st.name, 'stfraudraw');
    const err = await rejects(
      ada.resources.updateById(ids.st, '2026-09-01', { properties: { publicNetworkAccess: 'Enabled' } }, o),
      403,
      'AuthorizationFailed',
    );
    assert.match(
      err.message,
      /with object id '6690be11-5387-4f81-9be0-9eba69a0dd12' does not have authorization to perform action 'Microsoft\.Storage\/storageAccounts\/write'/,
    );
    await rejects(warden.resources.deleteById(ids.sql, '2021-11-01', o), 403, 'AuthorizationFailed');
  });

  test('LROs, synchronous form: PUT 201 Succeeded, DELETE 200 then 204, each with its event', async () => {
    const id = `${bed.rg}/providers/Microsoft.KeyVault/vaults/kv-sync-test`;
    const created = await owner.resources.createOrUpdateById(
      id,
      '2024-11-01',
      { location: 'westeurope', properties: { tenantId: bed.world.tenantId } },
      o,
    );
    assert.equal((created.properties as Props).provisioningState, 'Succeeded');
    assert.equal((created.properties as Props).vaultUri, 'https://kv-sync-test.vault.azure.net/');
    await owner.resources.deleteById(id, '2024-11-01', o);
    await rejects(owner.resources.getById(id, '2024-11-01'), 404, 'ResourceNotFound');
    await owner.resources.deleteById(id, '2024-11-01', o);
    const del = await bed.events.waitFor(
      (e) => e.subject === id && e.eventType === 'Microsoft.Resources.ResourceDeleteSuccess',
      'vault delete',
    );
    assert.equal(del.data.operationName, 'Microsoft.KeyVault/vaults/delete');
    assert.equal(del.data.httpRequest?.method, 'DELETE');
  });

  test('LROs, asynchronous form (Azure-AsyncOperation + Location): PUT, PATCH and DELETE complete through the pollers', async () => {
    await bed.admin('PUT', '/admin/arm/settings', { lro: { 'Microsoft.KeyVault/vaults': 'async' }, lroPolls: 2 });
    try {
      const id = `${bed.rg}/providers/Microsoft.KeyVault/vaults/kv-async-test`;
      const created = await owner.resources.createOrUpdateById(
        id,
        '2024-11-01',
        { location: 'westeurope', properties: {} },
        o,
      );
      assert.equal((created.properties as Props).provisioningState, 'Succeeded');
      const write = await bed.events.waitFor(
        (e) => e.subject === id && e.eventType === 'Microsoft.Resources.ResourceWriteSuccess',
        'async create',
      );
      assert.equal(write.data.operationName, 'Microsoft.KeyVault/vaults/write');
      const patched = await owner.resources.updateById(
        id,
        '2024-11-01',
        { properties: { publicNetworkAccess: 'Disabled' } },
        o,
      );
      assert.equal((patched.properties as Props).publicNetworkAccess, 'Disabled');
      assert.equal((patched.properties as Props).provisioningState, 'Succeeded');
      // The raw first answer, as ARM gives it.
      const first = await raw(bed, 'PATCH', `${id}?api-version=2024-11-01`, {
        token: await token(wardenCred),
        body: JSON.stringify({ tags: { a: 'b' } }),
      });
      assert.equal(first.status, 202);
      assert.match(
        String(first.headers['azure-asyncoperation']),
        /\/operationStatuses\/[0-9a-f-]+\?api-version=2024-11-01$/,
      );
      assert.match(String(first.headers.location), /kv-async-test\?api-version=2024-11-01$/);
      await owner.resources.deleteById(id, '2024-11-01', o);
      await rejects(owner.resources.getById(id, '2024-11-01'), 404, 'ResourceNotFound');
    } finally {
      await bed.admin('PUT', '/admin/arm/settings', { lro: { 'Microsoft.KeyVault/vaults': 'sync' }, lroPolls: null });
    }
  });

  test('admin API: out-of-band changes attributed to the caller, with the events ARM would emit', async () => {
    const caller = { 'x-emulator-caller': MALLORY };
    const pna = await bed.admin('POST', '/admin/arm/resources/public-network-access', { resourceId: ids.sql }, caller);
    assert.equal(pna.status, 200, JSON.stringify(pna.body));
    const ip = await bed.admin(
      'POST',
      '/admin/arm/resources/ip-rules',
      { resourceId: ids.kv, value: '198.51.100.7' },
      caller,
    );
    assert.equal(ip.status, 200, JSON.stringify(ip.body));
    const ir = await bed.admin(
      'POST',
      '/admin/arm/linked-services/azure-integration-runtime',
      { resourceId: ids.ls },
      caller,
    );
    assert.equal(ir.status, 200, JSON.stringify(ir.body));
    const kv = await warden.resources.getById(ids.kv, '2024-11-01');
    assert.ok((kv.properties as Props).networkAcls?.ipRules?.some((r) => r.value === '198.51.100.7'));
    const e = await bed.events.waitFor(
      (x) =>
        x.subject === ids.sql &&
        x.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'] === MALLORY,
      'out-of-band SQL change by Mallory',
    );
    assert.equal(e.data.operationName, 'Microsoft.Sql/servers/write');
    assert.equal(e.data.httpRequest, undefined, 'no ARM request behind an out-of-band change');
    const bad = await bed.admin('POST', '/admin/arm/resources/ip-rules', { resourceId: ids.st }, caller);
    assert.equal(bad.status, 400);
  });

  test('bad input: api-versions, bodies, content types, unknown types, unimplemented operations', async () => {
    const t = await token(wardenCred);
    await rejects(warden.resources.getById(ids.st, '2019-01-01'), 400, 'NoRegisteredProviderFound');
    const missing = await raw(bed, 'GET', ids.st, { token: t });
    assert.equal(missing.body.error?.code, 'MissingApiVersionParameter');
    const malformed = await raw(bed, 'PATCH', `${ids.kv}?api-version=2024-11-01`, {
      token: t,
      body: '{"properties": ',
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error?.code, 'InvalidRequestContent');
    const notObject = await raw(bed, 'PATCH', `${ids.kv}?api-version=2024-11-01`, { token: t, body: '[1,2]' });
    assert.equal(notObject.body.error?.code, 'InvalidRequestContent');
    const wrongType = await raw(bed, 'PATCH', `${ids.kv}?api-version=2024-11-01`, {
      token: t,
      body: 'publicNetworkAccess=Enabled',
      contentType: 'text/plain',
    });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.body.error?.code, 'UnsupportedMediaType');
    const badValue = await raw(bed, 'PATCH', `${ids.kv}?api-version=2024-11-01`, {
      token: t,
      body: JSON.stringify({ properties: { publicNetworkAccess: 'Sometimes' } }),
    });
    assert.equal(badValue.status, 400);
    assert.match(badValue.body.error?.message ?? '', /Sometimes/);
    await rejects(
      warden.resources.getById(`${bed.rg}/providers/Microsoft.Storage/fooAccounts/x`, '2026-09-01'),
      400,
      'InvalidResourceType',
    );
    await rejects(
      warden.resources.getById(`${bed.rg}/providers/Microsoft.Compute/virtualMachines/vm1`, '2024-07-01'),
      400,
      'EmulatorUnsupported',
    );
    await rejects(
      warden.resources.getById(`${bed.rg}/providers/Microsoft.Storage/storageAccounts/nope`, '2026-09-01'),
      404,
      'ResourceNotFound',
    );
    // Outside its grants Warden gets 403 ("or the scope is invalid"), as in Azure; the break-glass Owner sees the 404.
    const nope = `/subscriptions/${bed.sub}/resourceGroups/rg-nope/providers/Microsoft.Storage/storageAccounts/x`;
    await rejects(warden.resources.getById(nope, '2026-09-01'), 403, 'AuthorizationFailed');
    const breakGlass = resources(bed.mintedCredential('384bd70d-4052-490d-ac25-1c57e9f8dc5b'));
    await rejects(breakGlass.resources.getById(nope, '2026-09-01'), 404, 'ResourceGroupNotFound');
    const owner403 = await raw(bed, 'POST', `${ids.st}/listKeys?api-version=2026-09-01`, {
      token: await token(bed.mintedCredential(bed.world.warden!.principalId)),
    });
    assert.equal(owner403.status, 501, JSON.stringify(owner403.body));
    assert.equal(owner403.body.error?.code, 'EmulatorNotImplemented');
    assert.match(owner403.body.error?.message ?? '', /Microsoft\.Storage\/storageAccounts\/listKeys\/action/);
    const endpoint = `${ids.mlw}/onlineEndpoints/fraud-scoring`;
    const ep = await owner.resources.getById(endpoint, '2022-10-01');
    assert.equal((ep.properties as Props & { traffic: Record<string, number> }).traffic.blue, 100);
    // Online endpoint writes are implemented (emulator/ml adds traffic validation on top): a PATCH of tags succeeds.
    const patched = await owner.resources.updateById(endpoint, '2022-10-01', { tags: { a: 'b' } }, o);
    assert.deepEqual(patched.tags, { a: 'b' });
  });
});
