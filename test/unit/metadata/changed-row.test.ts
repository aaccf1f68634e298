import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ValidationError } from '../../../shared/domain/errors';
import { changedRowKey, decodeChangedRow } from '../../../shared/metadata/changed-row';
import { SAMPLE_ROWS } from '../domain/metadata/sample-rows';
import { tempStore } from './store-fixture';

test('a row as the SQL trigger delivers it decodes into the record the store returns', async () => {
  const t = tempStore('warden-changed-');
  try {
    const stored = await t.store.networkRules.upsert(SAMPLE_ROWS.network_rules, { actor: 'ada' });
    const item = t.raw().prepare('SELECT * FROM network_rules WHERE id = ?').get(stored.id) as Record<string, unknown>;
    assert.equal(typeof item.consumers, 'string', 'JSON arrives as text');
    assert.deepEqual(decodeChangedRow('network_rules', item), stored);
    assert.equal(changedRowKey('network_rules', { id: stored.id }), stored.id);
  } finally {
    await t.cleanup();
  }
});

test('a changed row that breaks its schema is refused naming the field; a key-less change too', () => {
  const item = {
    ...SAMPLE_ROWS.models,
    model_version: '3',
    stage: 'Live',
    version: 2,
    created_at: 'x',
    updated_at: 'x',
    updated_by: 'x',
  };
  assert.throws(
    () => decodeChangedRow('models', item),
    (e: unknown) => e instanceof ValidationError && /stage: "Live" is not a known model stage/.test(e.message),
  );
  assert.throws(() => changedRowKey('models', {}), /id: is missing/);
});
