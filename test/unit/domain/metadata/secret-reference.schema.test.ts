import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DATABRICKS, STORAGE } from './sample-rows';
import { accepts, rejects } from './schema-assert';

test('secret reference: the demo reference is accepted with defaults', () => {
  const row = accepts('secret_references', { status: undefined, last_rotated_at: undefined });
  assert.equal(row.status, 'active');
  assert.equal(row.current_expires_at, null);
});

test('secret reference: every rotator with its minimal config is accepted', () => {
  accepts('secret_references', { rotator: 'random', rotator_config: { length: 48 } });
  accepts('secret_references', {
    rotator: 'storage-account-key',
    rotator_config: { accountResourceId: STORAGE, keyName: 'key2' },
  });
  accepts('secret_references', { rotator: 'http', rotator_config: { url: 'https://rotator.contoso.example/rotate' } });
});

test('secret reference: each field rule rejects', () => {
  rejects('secret_references', { vault_uri: 'http://kv-fraud-ml.vault.azure.net/' }, 'vault_uri', /https URI/);
  rejects('secret_references', { vault_uri: 'https://kv-fraud-ml.vault.azure.net/secrets/x' }, 'vault_uri', /base URI/);
  rejects('secret_references', { secret_name: 'bad_name' }, 'secret_name', /Key Vault secret name/);
  rejects('secret_references', { current_version: 'v1' }, 'current_version', /32 hex/);
  rejects('secret_references', { current_expires_at: 'soon' }, 'current_expires_at', /ISO 8601/);
  rejects(
    'secret_references',
    { rotator: 'magic' },
    'rotator',
    /"magic" is not a known rotator \(expected one of random, storage-account-key/,
  );
  rejects('secret_references', { rotator_config: [] }, 'rotator_config', /JSON object/);
  rejects(
    'secret_references',
    { rotator_config: { servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998' } },
    'rotator_config.workspaceResourceId',
    /is required/,
  );
  rejects(
    'secret_references',
    { rotator_config: { workspaceResourceId: STORAGE, servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998' } },
    'rotator_config.workspaceResourceId',
    /Databricks workspace/,
  );
  rejects(
    'secret_references',
    { rotator: 'storage-account-key', rotator_config: { accountResourceId: STORAGE, keyName: 'key3' } },
    'rotator_config.keyName',
    /key1 or key2/,
  );
  rejects(
    'secret_references',
    { rotator: 'http', rotator_config: { url: 'http://x.example' } },
    'rotator_config.url',
    /https URL/,
  );
  rejects('secret_references', { interval_days: 0 }, 'interval_days', /at least 1/);
  rejects('secret_references', { interval_days: 1.5 }, 'interval_days', /whole number/);
  rejects('secret_references', { interval_days: '30' }, 'interval_days', /whole number, got "30"/);
  rejects('secret_references', { notify_before_days: 30 }, 'notify_before_days', /less than interval_days/);
  rejects('secret_references', { grace_hours: -1 }, 'grace_hours', /at least 0/);
  rejects(
    'secret_references',
    { consumers: [{ kind: 'Databricks Job', name: 'x' }] },
    'consumers.0.kind',
    /consumer kind/,
  );
  rejects(
    'secret_references',
    { consumers: [{ kind: 'databricks-job', name: 'x', target: 'dbw-fraud' }] },
    'consumers.0.target',
    /ARM resource id/,
  );
  rejects('secret_references', { last_rotated_at: 'yesterday' }, 'last_rotated_at', /ISO 8601/);
  rejects('secret_references', { status: 'weird' }, 'status', /secret status/);
});

test('secret reference: secret values are refused anywhere in config or consumers', () => {
  rejects(
    'secret_references',
    {
      rotator_config: {
        workspaceResourceId: DATABRICKS,
        servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998',
        token: 'dapi123',
      },
    },
    'rotator_config.token',
    /secret value/,
  );
  rejects(
    'secret_references',
    { consumers: [{ kind: 'http-probe', name: 'probe', test: { headers: { clientSecret: 'x' } } }] },
    'consumers.0.test.headers.clientSecret',
    /secret value/,
  );
});
