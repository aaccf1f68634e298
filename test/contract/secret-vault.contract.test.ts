/**
 * The SecretVault port's Azure adapter (`KeyVaultSecrets`, the real `@azure/keyvault-secrets` SecretClient) against
 * the emulator's Key Vault: the vault addressed by its real URI and mapped through the host overrides, properties and
 * versions without values, a new version with content type, tags and expiry, a property update, a value read,
 * remove-then-set of the same name (the staging secret's life), and a principal without a grant refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createKeyVaultModule } from '../../emulator/keyvault/index';
import { KeyVaultSecrets } from '../../shared/cloud/azure/key-vault-secrets';
import { CloudAuthorizationError } from '../../shared/cloud/ports/cloud-authorization-error';
import { ADA, type DataPlaneBed, startDataPlaneBed, WARDEN_MI } from './emulator/keyvault-testbed';

const VAULT = 'https://kv-fraud-ml.vault.azure.net/';

describe('SecretVault (KeyVaultSecrets) against the emulator', () => {
  let bed: DataPlaneBed;
  let vault: KeyVaultSecrets;
  const noSleep = () => Promise.resolve();

  before(async () => {
    bed = await startDataPlaneBed(() => [createKeyVaultModule()]);
    vault = new KeyVaultSecrets({
      credential: bed.minted(WARDEN_MI),
      hostOverrides: bed.emu.endpoints.origins,
      tlsCa: bed.ca,
      maxRetries: 0,
      sleep: noSleep,
    });
  });
  after(async () => {
    await bed?.stop();
  });

  test('the seeded secret: latest properties, versions newest first, no value in properties', async () => {
    const latest = await vault.getProperties(VAULT, 'databricks-training-token');
    assert.ok(latest, 'seeded secret exists');
    assert.match(latest.version, /^[0-9a-f]{32}$/);
    assert.equal(latest.vaultUri, VAULT);
    assert.equal(latest.enabled, true);
    assert.ok(latest.expiresOn && Date.parse(latest.expiresOn) > Date.now());
    assert.equal(latest.contentType, 'application/vnd.databricks.pat');
    assert.equal(Object.hasOwn(latest, 'value'), false);
    const versions = await vault.listVersions(VAULT, 'databricks-training-token');
    assert.equal(versions[0]?.version, latest.version);
    assert.equal(await vault.getProperties(VAULT, 'no-such-secret'), undefined);
    assert.deepEqual(await vault.listVersions(VAULT, 'no-such-secret'), []);
    assert.equal(await vault.getValue(VAULT, 'no-such-secret'), undefined);
  });

  test('set a version with content type, tags and expiry; read it back; update its properties', async () => {
    const expiresOn = new Date(Date.now() + 10 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    const set = await vault.setSecret(VAULT, 'contract-secret', 'v1-value', {
      contentType: 'text/plain',
      tags: { 'warden.reference': 'sr-x', 'warden.correlation': 'corr-1' },
      expiresOn,
    });
    const again = await vault.setSecret(VAULT, 'contract-secret', 'v2-value', { tags: { 'warden.reference': 'sr-x' } });
    assert.notEqual(again.version, set.version);
    const one = await vault.getProperties(VAULT, 'contract-secret', set.version);
    assert.equal(one?.contentType, 'text/plain');
    assert.equal(one?.expiresOn, expiresOn);
    assert.deepEqual(one?.tags, { 'warden.reference': 'sr-x', 'warden.correlation': 'corr-1' });
    assert.equal((await vault.getProperties(VAULT, 'contract-secret'))?.version, again.version, 'latest is the newest');
    assert.equal(await vault.getValue(VAULT, 'contract-secret', set.version), 'v1-value');
    assert.equal(await vault.getValue(VAULT, 'contract-secret'), 'v2-value');
    const updated = await vault.updateProperties(VAULT, 'contract-secret', set.version, {
      enabled: false,
      tags: { 'warden.reference': 'sr-x', note: 'disabled' },
    });
    assert.equal(updated.enabled, false);
    assert.equal((await vault.getProperties(VAULT, 'contract-secret', set.version))?.tags.note, 'disabled');
    assert.equal((await vault.listVersions(VAULT, 'contract-secret')).length, 2);
  });

  test('remove a secret, then set the same name again (the staging secret of the next rotation)', async () => {
    await vault.setSecret(VAULT, 'contract-staging--pending', 'staged', { tags: { 'warden.correlation': 'c1' } });
    await vault.removeSecret(VAULT, 'contract-staging--pending');
    assert.equal(await vault.getProperties(VAULT, 'contract-staging--pending'), undefined);
    const next = await vault.setSecret(VAULT, 'contract-staging--pending', 'staged-2', {
      tags: { 'warden.correlation': 'c2' },
    });
    assert.equal((await vault.getProperties(VAULT, 'contract-staging--pending'))?.version, next.version);
    assert.equal(await vault.getValue(VAULT, 'contract-staging--pending'), 'staged-2');
    await vault.removeSecret(VAULT, 'contract-staging--pending');
    await vault.removeSecret(VAULT, 'never-existed'); // no-op
  });

  test('a principal without a data-action grant is refused with CloudAuthorizationError, naming no value', async () => {
    const refused = new KeyVaultSecrets({
      credential: bed.minted(ADA),
      hostOverrides: bed.emu.endpoints.origins,
      tlsCa: bed.ca,
      maxRetries: 0,
    });
    await assert.rejects(refused.setSecret(VAULT, 'contract-refused', 'super-secret-value', {}), (e: unknown) => {
      assert.ok(e instanceof CloudAuthorizationError, String(e));
      assert.ok(!e.message.includes('super-secret-value'));
      return true;
    });
  });
});
