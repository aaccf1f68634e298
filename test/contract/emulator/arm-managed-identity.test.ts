/**
 * Warden's own identity, exactly as the app will run it: `ManagedIdentityCredential` (App Service protocol through
 * IDENTITY_ENDPOINT/IDENTITY_HEADER) with the real ARM clients, in a child process started with
 * NODE_EXTRA_CA_CERTS (Node reads it only at start). Warden's least-privilege grants from the demo world decide:
 * it reverts the out-of-band Owner grant and closes the storage account, and may not delete the account.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { type ArmTestBed, repoRoot, startArmTestBed } from './arm-helpers';

const MALLORY_GRANT = '13b3a5c9-8a49-4739-852c-fd0d71ad6f11';

const SCRIPT = `
const { ManagedIdentityCredential } = require('@azure/identity');
const { AuthorizationManagementClient } = require('@azure/arm-authorization');
const { StorageManagementClient } = require('@azure/arm-storage');
const { SUB, RG_ID, ARM } = process.env;
(async () => {
  const credential = new ManagedIdentityCredential();
  const out = {};
  const auth = new AuthorizationManagementClient(credential, SUB, {
    endpoint: ARM,
    credentialScopes: ['https://management.azure.com/.default'],
  });
  const names = [];
  for await (const a of auth.roleAssignments.listForScope(RG_ID, { filter: 'atScope()' })) names.push(a.name);
  out.listed = names;
  out.deleted = (await auth.roleAssignments.delete(RG_ID, '${MALLORY_GRANT}'))?.name ?? null;
  const storage = new StorageManagementClient(credential, SUB, { endpoint: ARM });
  out.publicNetworkAccess = (await storage.storageAccounts.update('rg-fraud-ml', 'stfraudraw', { publicNetworkAccess: 'Disabled' })).publicNetworkAccess;
  try {
    await storage.storageAccounts.delete('rg-fraud-ml', 'stfraudraw');
    out.deleteAccount = 'allowed';
  } catch (e) {
    out.deleteAccount = e.code;
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  process.stderr.write(String(e && e.stack || e));
  process.exit(1);
});
`;

describe("ARM with Warden's managed identity (child process, DefaultAzureCredential's path)", () => {
  let bed: ArmTestBed;
  before(async () => {
    bed = await startArmTestBed();
  });
  after(async () => {
    await bed?.stop();
  });

  test('reverts the drift and closes the account with its own grants; deleting the account is refused', async () => {
    const mi = bed.emu.endpoints.managedIdentity;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-e', SCRIPT],
        {
          cwd: repoRoot(),
          timeout: 60_000,
          env: {
            PATH: process.env.PATH ?? '',
            NODE_EXTRA_CA_CERTS: bed.emu.caCertPath,
            IDENTITY_ENDPOINT: mi.IDENTITY_ENDPOINT,
            IDENTITY_HEADER: mi.IDENTITY_HEADER,
            SUB: bed.sub,
            RG_ID: bed.rg,
            ARM: bed.endpoint,
          },
        },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
      );
    });
    const out = JSON.parse(stdout) as {
      listed: string[];
      deleted: string | null;
      publicNetworkAccess: string;
      deleteAccount: string;
    };
    assert.ok(out.listed.includes(MALLORY_GRANT), 'the out-of-band Owner grant is visible at the managed scope');
    assert.equal(out.deleted, MALLORY_GRANT);
    assert.equal(out.publicNetworkAccess, 'Disabled');
    assert.equal(out.deleteAccount, 'AuthorizationFailed');

    const wardenId = bed.world.warden!.principalId;
    const revoke = await bed.events.waitFor(
      (e) => e.eventType === 'Microsoft.Resources.ResourceDeleteSuccess' && e.subject.endsWith(MALLORY_GRANT),
      'the revocation',
    );
    assert.equal(revoke.data.authorization.evidence?.role, 'Warden Access Reconciler');
    assert.equal(revoke.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], wardenId);
    assert.equal(revoke.data.claims.appid, bed.world.warden!.appId);
    const close = await bed.events.waitFor(
      (e) =>
        e.data.operationName === 'Microsoft.Storage/storageAccounts/write' &&
        e.data.claims.appid === bed.world.warden!.appId,
      'the storage change',
    );
    assert.equal(close.data.authorization.evidence?.role, 'Warden Network Enforcer');
  });
});
