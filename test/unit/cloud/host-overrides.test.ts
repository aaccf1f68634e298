import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isOverridden, resolveHost } from '../../../shared/cloud/azure/host-overrides';
import { loadSettings } from '../../../shared/config/load-settings';
import { SettingsError } from '../../../shared/config/settings-error';

const base = {
  WARDEN_METADATA_DB: '.warden/metadata.db',
  WARDEN_TENANT_ID: '45286771-0821-4e88-a404-d87ec2f39f1a',
  WARDEN_PRINCIPAL_IDS: '6872bbc9-1627-441e-a611-7ce540632cfe',
  WARDEN_API_AUDIENCES: 'api://warden',
};

test('an overridden host keeps its path and query; other hosts pass through unchanged', () => {
  const overrides = { 'kv-fraud-ml.vault.azure.net': 'https://127.0.0.1:40123' };
  assert.equal(
    resolveHost('https://kv-fraud-ml.vault.azure.net/secrets/x?api-version=1', overrides),
    'https://127.0.0.1:40123/secrets/x?api-version=1',
  );
  assert.equal(resolveHost('https://KV-FRAUD-ML.vault.azure.net/', overrides), 'https://127.0.0.1:40123/');
  assert.equal(resolveHost('https://other.vault.azure.net/', overrides), 'https://other.vault.azure.net/');
  assert.equal(isOverridden('https://kv-fraud-ml.vault.azure.net/', overrides), true);
  assert.equal(isOverridden('https://other.vault.azure.net/', overrides), false);
});

test('WARDEN_HOST_OVERRIDES is a JSON object of host → https origin; empty means none', () => {
  assert.deepEqual(loadSettings(base, '/app').azure.hostOverrides, {});
  const s = loadSettings(
    { ...base, WARDEN_HOST_OVERRIDES: '{"KV.vault.azure.net":"https://127.0.0.1:4000/ignored"}' },
    '/app',
  );
  assert.deepEqual(s.azure.hostOverrides, { 'kv.vault.azure.net': 'https://127.0.0.1:4000' });
  for (const bad of ['not json', '["a"]', '{"kv.vault.azure.net":"http://127.0.0.1:1"}', '{"a b":"https://x"}']) {
    assert.throws(
      () => loadSettings({ ...base, WARDEN_HOST_OVERRIDES: bad }, '/app'),
      (e: unknown) => e instanceof SettingsError && /WARDEN_HOST_OVERRIDES/.test(e.message),
      bad,
    );
  }
});
