/**
 * The rotators' adapters and the consumer checks against the emulator's data planes (the ports beside SecretVault):
 * Databricks on-behalf-of tokens (issue, SCIM `Me` works, revoke, SCIM `Me` refused), storage account keys (the key
 * not in use regenerated, List Containers signed with it, the old one regenerated), the credential issuer (issue,
 * `/verify`, revoke) and a vault-reader app reporting the version it reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createDatabricksModule } from '../../emulator/databricks/index';
import { createKeyVaultModule } from '../../emulator/keyvault/index';
import { createServicesModule } from '../../emulator/services/index';
import { createStorageModule } from '../../emulator/storage/index';
import { createArmClients } from '../../shared/cloud/azure/arm-clients';
import { AzureConsumerChecks } from '../../shared/cloud/azure/consumer-checks';
import { HttpCredentialIssuer } from '../../shared/cloud/azure/credential-issuer';
import type { DataPlaneOptions } from '../../shared/cloud/azure/data-plane-http';
import { AzureDatabricksTokens, DatabricksWorkspaceClient } from '../../shared/cloud/azure/databricks-tokens';
import { KeyVaultSecrets } from '../../shared/cloud/azure/key-vault-secrets';
import { AzureStorageAccountKeys } from '../../shared/cloud/azure/storage-account-keys';
import { SecretReferenceSchema } from '../../shared/domain/metadata/secret-reference.schema';
import { createRotators, type RotationContext, type Rotator } from '../../shared/rotation/rotators';
import { type DataPlaneBed, startDataPlaneBed, WARDEN_MI } from './emulator/keyvault-testbed';

const VAULT = 'https://kv-fraud-ml.vault.azure.net/';

describe('rotator adapters and consumer checks against the emulator', () => {
  let bed: DataPlaneBed;
  let rotators: Record<string, Rotator>;
  let checks: AzureConsumerChecks;
  let storage: AzureStorageAccountKeys;
  let ws: string;
  let account: string;

  const ctx = (rotator: string, rotator_config: Record<string, unknown>, current?: string): RotationContext => ({
    reference: SecretReferenceSchema.parse({
      id: `sr-${rotator}`,
      name: rotator,
      vault_uri: VAULT,
      secret_name: `contract-${rotator}`,
      rotator,
      rotator_config,
      interval_days: 30,
    }),
    correlationId: 'contract-1',
    now: new Date(),
    currentValue: () => Promise.resolve(current),
  });

  before(async () => {
    bed = await startDataPlaneBed(() => [
      createStorageModule(),
      createDatabricksModule(),
      createServicesModule(),
      createKeyVaultModule(),
    ]);
    const credential = bed.minted(WARDEN_MI);
    const arm = createArmClients({
      credential,
      subscriptionId: bed.sub,
      endpoint: bed.emu.endpoints.armEndpoint,
      tlsCa: bed.ca,
      maxRetries: 0,
    });
    const http: DataPlaneOptions = { hostOverrides: bed.emu.endpoints.origins, tlsCa: bed.ca };
    const workspaces = new DatabricksWorkspaceClient(arm.resources, credential, http);
    storage = new AzureStorageAccountKeys(arm.storage);
    rotators = createRotators({
      storageKeys: storage,
      databricks: new AzureDatabricksTokens(workspaces),
      issuer: new HttpCredentialIssuer(credential, http),
    });
    checks = new AzureConsumerChecks(http, workspaces, () => new Date());
    ws = `${bed.rg}/providers/Microsoft.Databricks/workspaces/dbw-fraud`;
    account = `${bed.rg}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
  });
  after(async () => {
    await bed?.stop();
  });

  test('databricks-pat: a token on behalf of the service principal works for SCIM Me until revoked', async () => {
    const config = {
      workspaceResourceId: ws,
      servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998',
      lifetimeDays: 45,
    };
    const c = ctx('databricks-pat', config);
    const issued = await rotators['databricks-pat']!.issue(config, c);
    assert.ok(issued.credentialId && issued.value);
    assert.ok(issued.expiresOn && Date.parse(issued.expiresOn) > Date.now() + 44 * 86_400_000);
    const consumer = { kind: 'databricks-job', name: 'job', target: ws };
    assert.deepEqual(await checks.check(consumer, issued.value), { ok: true, detail: 'SCIM Me answered 200' });
    await rotators['databricks-pat']!.revoke(config, issued.credentialId, c);
    const refused = await checks.check(consumer, issued.value);
    assert.equal(refused.ok, false);
    assert.ok(!refused.detail.includes(issued.value));
    await rotators['databricks-pat']!.revoke(config, issued.credentialId, c); // already gone: no-op
  });

  test('storage-account-key: the key not in use is regenerated; List Containers works with it; the old one is retired', async () => {
    const config = { accountResourceId: account };
    const keys = await storage.listKeys(account);
    const key1 = keys.find((k) => k.keyName === 'key1')!.value;
    const consumer = { kind: 'storage-account', name: 'feature-build', target: account };
    assert.equal((await checks.check(consumer, key1)).ok, true, 'key1 works');
    const c = ctx('storage-account-key', config, key1);
    const issued = await rotators['storage-account-key']!.issue(config, c);
    assert.equal(issued.credentialId, 'key2', 'the key not in use');
    assert.equal(issued.replaces, 'key1');
    assert.equal((await checks.check(consumer, issued.value)).ok, true, 'the new key2 works');
    assert.equal((await checks.check(consumer, key1)).ok, true, 'key1 still works');
    await rotators['storage-account-key']!.retire(config, 'key1', c);
    const old = await checks.check(consumer, key1);
    assert.deepEqual([old.ok, old.detail], [false, 'List Containers answered 403']);
    assert.equal((await checks.check(consumer, issued.value)).ok, true);
  });

  test('http: the issuer issues with Warden’s token; /verify accepts it until it is revoked', async () => {
    const config = { url: 'https://creds.pipelines.contoso.example', audience: 'api://credential-issuer' };
    const c = ctx('http', config);
    const issued = await rotators.http!.issue(config, c);
    const consumer = { kind: 'http-endpoint', name: 'api', url: 'https://creds.pipelines.contoso.example/verify' };
    assert.equal((await checks.check(consumer, issued.value)).ok, true);
    await rotators.http!.revoke(config, issued.credentialId, c);
    assert.equal((await checks.check(consumer, issued.value)).ok, false);
  });

  test('vault-reader: the app reports the version it reads from the vault; unknown kinds and bad tokens fail', async () => {
    const vault = new KeyVaultSecrets({
      credential: bed.minted(WARDEN_MI),
      hostOverrides: bed.emu.endpoints.origins,
      tlsCa: bed.ca,
    });
    const latest = await vault.getProperties(VAULT, 'scoring-db-password');
    const r = await checks.check(
      { kind: 'vault-reader', name: 'scoring', url: 'https://scoring-service.apps.contoso.example/healthz' },
      undefined,
    );
    assert.equal(r.ok, true, r.detail);
    assert.equal(r.version, latest?.version);
    assert.equal((await checks.check({ kind: 'smoke-signal', name: 'x' }, 'v')).ok, false);
    assert.equal(
      (await checks.check({ kind: 'databricks-job', name: 'job', target: ws }, 'dapi-not-a-token')).ok,
      false,
    );
  });
});
