/**
 * Contract: the `ModelRegistryPort` Azure adapter (`@azure/arm-machinelearning`) against the emulator's Azure ML:
 * version tags inside properties.tags, the endpoint with its deployments and the versions they serve, traffic moved
 * by a full PUT (validated), key regeneration (granted by the demo world's steward role) — as Warden's managed identity.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';

import { AzureModelRegistry } from '../../shared/cloud/azure/model-registry';
import { CloudAuthorizationError } from '../../shared/cloud/ports/cloud-authorization-error';
import { ValidationError } from '../../shared/domain/errors';
import { ADA, BREAK_GLASS, type MlBed, startMlBed } from './emulator/ml-monitor-helpers';

describe('ModelRegistryPort (Azure adapter) against the emulator', () => {
  let bed: MlBed;
  let registry: AzureModelRegistry;
  /** The break-glass Owner lists the keys (Warden does not declare listKeys and is not granted it). */
  let ownerClient: AzureMachineLearningWorkspaces;
  const endpointName = 'fraud-scoring';
  const fingerprint = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 16);
  const ref = (version: string) => ({ workspaceId: bed.workspaceId, name: 'fraud-detector', version });

  before(async () => {
    bed = await startMlBed();
    registry = new AzureModelRegistry({
      credential: bed.credential(bed.world.warden!.principalId),
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      pollIntervalMs: 10,
    });
    ownerClient = new AzureMachineLearningWorkspaces(bed.credential(BREAK_GLASS), bed.sub, {
      endpoint: bed.endpoint,
      credentialScopes: ['https://management.azure.com/.default'],
      tlsOptions: { ca: bed.ca },
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

  test('key regeneration: done as Warden (the steward role grants it), the old keys stop being listed; refused to a Reader', async () => {
    const ep = await registry.getEndpoint(bed.endpointId);
    assert.equal(ep?.authMode, 'Key');
    // Keys are compared by fingerprint only: no key value reaches an assertion message.
    const listKeys = async (): Promise<{ primary: string; secondary: string }> => {
      const keys = await ownerClient.onlineEndpoints.listKeys(bed.rgName, 'mlw-fraud', endpointName);
      assert.ok(keys.primaryKey && keys.secondaryKey, 'both keys listed');
      return { primary: fingerprint(keys.primaryKey), secondary: fingerprint(keys.secondaryKey) };
    };
    const old = await listKeys();
    await registry.regenerateKeys(bed.endpointId);
    const now = await listKeys();
    const oldSet = new Set([old.primary, old.secondary]);
    assert.ok(!oldSet.has(now.primary), 'the old keys are no longer the primary key');
    assert.ok(!oldSet.has(now.secondary), 'the old keys are no longer the secondary key');
    assert.notEqual(now.primary, now.secondary);
    // A principal without the action (Ada: Reader on the group) is refused, typed and naming the action.
    const asReader = new AzureModelRegistry({
      credential: bed.credential(ADA),
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      pollIntervalMs: 10,
    });
    await assert.rejects(asReader.regenerateKeys(bed.endpointId), (e: unknown) => {
      assert.ok(e instanceof CloudAuthorizationError);
      assert.equal(e.action, 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action');
      return true;
    });
    assert.deepEqual(await listKeys(), now, 'the refused call changed no key');
  });
});
