/**
 * Storage account keys through the real `@azure/arm-storage` 21 StorageManagementClient (listKeys, regenerateKey, with
 * Warden's least-privilege Storage Account Key Operator grant and the ResourceActionSuccess events ARM emits), and
 * the blob data plane on `<account>.blob.core.windows.net`: List Containers with a hand-signed Shared Key request
 * answers 200 for a current key and 403 AuthenticationFailed for a regenerated one.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { StorageManagementClient } from '@azure/arm-storage';
import { SecretClient } from '@azure/keyvault-secrets';

import { createKeyVaultModule } from '../../../emulator/keyvault/index';
import { createStorageModule } from '../../../emulator/storage/index';
import { ADA, type DataPlaneBed, rawCall, startDataPlaneBed, WARDEN_MI } from './keyvault-testbed';

const HOST = 'stfraudraw.blob.core.windows.net';

/** Shared Key for `GET /?comp=list`, written from the documented string-to-sign (independent of the emulator's). */
function signedListContainers(
  account: string,
  key: string,
  date: string,
  version = '2025-11-05',
): Record<string, string> {
  const toSign = [
    'GET',
    '', // Content-Encoding
    '', // Content-Language
    '', // Content-Length (empty for 0)
    '', // Content-MD5
    '', // Content-Type
    '', // Date (x-ms-date is sent)
    '',
    '',
    '',
    '',
    '', // If-* and Range
    `x-ms-date:${date}\nx-ms-version:${version}\n/${account}/\ncomp:list`,
  ].join('\n');
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
  return { 'x-ms-date': date, 'x-ms-version': version, authorization: `SharedKey ${account}:${sig}` };
}

describe('storage account keys and Shared Key on the blob endpoint', () => {
  let bed: DataPlaneBed;
  let blob: string;
  let storage: StorageManagementClient;
  let stId: string;
  const list = (key: string, account = 'stfraudraw') =>
    rawCall(bed.ca, 'GET', `${blob}/?comp=list`, {
      headers: signedListContainers(account, key, new Date().toUTCString()),
    });

  before(async () => {
    bed = await startDataPlaneBed(() => [createStorageModule(), createKeyVaultModule()]);
    blob = bed.emu.endpoints.origins[HOST]!;
    stId = `${bed.rg}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
    const sub = await bed.admin('PUT', '/admin/eventgrid/subscriptions/storage-key-tests', {
      topic: `/subscriptions/${bed.sub}`,
      endpointUrl: bed.events.url,
      validate: false,
    });
    assert.ok(sub.status < 300, JSON.stringify(sub.body));
    storage = new StorageManagementClient(bed.minted(WARDEN_MI), bed.sub, {
      endpoint: bed.emu.endpoints.armEndpoint,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
  });
  after(async () => {
    await bed?.stop();
  });

  test('listKeys returns two 64-byte keys with creation times; the blob endpoint accepts either', async () => {
    const r = await storage.storageAccounts.listKeys('rg-fraud-ml', 'stfraudraw');
    assert.deepEqual(
      r.keys?.map((k) => [k.keyName, k.permissions]),
      [
        ['key1', 'Full'.toUpperCase()],
        ['key2', 'FULL'],
      ],
    );
    for (const k of r.keys) {
      assert.equal(Buffer.from(k.value!, 'base64').length, 64);
      assert.ok(k.creationTime instanceof Date && !Number.isNaN(k.creationTime.getTime()));
    }
    const again = await storage.storageAccounts.listKeys('rg-fraud-ml', 'stfraudraw');
    assert.deepEqual(
      again.keys?.map((k) => k.value),
      r.keys?.map((k) => k.value),
      'stable until regenerated',
    );
    for (const k of r.keys) {
      const ok = await list(k.value!);
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, /<EnumerationResults ServiceEndpoint="https:\/\/stfraudraw\.blob\.core\.windows\.net\/">/);
      assert.match(String(ok.headers['content-type']), /application\/xml/);
    }
    const event = await bed.events.waitFor(
      (e) => e.data.operationName === 'Microsoft.Storage/storageAccounts/listKeys/action',
      'listKeys action event',
    );
    assert.equal(event.eventType, 'Microsoft.Resources.ResourceActionSuccess');
    assert.equal(event.subject, stId);
    assert.equal(event.data.authorization.evidence?.role, 'Storage Account Key Operator Service Role');
    assert.ok(!JSON.stringify(bed.events.received).includes(r.keys[0]!.value!), 'no key in any event');
  });

  test('regenerateKey replaces only the named key; the old value is refused with 403 AuthenticationFailed', async () => {
    const before = (await storage.storageAccounts.listKeys('rg-fraud-ml', 'stfraudraw')).keys!;
    const after = (await storage.storageAccounts.regenerateKey('rg-fraud-ml', 'stfraudraw', { keyName: 'key2' })).keys!;
    assert.equal(after.find((k) => k.keyName === 'key1')!.value, before.find((k) => k.keyName === 'key1')!.value);
    const oldKey2 = before.find((k) => k.keyName === 'key2')!.value!;
    const newKey2 = after.find((k) => k.keyName === 'key2')!.value!;
    assert.notEqual(newKey2, oldKey2);
    assert.equal((await list(newKey2)).status, 200);
    const refused = await list(oldKey2);
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-ms-error-code'], 'AuthenticationFailed');
    assert.match(refused.text, /<Code>AuthenticationFailed<\/Code>/);
    const props = await storage.storageAccounts.getProperties('rg-fraud-ml', 'stfraudraw');
    assert.ok(
      props.keyCreationTime?.key2 && props.keyCreationTime.key2 > props.keyCreationTime.key1!,
      'keyCreationTime.key2 moved',
    );
    await bed.events.waitFor(
      (e) => e.data.operationName === 'Microsoft.Storage/storageAccounts/regenerateKey/action',
      'regenerateKey action event',
    );
  });

  test('bad input and access: bad keyName 400, kerb keys 400, no grant 403, wrong account or no signature refused', async () => {
    const err = (p: Promise<unknown>) =>
      p.then(
        () => assert.fail('expected an error'),
        (e: { statusCode?: number; code?: string }) => e,
      );
    const bad = await err(storage.storageAccounts.regenerateKey('rg-fraud-ml', 'stfraudraw', { keyName: 'key3' }));
    assert.equal(bad.statusCode, 400);
    assert.equal(
      (await err(storage.storageAccounts.regenerateKey('rg-fraud-ml', 'stfraudraw', { keyName: 'kerb1' }))).statusCode,
      400,
    );
    const ada = new StorageManagementClient(bed.minted(ADA), bed.sub, {
      endpoint: bed.emu.endpoints.armEndpoint,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    const denied = await err(ada.storageAccounts.listKeys('rg-fraud-ml', 'stfraudraw'));
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.code, 'AuthorizationFailed');
    const key1 = (await storage.storageAccounts.listKeys('rg-fraud-ml', 'stfraudraw')).keys![0]!.value!;
    assert.equal((await list(key1, 'otheraccount')).status, 403);
    const anonymous = await rawCall(bed.ca, 'GET', `${blob}/?comp=list`);
    assert.equal(anonymous.status, 401);
    const tampered = signedListContainers('stfraudraw', key1, new Date().toUTCString());
    const wrongVersion = await rawCall(bed.ca, 'GET', `${blob}/?comp=list`, {
      headers: { ...tampered, 'x-ms-version': '2020-04-08' },
    });
    assert.equal(wrongVersion.status, 403, 'a header outside the signature changes the string-to-sign');
  });

  test('the seeded vault secret stfraudraw-key holds the current key1', async () => {
    const kv = new SecretClient(bed.emu.endpoints.origins['kv-fraud-ml.vault.azure.net']!, bed.minted(WARDEN_MI), {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: bed.ca },
    });
    const secret = await kv.getSecret('stfraudraw-key');
    const key1 = (await storage.storageAccounts.listKeys('rg-fraud-ml', 'stfraudraw')).keys![0]!.value!;
    assert.equal(secret.value, key1);
    assert.equal((await list(secret.value)).status, 200);
  });
});
