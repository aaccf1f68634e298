import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ValidationError } from '../../../../shared/domain/errors';
import { readDemoWorld, seedDemoWorld } from '../../../../shared/metadata/seed/seed-demo-world';
import { tempStore } from '../store-fixture';

interface World {
  metadata: Record<string, unknown[]> & { actor: string };
}

test('the demo world seeds an empty store with its ids, audited as the world actor', async () => {
  const t = tempStore('warden-seed-');
  try {
    const world = readDemoWorld() as World;
    const result = await seedDemoWorld(t.store, world);
    assert.ok(result.seeded);
    for (const table of [
      'managed_scopes',
      'access_policies',
      'secret_references',
      'network_rules',
      'models',
      'alert_rules',
    ] as const)
      assert.equal(result.rows[table], world.metadata[table]?.length, table);
    const model = await t.store.models.require('m-fraud-detector-3');
    assert.equal(model.model_version, '3', "the world's `version` is the store's model_version");
    assert.equal(model.deployment, 'blue');
    assert.equal(model.version, 1);
    assert.equal((await t.store.models.require('m-fraud-detector-2')).deployment, 'green');
    const rule = await t.store.alertRules.require('ar-fraud-accuracy');
    assert.deepEqual(rule.failing_periods, { min_failing: 2, of_last: 2 });
    const secret = await t.store.secretReferences.require('sr-databricks-training-token');
    assert.equal(secret.consumers.length, 2);
    assert.ok(secret.next_rotation_at !== null);
    const audit = await t.store.audit.list();
    assert.ok(audit.length > 0 && audit.every((e) => e.actor === world.metadata.actor));
    assert.ok((await t.store.audit.verify()).ok);
  } finally {
    await t.cleanup();
  }
});

test('seeding is a no-op on a non-empty store', async () => {
  const t = tempStore('warden-seed-');
  try {
    await seedDemoWorld(t.store, readDemoWorld());
    const counts = await t.store.counts();
    assert.deepEqual(await seedDemoWorld(t.store, readDemoWorld()), {
      seeded: false,
      reason: 'the metadata store is not empty',
    });
    assert.deepEqual(await t.store.counts(), counts);
  } finally {
    await t.cleanup();
  }
});

test('a world with one bad row seeds nothing (one transaction) and names the row and field', async () => {
  const t = tempStore('warden-seed-');
  try {
    const world = readDemoWorld() as World;
    const rules = world.metadata.alert_rules as Record<string, unknown>[];
    rules[0] = { ...rules[0], window: 'PT10M' };
    await assert.rejects(seedDemoWorld(t.store, world), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.match(e.message, /alert rule 'ar-fraud-accuracy' is invalid: window: "PT10M" is not a window/);
      return true;
    });
    assert.ok(await t.store.isEmpty());
    assert.equal(t.count('metadata_changes'), 0);
    assert.equal(t.count('audit_log'), 0);
  } finally {
    await t.cleanup();
  }
});
