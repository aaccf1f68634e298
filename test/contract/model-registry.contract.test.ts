/**
 * Contract: the `ModelRegistryPort` Azure adapter (`@azure/arm-machinelearning`) against the emulator's Azure ML:
 * version tags inside properties.tags, the endpoint with its deployments and the versions they serve, traffic moved
 * by a full PUT (validated), key regeneration — as Warden's managed identity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AzureModelRegistry } from '../../shared/cloud/azure/model-registry';
import { CloudAuthorizationError } from '../../shared/cloud/ports/cloud-authorization-error';
import { ValidationError } from '../../shared/domain/errors';
import { BREAK_GLASS, type MlBed, startMlBed } from './emulator/ml-monitor-helpers';

describe('ModelRegistryPort (Azure adapter) against the emulator', () => {
  let bed: MlBed;
  let registry: AzureModelRegistry;
  const ref = (version: string) => ({ workspaceId: bed.workspaceId, name: 'fraud-detector', version });

  before(async () => {
    bed = await startMlBed();
    registry = new AzureModelRegistry({
      credential: bed.credential(bed.world.warden!.principalId),
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      pollIntervalMs: 10,
    });
  });
  after(async () => {
    await bed?.stop();
  });

  test('reads the seeded endpoint: deployments with the versions they serve, traffic blue 100', async () => {
    const ep = await registry.getEndpoint(bed.endpointId);
    assert.ok(ep);
    assert.deepEqual(ep.deployments.map((d) => [d.name, d.modelVersion]).sort(), [
      ['blue', '3'],
      ['green', '2'],
    ]);
    assert.deepEqual(ep.traffic, { blue: 100, green: 0 });
    assert.equal(ep.location, bed.world.location);
    assert.equal(await registry.getEndpoint(`${bed.workspaceId}/onlineEndpoints/nope`), undefined);
  });

  test('tags merge into properties.tags (null removes) and read back; an unknown version is undefined', async () => {
    const before = await registry.getVersionTags(ref('3'));
    assert.equal(before?.['warden.stage'], 'Production');
    const tags = await registry.setVersionTags(ref('3'), {
      'warden.stage': 'Quarantined',
      'warden.quarantine.reason': 'accuracy below 0.9',
    });
    assert.equal(tags['warden.stage'], 'Quarantined');
    const after = await registry.setVersionTags(ref('3'), { 'warden.quarantine.reason': null });
    assert.equal(after['warden.quarantine.reason'], undefined);
    assert.equal((await registry.getVersionTags(ref('3')))?.['warden.stage'], 'Quarantined');
    assert.equal(await registry.getVersionTags(ref('99')), undefined);
  });

  test('traffic moves by a full PUT; an invalid map is refused as a ValidationError', async () => {
    const moved = await registry.setTraffic(bed.endpointId, { blue: 0, green: 100 });
    assert.deepEqual(moved, { blue: 0, green: 100 });
    assert.deepEqual((await registry.getEndpoint(bed.endpointId))?.traffic, { blue: 0, green: 100 });
    await assert.rejects(registry.setTraffic(bed.endpointId, { blue: 50, green: 20 }), ValidationError);
    await assert.rejects(registry.setTraffic(bed.endpointId, { red: 100 }), ValidationError);
    assert.deepEqual((await registry.getEndpoint(bed.endpointId))?.traffic, { blue: 0, green: 100 }, 'unchanged');
  });

  test('key regeneration: refused to Warden without the right (typed, naming the action); done for a principal holding it', async () => {
    const ep = await registry.getEndpoint(bed.endpointId);
    assert.equal(ep?.authMode, 'Key');
    // The demo world's Warden Model Steward role does not grant onlineEndpoints/regenerateKeys/action (yet): the
    // access cut of an endpoint with no good deployment is refused and audited as such, never retried.
    await assert.rejects(registry.regenerateKeys(bed.endpointId), (e: unknown) => {
      assert.ok(e instanceof CloudAuthorizationError);
      assert.equal(e.action, 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action');
      return true;
    });
    const asOwner = new AzureModelRegistry({
      credential: bed.credential(BREAK_GLASS),
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      pollIntervalMs: 10,
    });
    await asOwner.regenerateKeys(bed.endpointId);
  });
});
