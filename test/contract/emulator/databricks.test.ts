/**
 * The Databricks workspace data plane for tokens, with plain HTTPS calls as the app's adapter makes them: on the
 * origin named by the workspace's ARM workspaceUrl host, Warden's managed identity (a seeded workspace admin, Entra
 * token for the AzureDatabricks app) issues on-behalf-of tokens for the pipeline's service principal, lists and
 * revokes them; SCIM Me with the PAT is the consumer check; expiry on the emulator clock; tokens stored hashed;
 * the seeded Key Vault secret holds a live token of the pipeline SP.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SecretClient } from '@azure/keyvault-secrets';

import { createDatabricksModule, DATABRICKS_AUDIENCE } from '../../../emulator/databricks/index';
import { createKeyVaultModule } from '../../../emulator/keyvault/index';
import { ADA, type DataPlaneBed, rawCall, startDataPlaneBed, WARDEN_MI } from './keyvault-testbed';

const HOST = 'adb-5555555555555555.15.azuredatabricks.net';
const PIPELINE_APP = 'c1668f6c-5b42-4098-a44a-b87b56c1e998';

describe('Databricks tokens and SCIM Me', () => {
  let bed: DataPlaneBed;
  let origin: string;
  let wardenToken: string;
  const call = (method: string, p: string, bearer?: string, body?: unknown) =>
    rawCall(bed.ca, method, `${origin}${p}`, {
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const me = (pat: string) => call('GET', '/api/2.0/preview/scim/v2/Me', pat);
  const obo = async (lifetime_seconds: number, comment = 'contract') => {
    const r = await call('POST', '/api/2.0/token-management/on-behalf-of/tokens', wardenToken, {
      application_id: PIPELINE_APP,
      lifetime_seconds,
      comment,
    });
    assert.equal(r.status, 200, r.text);
    return r.json as {
      token_value: string;
      token_info: {
        token_id: string;
        creation_time: number;
        expiry_time: number;
        comment: string;
        created_by_id: number;
        owner_id: number;
      };
    };
  };

  before(async () => {
    bed = await startDataPlaneBed(() => [createDatabricksModule(), createKeyVaultModule()]);
    origin = bed.emu.endpoints.origins[HOST]!;
    wardenToken = await bed.token(WARDEN_MI, `${DATABRICKS_AUDIENCE}/.default`);
  });
  after(async () => {
    await bed?.stop();
  });

  test('the workspace origin is named by the host of its workspaceUrl', () => {
    assert.match(origin, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('on-behalf-of token for the pipeline SP: the PAT passes SCIM Me as the SP; revoked → 403', async () => {
    const issued = await obo(3600, 'rotation 1');
    assert.match(issued.token_value, /^dapi[0-9a-f]{32}$/);
    assert.match(issued.token_info.token_id, /^[0-9a-f]{64}$/);
    assert.equal(issued.token_info.expiry_time - issued.token_info.creation_time, 3600_000);
    assert.equal(issued.token_info.comment, 'rotation 1');
    assert.notEqual(issued.token_info.owner_id, issued.token_info.created_by_id);
    const who = await me(issued.token_value);
    assert.equal(who.status, 200, who.text);
    const body = who.json as { applicationId: string; active: boolean; id: string };
    assert.equal(body.applicationId, PIPELINE_APP);
    assert.equal(body.active, true);
    assert.equal(Number(body.id), issued.token_info.owner_id);

    const listed = await call(
      'GET',
      `/api/2.0/token-management/tokens?created_by_id=${issued.token_info.created_by_id}`,
      wardenToken,
    );
    assert.equal(listed.status, 200);
    const infos = (listed.json as { token_infos: Array<{ token_id: string; owner_id: number }> }).token_infos;
    assert.ok(
      infos.some((t) => t.token_id === issued.token_info.token_id && t.owner_id === issued.token_info.owner_id),
    );
    assert.ok(!listed.text.includes(issued.token_value), 'listings never carry token values');

    const del = await call('DELETE', `/api/2.0/token-management/tokens/${issued.token_info.token_id}`, wardenToken);
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, {});
    assert.equal((await me(issued.token_value)).status, 403, 'a revoked token no longer works');
    const again = await call('DELETE', `/api/2.0/token-management/tokens/${issued.token_info.token_id}`, wardenToken);
    assert.equal(again.status, 404);
  });

  test('tokens expire on the emulator clock', async () => {
    const issued = await obo(2 * 86400);
    assert.equal((await me(issued.token_value)).status, 200);
    const adv = await bed.admin('POST', '/admin/clock/advance', { days: 3 });
    assert.equal(adv.status, 200);
    assert.equal((await me(issued.token_value)).status, 403);
  });

  test('own tokens: create, list, delete (the caller only)', async () => {
    const created = await call('POST', '/api/2.0/token/create', wardenToken, { lifetime_seconds: 600, comment: 'own' });
    assert.equal(created.status, 200, created.text);
    const c = created.json as { token_value: string; token_info: { token_id: string } };
    const pat = c.token_value;
    const mine = await call('GET', '/api/2.0/token/list', pat);
    assert.equal(mine.status, 200);
    assert.ok(
      (mine.json as { token_infos: Array<{ token_id: string }> }).token_infos.some(
        (t) => t.token_id === c.token_info.token_id,
      ),
    );
    const other = await obo(600);
    const notMine = await call('POST', '/api/2.0/token/delete', wardenToken, { token_id: other.token_info.token_id });
    assert.equal(notMine.status, 404, "the caller cannot delete another principal's token through token/delete");
    const del = await call('POST', '/api/2.0/token/delete', wardenToken, { token_id: c.token_info.token_id });
    assert.equal(del.status, 200);
    assert.equal((await me(pat)).status, 403);
  });

  test('auth: no credential 401, non-member 403, non-admin (the SP with its PAT) cannot manage tokens, bad input 400', async () => {
    assert.equal((await me('')).status, 401);
    assert.equal((await call('GET', '/api/2.0/preview/scim/v2/Me')).status, 401);
    assert.equal((await me('dapi' + '0'.repeat(32))).status, 403);
    const adaToken = await bed.token(ADA, `${DATABRICKS_AUDIENCE}/.default`);
    assert.equal((await me(adaToken)).status, 403, 'Ada is not a workspace member');
    const vaultToken = await bed.token(WARDEN_MI, 'https://vault.azure.net/.default');
    assert.equal((await me(vaultToken)).status, 401, 'a token for another audience is refused');
    const sp = await obo(600);
    const spManage = await call('POST', '/api/2.0/token-management/on-behalf-of/tokens', sp.token_value, {
      application_id: PIPELINE_APP,
      lifetime_seconds: 60,
    });
    assert.equal(spManage.status, 403);
    const unknownSp = await call('POST', '/api/2.0/token-management/on-behalf-of/tokens', wardenToken, {
      application_id: '00000000-0000-4000-8000-0000000000ff',
      lifetime_seconds: 60,
    });
    assert.equal(unknownSp.status, 404);
    const badLifetime = await call('POST', '/api/2.0/token-management/on-behalf-of/tokens', wardenToken, {
      application_id: PIPELINE_APP,
      lifetime_seconds: 'forever',
    });
    assert.equal(badLifetime.status, 400);
    assert.equal((badLifetime.json as { error_code: string }).error_code, 'INVALID_PARAMETER_VALUE');
  });

  test('token values are stored hashed only; the seeded vault secret is a live PAT of the pipeline SP', async () => {
    const issued = await obo(600);
    for (const f of readdirSync(bed.stateDir)) {
      if (!f.startsWith('emulator.db')) continue;
      assert.ok(!readFileSync(path.join(bed.stateDir, f)).includes(issued.token_value), f);
    }
    const kv = new SecretClient(bed.emu.endpoints.origins['kv-fraud-ml.vault.azure.net']!, bed.minted(WARDEN_MI), {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: bed.ca },
    });
    // the clock moved 3 days in an earlier test; the seeded token lives as long as the secret (20 days)
    const seeded = await kv.getSecret('databricks-training-token');
    const who = await me(seeded.value!);
    assert.equal(who.status, 200, who.text);
    assert.equal((who.json as { applicationId: string }).applicationId, PIPELINE_APP);
  });
});
