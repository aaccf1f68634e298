/**
 * The Key Vault secrets data plane through the real `@azure/keyvault-secrets` SecretClient: challenge auth, one
 * origin per vault named by its real host, set/get/versions (paged)/update/delete with soft delete, disabled
 * versions, RBAC data actions (Warden's Secrets Officer grant, a Secrets User app, a principal without a grant),
 * values encrypted at rest and surviving a restart, and the seeded world's secrets.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';

import { createKeyVaultModule } from '../../../emulator/keyvault/index';
import { ADA, type DataPlaneBed, eventually, rawCall, startDataPlaneBed, WARDEN_MI } from './keyvault-testbed';

const HOST = 'kv-fraud-ml.vault.azure.net';

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
}

async function rejects(p: Promise<unknown>, status: number, code?: string): Promise<RestErrorLike> {
  try {
    await p;
  } catch (e) {
    const err = e as RestErrorLike;
    assert.equal(err.statusCode, status, `${err.code}: ${err.message}`);
    if (code) assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${status} ${code ?? ''}`);
}

describe('Key Vault secrets through @azure/keyvault-secrets', () => {
  let bed: DataPlaneBed;
  let origin: string;
  let kvId: string;
  const client = (cred: TokenCredential) =>
    new SecretClient(origin, cred, {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });

  before(async () => {
    bed = await startDataPlaneBed(() => [createKeyVaultModule()]);
    origin = bed.emu.endpoints.origins[HOST]!;
    kvId = `${bed.rg}/providers/Microsoft.KeyVault/vaults/kv-fraud-ml`;
  });
  after(async () => {
    await bed?.stop();
  });

  test('one origin per vault, named by the host of its vaultUri, listed in endpoints', async () => {
    assert.match(origin, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(origin, bed.emu.baseUrl);
    const listed = await bed.admin('GET', '/admin/keyvault/vaults');
    const v = (listed.body as { value: Array<{ host: string; origin: string; resourceId: string }> }).value;
    assert.deepEqual(
      v.map((x) => [x.host, x.origin, x.resourceId]),
      [[HOST, origin, kvId]],
    );
  });

  test('a request without Authorization gets the challenge (§3.1) and no data', async () => {
    const r = await rawCall(bed.ca, 'GET', `${origin}/secrets/databricks-training-token/?api-version=2026-04-01`);
    assert.equal(r.status, 401);
    assert.equal(
      r.headers['www-authenticate'],
      `Bearer authorization="${bed.emu.baseUrl}/${bed.world.tenantId}", resource="https://vault.azure.net"`,
    );
    assert.deepEqual(r.json, {
      error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
    });
    const armToken = await bed.token(WARDEN_MI, 'https://management.azure.com/.default');
    const wrongAudience = await rawCall(bed.ca, 'GET', `${origin}/secrets/x/?api-version=2026-04-01`, {
      headers: { authorization: `Bearer ${armToken}` },
    });
    assert.equal(wrongAudience.status, 401, 'an ARM token is not a Key Vault token');
    assert.match(String(wrongAudience.headers['www-authenticate']), /resource="https:\/\/vault\.azure\.net"/);
  });

  test("the seeded world's secrets exist with their content types, tags and expiry", async () => {
    const c = client(bed.minted(WARDEN_MI));
    const s = await c.getSecret('databricks-training-token');
    assert.equal(s.properties.contentType, 'application/vnd.databricks.pat');
    assert.deepEqual(s.properties.tags, { 'managed-by': 'warden' });
    assert.ok(s.value && s.value.length >= 20);
    assert.equal(s.properties.vaultUrl, origin);
    const days = (s.properties.expiresOn!.getTime() - Date.now()) / 86400_000;
    assert.ok(days > 19 && days < 21, `expires in ${days} days`);
  });

  test('set (content type, tags, nbf, exp), get latest and by version, update properties, paged versions', async () => {
    const c = client(bed.minted(WARDEN_MI));
    const exp = new Date(Math.floor(Date.now() / 1000 + 40 * 86400) * 1000);
    const nbf = new Date(Math.floor(Date.now() / 1000 - 60) * 1000);
    const first = await c.setSecret('contract-pw', 'value-one', {
      contentType: 'text/plain',
      tags: { rotator: 'random' },
      expiresOn: exp,
      notBefore: nbf,
    });
    assert.equal(first.value, 'value-one');
    assert.match(first.properties.version!, /^[0-9a-f]{32}$/);
    assert.equal(first.properties.id, `${origin}/secrets/contract-pw/${first.properties.version}`);
    assert.equal(first.properties.expiresOn?.getTime(), exp.getTime());
    assert.equal(first.properties.notBefore?.getTime(), nbf.getTime());
    assert.equal(first.properties.recoveryLevel, 'Recoverable+Purgeable');
    assert.equal(first.properties.recoverableDays, 90);
    const versions = [first.properties.version!];
    for (let i = 2; i <= 5; i++) versions.push((await c.setSecret('contract-pw', `value-${i}`)).properties.version!);
    const latest = await c.getSecret('contract-pw');
    assert.equal(latest.value, 'value-5');
    assert.equal(latest.properties.version, versions[4]);
    const old = await c.getSecret('contract-pw', { version: versions[0] });
    assert.equal(old.value, 'value-one');
    assert.deepEqual(old.properties.tags, { rotator: 'random' });

    const pages: string[][] = [];
    for await (const page of c.listPropertiesOfSecretVersions('contract-pw').byPage({ maxPageSize: 2 })) {
      pages.push(page.map((p) => p.version!));
    }
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 1],
      'maxresults=2 over five versions: three pages through nextLink on the vault origin',
    );
    assert.deepEqual(pages.flat().sort(), [...versions].sort());

    const updated = await c.updateSecretProperties('contract-pw', versions[0]!, {
      tags: { rotator: 'random', state: 'retired' },
      contentType: 'text/x-retired',
    });
    assert.equal((updated as { value?: string }).value, undefined, 'an update answers without the value');
    assert.deepEqual(updated.tags, { rotator: 'random', state: 'retired' });
    assert.equal(updated.contentType, 'text/x-retired');
    assert.equal(updated.expiresOn?.getTime(), exp.getTime(), 'attributes not sent are kept');

    const names: string[] = [];
    for await (const p of c.listPropertiesOfSecrets()) names.push(p.name);
    assert.ok(names.includes('contract-pw') && names.includes('stfraudraw-key'), names.join(','));
  });

  test('a disabled version answers 403 SecretDisabled; other versions stay readable', async () => {
    const c = client(bed.minted(WARDEN_MI));
    const a = await c.setSecret('contract-disabled', 'a');
    const b = await c.setSecret('contract-disabled', 'b');
    await c.updateSecretProperties('contract-disabled', b.properties.version!, { enabled: false });
    const err = await rejects(c.getSecret('contract-disabled'), 403, 'Forbidden');
    assert.match(err.message, /disabled secret/);
    const r = await rawCall(bed.ca, 'GET', `${origin}/secrets/contract-disabled/?api-version=2026-04-01`, {
      headers: { authorization: `Bearer ${await bed.token(WARDEN_MI, 'https://vault.azure.net/.default')}` },
    });
    assert.deepEqual((r.json as { error: { innererror: unknown } }).error.innererror, { code: 'SecretDisabled' });
    assert.equal((await c.getSecret('contract-disabled', { version: a.properties.version! })).value, 'a');
    const listed = [];
    for await (const p of c.listPropertiesOfSecretVersions('contract-disabled')) listed.push(p);
    assert.equal(listed.find((p) => p.version === b.properties.version)?.enabled, false);
  });

  test('RBAC data actions: Secrets User reads but cannot set; Key Vault Reader sees metadata only; no grant → 403 ForbiddenByRbac', async () => {
    const app = await bed.newApp('contract-kv-reader');
    const granted = await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: kvId,
      principalId: app.principalId,
      role: 'Key Vault Secrets User',
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    const reader = client(app.credential);
    assert.ok((await reader.getSecret('stfraudraw-key')).value);
    const denied = await rejects(reader.setSecret('contract-pw', 'nope'), 403, 'Forbidden');
    assert.match(denied.message, /Microsoft\.KeyVault\/vaults\/secrets\/setSecret\/action/);
    const metaApp = await bed.newApp('contract-kv-metadata');
    const meta = await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: kvId,
      principalId: metaApp.principalId,
      role: 'Key Vault Reader',
    });
    assert.equal(meta.status, 201, JSON.stringify(meta.body));
    const metaReader = client(metaApp.credential);
    const versions = [];
    for await (const p of metaReader.listPropertiesOfSecretVersions('stfraudraw-key')) versions.push(p.version);
    assert.equal(versions.length, 1, 'Key Vault Reader lists versions (readMetadata)');
    await rejects(metaReader.getSecret('stfraudraw-key'), 403, 'Forbidden');
    const ada = client(bed.minted(ADA));
    await rejects(ada.getSecret('stfraudraw-key'), 403, 'Forbidden');
    const r = await rawCall(bed.ca, 'GET', `${origin}/secrets/stfraudraw-key/?api-version=2026-04-01`, {
      headers: { authorization: `Bearer ${await bed.token(ADA, 'https://vault.azure.net/.default')}` },
    });
    assert.deepEqual((r.json as { error: { innererror: unknown } }).error.innererror, { code: 'ForbiddenByRbac' });
    assert.ok(!r.text.includes((await client(bed.minted(WARDEN_MI)).getSecret('stfraudraw-key')).value!));
  });

  test('bad input: invalid name 400, unknown secret/version 404, missing value 400, maxresults out of range 400', async () => {
    const c = client(bed.minted(WARDEN_MI));
    await rejects(c.getSecret('no-such-secret'), 404, 'SecretNotFound');
    await rejects(c.getSecret('contract-pw', { version: 'f'.repeat(32) }), 404, 'SecretNotFound');
    await rejects(c.setSecret('bad_name!', 'x'), 400, 'BadParameter');
    const token = await bed.token(WARDEN_MI, 'https://vault.azure.net/.default');
    const h = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const noValue = await rawCall(bed.ca, 'PUT', `${origin}/secrets/contract-x?api-version=2026-04-01`, {
      headers: h,
      body: JSON.stringify({ attributes: {} }),
    });
    assert.equal(noValue.status, 400);
    const badJson = await rawCall(bed.ca, 'PUT', `${origin}/secrets/contract-x?api-version=2026-04-01`, {
      headers: h,
      body: '{"value":',
    });
    assert.equal(badJson.status, 400);
    assert.equal((badJson.json as { error: { code: string } }).error.code, 'BadParameter');
    const badExp = await rawCall(bed.ca, 'PUT', `${origin}/secrets/contract-x?api-version=2026-04-01`, {
      headers: h,
      body: JSON.stringify({ value: 'v', attributes: { exp: 'tomorrow' } }),
    });
    assert.equal(badExp.status, 400);
    const page = await rawCall(
      bed.ca,
      'GET',
      `${origin}/secrets/contract-pw/versions?api-version=2026-04-01&maxresults=26`,
      {
        headers: h,
      },
    );
    assert.equal(page.status, 400);
    const keys = await rawCall(bed.ca, 'GET', `${origin}/keys?api-version=2026-04-01`, { headers: h });
    assert.equal(keys.status, 501, 'keys and certificates are not emulated, and say so');
  });

  test('delete with soft delete: the poller finishes, the name is reserved (409) until purged or recovered', async () => {
    const c = client(bed.minted(WARDEN_MI));
    await c.setSecret('contract-del', 'to-delete');
    const poller = await c.beginDeleteSecret('contract-del', { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    assert.equal(deleted.name, 'contract-del');
    assert.equal(deleted.recoveryId, `${origin}/deletedsecrets/contract-del`);
    assert.ok(deleted.scheduledPurgeDate && deleted.deletedOn);
    await rejects(c.getSecret('contract-del'), 404, 'SecretNotFound');
    const err = await rejects(c.setSecret('contract-del', 'again'), 409, 'Conflict');
    assert.match(err.message, /deleted but recoverable/);
    const recovered = await (await c.beginRecoverDeletedSecret('contract-del', { intervalInMs: 10 })).pollUntilDone();
    assert.equal(recovered.name, 'contract-del');
    assert.equal((await c.getSecret('contract-del')).value, 'to-delete');
    await (await c.beginDeleteSecret('contract-del', { intervalInMs: 10 })).pollUntilDone();
    await c.purgeDeletedSecret('contract-del');
    await rejects(c.getDeletedSecret('contract-del'), 404);
    assert.equal((await c.setSecret('contract-del', 'fresh')).value, 'fresh', 'a purged name can be reused');
  });

  test('a vault created later through ARM gets its own origin, named by its vaultUri host', async () => {
    const id = `${bed.rg}/providers/Microsoft.KeyVault/vaults/kv-contract-new`;
    const armToken = await bed.token(WARDEN_MI, 'https://management.azure.com/.default');
    const put = await rawCall(bed.ca, 'PUT', `${bed.emu.endpoints.armEndpoint}${id}?api-version=2024-11-01`, {
      headers: { authorization: `Bearer ${armToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        location: bed.world.location,
        properties: { tenantId: bed.world.tenantId, sku: { family: 'A', name: 'standard' } },
      }),
    });
    assert.ok(put.status === 200 || put.status === 201, put.text);
    const grant = await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: id,
      principalId: WARDEN_MI,
      role: 'Key Vault Secrets Officer',
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    const newOrigin = await eventually(async () => {
      const r = await bed.admin('GET', '/admin/endpoints');
      return (r.body as { origins: Record<string, string> }).origins['kv-contract-new.vault.azure.net'];
    }, 'the new vault origin');
    assert.notEqual(newOrigin, origin);
    const c = new SecretClient(newOrigin, bed.minted(WARDEN_MI), {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    const s = await c.setSecret('in-new-vault', 'fresh-value');
    assert.equal((await c.getSecret('in-new-vault')).value, 'fresh-value');
    assert.equal(s.properties.vaultUrl, newOrigin);
    await rejects(client(bed.minted(WARDEN_MI)).getSecret('in-new-vault'), 404, 'SecretNotFound');
  });

  test('values are encrypted at rest (no plaintext in the state files, key file 0600) and survive a restart', async () => {
    const c = client(bed.minted(WARDEN_MI));
    const marker = `plaintext-marker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const set = await c.setSecret('contract-at-rest', marker);
    const keyFile = path.join(bed.stateDir, 'keyvault-data-key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const scan = () => {
      for (const f of readdirSync(bed.stateDir)) {
        if (!f.startsWith('emulator.db')) continue;
        const raw = readFileSync(path.join(bed.stateDir, f));
        assert.ok(!raw.includes(marker), `${f} holds the plaintext`);
        assert.ok(!raw.includes(Buffer.from(marker).toString('base64')), `${f} holds it base64-encoded`);
      }
    };
    scan();
    await bed.restart();
    scan();
    assert.equal(bed.emu.endpoints.origins[HOST], origin, 'the vault keeps its origin across a restart');
    const after = await client(bed.minted(WARDEN_MI)).getSecret('contract-at-rest');
    assert.equal(after.value, marker);
    assert.equal(after.properties.version, set.properties.version);
  });
});
