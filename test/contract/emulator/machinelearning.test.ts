/**
 * Contract: Azure ML through the real `AzureMachineLearningWorkspaces` client (@azure/arm-machinelearning 2.1.1,
 * api-version 2022-10-01) against the emulator — model versions with tags in `properties.tags`, online endpoints
 * whose traffic changes only by a full PUT (validated against the deployments), PATCH of tags, deployments,
 * endpoint keys, RBAC, both LRO forms, and the events the writes publish.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';

import { raw } from './arm-helpers';
import { BREAK_GLASS, type MlBed, rejectsWith, startMlBed } from './ml-monitor-helpers';

const WS = 'mlw-fraud';
const EP = 'fraud-scoring';

describe('emulator: Azure ML (arm-machinelearning 2.1.1)', () => {
  let bed: MlBed;
  let warden: AzureMachineLearningWorkspaces;
  let owner: AzureMachineLearningWorkspaces;
  const client = (principalId: string) =>
    new AzureMachineLearningWorkspaces(bed.credential(principalId), bed.sub, {
      endpoint: bed.endpoint,
      credentialScopes: ['https://management.azure.com/.default'],
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
  const lro = { updateIntervalInMs: 1 };

  before(async () => {
    bed = await startMlBed();
    warden = client(bed.world.warden!.principalId);
    owner = client(BREAK_GLASS);
  });
  after(async () => {
    await bed.stop();
  });

  test('the seeded model versions carry their tags in properties.tags', async () => {
    const v3 = await warden.modelVersions.get(bed.rgName, WS, 'fraud-detector', '3');
    assert.equal(v3.name, '3');
    assert.equal(v3.type, 'Microsoft.MachineLearningServices/workspaces/models/versions');
    assert.deepEqual(v3.properties.tags, { 'warden.stage': 'Production' });
    assert.equal(v3.properties.isArchived, false);
    const v2 = await warden.modelVersions.get(bed.rgName, WS, 'fraud-detector', '2');
    assert.deepEqual(v2.properties.tags, { 'warden.stage': 'Staging' });
    const missing = await rejectsWith(warden.modelVersions.get(bed.rgName, WS, 'fraud-detector', '99'), 404);
    assert.match(missing.message, /fraud-detector\/versions\/99|not found/i);
  });

  test('PUT of an existing version changes its tags (200, ResourceWriteSuccess, no ModelRegistered)', async () => {
    const v3 = await warden.modelVersions.get(bed.rgName, WS, 'fraud-detector', '3');
    const before = bed.events.received.length;
    const updated = await warden.modelVersions.createOrUpdate(bed.rgName, WS, 'fraud-detector', '3', {
      properties: { ...v3.properties, tags: { ...v3.properties.tags, 'warden.stage': 'Quarantined' } },
    });
    assert.equal(updated.properties.tags?.['warden.stage'], 'Quarantined');
    const again = await warden.modelVersions.get(bed.rgName, WS, 'fraud-detector', '3');
    assert.equal(again.properties.tags?.['warden.stage'], 'Quarantined');
    const write = await bed.events.waitFor(
      (e) => e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' && e.subject === again.id,
      'write of v3',
    );
    assert.equal(write.data.operationName, 'Microsoft.MachineLearningServices/workspaces/models/versions/write');
    assert.equal(write.data.claims.appid, bed.world.warden!.appId);
    await bed.emu.admin('POST', '/admin/eventgrid/flush');
    assert.ok(
      !bed.events.received
        .slice(before)
        .some((e) => e.eventType === 'Microsoft.MachineLearningServices.ModelRegistered'),
      'no ModelRegistered for an existing version',
    );
  });

  test('a new version is registered (ModelRegistered on the workspace topic) and listed', async () => {
    const created = await warden.modelVersions.createOrUpdate(bed.rgName, WS, 'fraud-detector', '4', {
      properties: { description: 'retrained', tags: { 'warden.stage': 'Staging' }, properties: { 'git.sha': 'abc' } },
    });
    assert.equal(created.name, '4');
    const ev = await bed.events.waitFor(
      (e) => e.eventType === 'Microsoft.MachineLearningServices.ModelRegistered',
      'ModelRegistered',
    );
    assert.equal(ev.topic.toLowerCase(), bed.workspaceId.toLowerCase());
    assert.equal(ev.subject, 'models/fraud-detector:4');
    assert.deepEqual(ev.data, {
      modelName: 'fraud-detector',
      modelVersion: '4',
      modelTags: { 'warden.stage': 'Staging' },
      modelProperties: { 'git.sha': 'abc' },
    });
    const names: string[] = [];
    for await (const v of warden.modelVersions.list(bed.rgName, WS, 'fraud-detector')) names.push(v.name!);
    assert.deepEqual(names.sort(), ['2', '3', '4']);
    const staging: string[] = [];
    for await (const v of warden.modelVersions.list(bed.rgName, WS, 'fraud-detector', {
      tags: 'warden.stage=Staging',
    })) {
      staging.push(v.name!);
    }
    assert.deepEqual(staging.sort(), ['2', '4']);
    const paged: string[] = [];
    for await (const v of warden.modelVersions.list(bed.rgName, WS, 'fraud-detector', { top: 1 })) paged.push(v.name!);
    assert.equal(paged.length, 3, 'nextLink paging returns every version');
  });

  test('the seeded endpoint: authMode Key, traffic blue 100 / green 0, deployments green (v2) and blue (v3)', async () => {
    const ep = await warden.onlineEndpoints.get(bed.rgName, WS, EP);
    assert.equal(ep.properties.authMode, 'Key');
    assert.deepEqual(ep.properties.traffic, { blue: 100, green: 0 });
    assert.equal(ep.properties.provisioningState, 'Succeeded');
    const deployments = new Map<string, string>();
    for await (const d of warden.onlineDeployments.list(bed.rgName, WS, EP)) {
      assert.equal(d.properties.endpointComputeType, 'Managed');
      deployments.set(d.name!, String(d.properties.model));
    }
    assert.deepEqual([...deployments.keys()].sort(), ['blue', 'green']);
    const endpoints: string[] = [];
    for await (const e of warden.onlineEndpoints.list(bed.rgName, WS)) endpoints.push(e.name!);
    assert.deepEqual(endpoints, [EP]);
    assert.match(deployments.get('blue')!, /\/models\/fraud-detector\/versions\/3$/);
    assert.match(deployments.get('green')!, /\/models\/fraud-detector\/versions\/2$/);
  });

  test('traffic moves by a full PUT; invalid traffic is refused with 400 UserError', async () => {
    const ep = await warden.onlineEndpoints.get(bed.rgName, WS, EP);
    const put = (traffic: Record<string, number>) =>
      warden.onlineEndpoints.beginCreateOrUpdateAndWait(
        bed.rgName,
        WS,
        EP,
        { ...ep, properties: { ...ep.properties, traffic } },
        lro,
      );
    await rejectsWith(put({ blue: 50, green: 0, red: 50 }), 400, 'UserError');
    await rejectsWith(put({ blue: 60, green: 30 }), 400, 'UserError');
    await rejectsWith(put({ blue: 101, green: -1 }), 400, 'UserError');
    assert.deepEqual((await warden.onlineEndpoints.get(bed.rgName, WS, EP)).properties.traffic, {
      blue: 100,
      green: 0,
    });
    const moved = await put({ blue: 0, green: 100 });
    assert.deepEqual(moved.properties.traffic, { blue: 0, green: 100 });
    const read = await warden.onlineEndpoints.get(bed.rgName, WS, EP);
    assert.deepEqual(read.properties.traffic, { blue: 0, green: 100 });
    assert.equal(read.properties.authMode, 'Key');
    await bed.events.waitFor(
      (e) =>
        e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' &&
        e.data.operationName === 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write',
      'endpoint write event',
    );
    await put({ blue: 0, green: 0 });
    await put({ blue: 100, green: 0 });
  });

  test('PATCH (beginUpdate) changes tags only; traffic in a PATCH is refused', async () => {
    const updated = await warden.onlineEndpoints.beginUpdateAndWait(
      bed.rgName,
      WS,
      EP,
      { tags: { owner: 'fraud-team' } },
      lro,
    );
    assert.deepEqual(updated.tags, { owner: 'fraud-team' });
    const ep = await warden.onlineEndpoints.get(bed.rgName, WS, EP);
    assert.deepEqual(ep.tags, { owner: 'fraud-team' });
    assert.deepEqual(ep.properties.traffic, { blue: 100, green: 0 });
    const patch = await raw(
      { endpoint: bed.endpoint, ca: bed.ca } as never,
      'PATCH',
      `${bed.endpointId}?api-version=2022-10-01`,
      {
        token: await bed.token(BREAK_GLASS, 'https://management.azure.com/.default'),
        body: JSON.stringify({ properties: { traffic: { blue: 0, green: 100 } } }),
      },
    );
    assert.equal(patch.status, 400);
    assert.equal(patch.body.error?.code, 'UserError');
    assert.deepEqual((await warden.onlineEndpoints.get(bed.rgName, WS, EP)).properties.traffic, {
      blue: 100,
      green: 0,
    });
  });

  test('a new deployment publishes ModelDeployed; an unknown model is refused', async () => {
    await rejectsWith(
      warden.onlineDeployments.beginCreateOrUpdateAndWait(
        bed.rgName,
        WS,
        EP,
        'canary',
        { location: 'westeurope', properties: { endpointComputeType: 'Managed' } },
        lro,
      ),
      403,
      'AuthorizationFailed',
    );
    await rejectsWith(
      owner.onlineDeployments.beginCreateOrUpdateAndWait(
        bed.rgName,
        WS,
        EP,
        'canary',
        {
          location: 'westeurope',
          properties: { endpointComputeType: 'Managed', model: `${bed.workspaceId}/models/fraud-detector/versions/42` },
        },
        lro,
      ),
      400,
      'UserError',
    );
    const model = `${bed.workspaceId}/models/fraud-detector/versions/4`;
    const d = await owner.onlineDeployments.beginCreateOrUpdateAndWait(
      bed.rgName,
      WS,
      EP,
      'canary',
      {
        location: 'westeurope',
        sku: { name: 'Default', capacity: 1 },
        properties: { endpointComputeType: 'Managed', model },
      },
      lro,
    );
    assert.equal(d.properties.provisioningState, 'Succeeded');
    const ev = await bed.events.waitFor(
      (e) => e.eventType === 'Microsoft.MachineLearningServices.ModelDeployed',
      'ModelDeployed',
    );
    assert.equal(ev.topic.toLowerCase(), bed.workspaceId.toLowerCase());
    assert.equal(ev.subject, `endpoints/${EP}`);
    assert.equal(ev.data.serviceName, EP);
    assert.equal(ev.data.modelIds, 'fraud-detector:4');
    assert.equal((ev.data.serviceProperties as Record<string, string>).deploymentName, 'canary');
    const got = await warden.onlineDeployments.get(bed.rgName, WS, EP, 'canary');
    assert.equal(got.properties.model, model);
    // a new deployment gets no traffic by itself
    assert.deepEqual((await warden.onlineEndpoints.get(bed.rgName, WS, EP)).properties.traffic, {
      blue: 100,
      green: 0,
    });
    // re-PUT of an existing deployment: no second ModelDeployed
    await owner.onlineDeployments.beginCreateOrUpdateAndWait(
      bed.rgName,
      WS,
      EP,
      'canary',
      { location: 'westeurope', properties: { endpointComputeType: 'Managed', model } },
      lro,
    );
    await bed.emu.admin('POST', '/admin/eventgrid/flush');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(
      bed.events.received.filter((e) => e.eventType === 'Microsoft.MachineLearningServices.ModelDeployed').length,
      1,
    );
    // a deployment with traffic cannot be deleted; one without can
    await rejectsWith(owner.onlineDeployments.beginDeleteAndWait(bed.rgName, WS, EP, 'blue', lro), 400, 'UserError');
    await owner.onlineDeployments.beginDeleteAndWait(bed.rgName, WS, EP, 'canary', lro);
    await rejectsWith(warden.onlineDeployments.get(bed.rgName, WS, EP, 'canary'), 404);
  });

  test('listKeys / regenerateKeys for a key-auth endpoint; refused for AAD-token endpoints and without rights', async () => {
    const k1 = await owner.onlineEndpoints.listKeys(bed.rgName, WS, EP);
    assert.ok(k1.primaryKey && k1.secondaryKey && k1.primaryKey !== k1.secondaryKey);
    const k1again = await owner.onlineEndpoints.listKeys(bed.rgName, WS, EP);
    assert.equal(k1again.primaryKey, k1.primaryKey);
    await owner.onlineEndpoints.beginRegenerateKeysAndWait(bed.rgName, WS, EP, { keyType: 'Primary' }, lro);
    const k2 = await owner.onlineEndpoints.listKeys(bed.rgName, WS, EP);
    assert.notEqual(k2.primaryKey, k1.primaryKey);
    assert.equal(k2.secondaryKey, k1.secondaryKey);
    const action = await bed.events.waitFor(
      (e) =>
        e.eventType === 'Microsoft.Resources.ResourceActionSuccess' &&
        e.data.operationName === 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action',
      'regenerateKeys action event',
    );
    assert.ok(!JSON.stringify(action).includes(k2.primaryKey!), 'the key is not in the event');
    await rejectsWith(warden.onlineEndpoints.listKeys(bed.rgName, WS, EP), 403, 'AuthorizationFailed');
    await owner.onlineEndpoints.beginCreateOrUpdateAndWait(
      bed.rgName,
      WS,
      'aad-scoring',
      { location: 'westeurope', identity: { type: 'SystemAssigned' }, properties: { authMode: 'AADToken' } },
      lro,
    );
    await rejectsWith(owner.onlineEndpoints.listKeys(bed.rgName, WS, 'aad-scoring'), 400, 'UserError');
  });

  test('asynchronous LRO form (201/202 + Azure-AsyncOperation) is followed by the SDK poller', async () => {
    const set = await bed.emu.admin('PUT', '/admin/arm/settings', {
      lro: { 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints': 'async' },
    });
    assert.ok(set.status < 300, JSON.stringify(set.body));
    try {
      const ep = await warden.onlineEndpoints.get(bed.rgName, WS, EP);
      const moved = await warden.onlineEndpoints.beginCreateOrUpdateAndWait(
        bed.rgName,
        WS,
        EP,
        { ...ep, properties: { ...ep.properties, traffic: { blue: 0, green: 100 } } },
        lro,
      );
      assert.equal(moved.properties.provisioningState, 'Succeeded');
      assert.deepEqual(moved.properties.traffic, { blue: 0, green: 100 });
      const tagged = await warden.onlineEndpoints.beginUpdateAndWait(bed.rgName, WS, EP, { tags: { x: 'y' } }, lro);
      assert.deepEqual(tagged.tags, { x: 'y' });
    } finally {
      await bed.emu.admin('PUT', '/admin/arm/settings', {
        lro: { 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints': 'sync' },
      });
    }
  });
});
