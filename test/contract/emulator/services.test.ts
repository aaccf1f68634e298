/**
 * The generic services seeded from the demo world: the credential issuer `creds.pipelines.contoso.example` (issue with
 * an Entra token for api://credential-issuer, verify, revoke, expiry on the emulator clock) and the vault-reader app
 * `scoring-service.apps.contoso.example` (reports the latest enabled version of its secret; admin mode reject-new).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SecretClient } from '@azure/keyvault-secrets';

import { createKeyVaultModule } from '../../../emulator/keyvault/index';
import { createServicesModule } from '../../../emulator/services/index';
import { ADA, type DataPlaneBed, rawCall, startDataPlaneBed, WARDEN_MI } from './keyvault-testbed';

const ISSUER = 'creds.pipelines.contoso.example';
const READER = 'scoring-service.apps.contoso.example';

describe('generic services: credential issuer and vault-reader apps', () => {
  let bed: DataPlaneBed;
  let issuer: string;
  let reader: string;
  let wardenToken: string;
  let kv: SecretClient;
  const call = (base: string, method: string, p: string, bearer?: string, body?: unknown) =>
    rawCall(bed.ca, method, `${base}${p}`, {
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  before(async () => {
    bed = await startDataPlaneBed(() => [createServicesModule(), createKeyVaultModule()]);
    issuer = bed.emu.endpoints.origins[ISSUER]!;
    reader = bed.emu.endpoints.origins[READER]!;
    wardenToken = await bed.token(WARDEN_MI, 'api://credential-issuer/.default');
    kv = new SecretClient(bed.emu.endpoints.origins['kv-fraud-ml.vault.azure.net']!, bed.minted(WARDEN_MI), {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
  });
  after(async () => {
    await bed?.stop();
  });

  test('both origins are open', () => {
    assert.match(issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(reader, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('issue → verify 200 → revoke 204 → verify 401; expiry on the emulator clock', async () => {
    const created = await call(issuer, 'POST', '/credentials', wardenToken, {
      comment: 'rotation',
      lifetimeSeconds: 3600,
    });
    assert.equal(created.status, 201, created.text);
    const c = created.json as { id: string; value: string; expiresAt: string };
    assert.ok(c.id && c.value.length > 20);
    assert.ok(Date.parse(c.expiresAt) > Date.now());
    assert.equal((await call(issuer, 'GET', '/verify', c.value)).status, 200);
    const listed = await call(issuer, 'GET', '/credentials', wardenToken);
    assert.ok(!listed.text.includes(c.value), 'listing carries no values');
    assert.ok((listed.json as { value: Array<{ id: string }> }).value.some((x) => x.id === c.id));
    assert.equal((await call(issuer, 'DELETE', `/credentials/${c.id}`, wardenToken)).status, 204);
    assert.equal((await call(issuer, 'GET', '/verify', c.value)).status, 401);
    assert.equal((await call(issuer, 'DELETE', `/credentials/${c.id}`, wardenToken)).status, 404);

    const short = (await call(issuer, 'POST', '/credentials', wardenToken, { lifetimeSeconds: 120 })).json as {
      value: string;
    };
    assert.equal((await call(issuer, 'GET', '/verify', short.value)).status, 200);
    await bed.admin('POST', '/admin/clock/advance', { minutes: 3 });
    assert.equal((await call(issuer, 'GET', '/verify', short.value)).status, 401, 'expired on the emulator clock');
  });

  test('issuer auth and bad input: no token 401, other audience 401, not an allowed caller 403, bad lifetime 400', async () => {
    assert.equal((await call(issuer, 'POST', '/credentials', undefined, {})).status, 401);
    const vaultToken = await bed.token(WARDEN_MI, 'https://vault.azure.net/.default');
    assert.equal((await call(issuer, 'POST', '/credentials', vaultToken, {})).status, 401);
    const ada = await bed.token(ADA, 'api://credential-issuer/.default');
    assert.equal((await call(issuer, 'POST', '/credentials', ada, {})).status, 403);
    assert.equal((await call(issuer, 'POST', '/credentials', wardenToken, { lifetimeSeconds: 'long' })).status, 400);
    assert.equal((await call(issuer, 'GET', '/verify')).status, 401);
  });

  test('the seeded pipelines-api-credential secret holds a live credential of the issuer', async () => {
    const s = await kv.getSecret('pipelines-api-credential');
    assert.equal((await call(issuer, 'GET', '/verify', s.value)).status, 200);
  });

  test('vault reader: reports the latest enabled version; reject-new pins the current one', async () => {
    const current = await kv.getSecret('scoring-db-password');
    const h1 = await call(reader, 'GET', '/healthz');
    assert.equal(h1.status, 200, h1.text);
    assert.deepEqual(h1.json, { version: current.properties.version });

    const mode = await bed.admin('POST', '/admin/consumers/scoring-service/mode', { mode: 'reject-new' });
    assert.equal(mode.status, 200, JSON.stringify(mode.body));
    assert.equal((mode.body as { pinnedVersion: string }).pinnedVersion, current.properties.version);
    const next = await kv.setSecret('scoring-db-password', 'new-password-value');
    const h2 = await call(reader, 'GET', '/healthz');
    assert.equal(h2.status, 503);
    assert.equal((h2.json as { version: string }).version, next.properties.version);
    assert.ok(!h2.text.includes('new-password-value'), 'the health answer never carries the value');

    // roll back by republishing is a newer version: still rejected; disabling the new one makes the pinned one latest
    await kv.updateSecretProperties('scoring-db-password', next.properties.version!, { enabled: false });
    const h3 = await call(reader, 'GET', '/healthz');
    assert.equal(h3.status, 200);
    assert.deepEqual(h3.json, { version: current.properties.version });

    await bed.admin('POST', '/admin/consumers/scoring-service/mode', { mode: 'accept' });
    const newer = await kv.setSecret('scoring-db-password', 'another');
    assert.deepEqual((await call(reader, 'GET', '/healthz')).json, { version: newer.properties.version });

    assert.equal((await bed.admin('POST', '/admin/consumers/scoring-service/mode', { mode: 'sometimes' })).status, 400);
    assert.equal((await bed.admin('POST', '/admin/consumers/nope/mode', { mode: 'accept' })).status, 404);
  });

  test('admin: a vault reader and an issuer added at run time get their origins', async () => {
    const r = await bed.admin('PUT', '/admin/services/vault-readers/report-service', {
      vault: 'kv-fraud-ml',
      secret: 'stfraudraw-key',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const origin = (r.body as { origin: string }).origin;
    assert.match(origin, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await call(origin, 'GET', '/healthz')).status, 200);
    const listed = await bed.admin('GET', '/admin/endpoints');
    assert.equal(
      (listed.body as { origins: Record<string, string> }).origins['report-service.apps.contoso.example'],
      origin,
    );
  });
});
