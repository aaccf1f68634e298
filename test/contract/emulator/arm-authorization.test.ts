/**
 * Microsoft.Authorization through `@azure/arm-authorization` 9 (the autorest client: `endpoint` plus
 * `credentialScopes`, api-version 2022-04-01 and 2020-10-01 for PIM), with real tokens from the emulator's Entra:
 * role assignment lifecycle, principal checks, conflicts, `atScope()` with inherited assignments, paging, role
 * definitions, PIM schedule instances, RBAC failures and the events ARM emits.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/identity';

import {
  ARM_SCOPE,
  type ArmTestBed,
  assertCoversShape,
  clientOptions,
  fixture,
  raw,
  startArmTestBed,
  statusOf,
} from './arm-helpers';

const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const BREAK_GLASS = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';
const MALLORY = 'bf92cd29-2eee-4e3b-9d96-85a7d1118887';
const DS_GROUP = '95d764b4-de42-46a3-bb72-8b382714c04a';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
}

async function rejects(p: Promise<unknown>, status: number, code: string): Promise<RestErrorLike> {
  try {
    await p;
  } catch (e) {
    const err = e as RestErrorLike;
    assert.equal(err.statusCode, status, `${err.code}: ${err.message}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${status} ${code}`);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('ARM Microsoft.Authorization through @azure/arm-authorization', () => {
  let bed: ArmTestBed;
  let warden: AuthorizationManagementClient;
  let wardenOid: string;
  let contributor: { principalId: string; credential: TokenCredential; client: AuthorizationManagementClient };
  let rdId: (guid: string) => string;
  const client = (credential: TokenCredential) =>
    new AuthorizationManagementClient(credential, bed.sub, clientOptions(bed, { credentialScopes: [ARM_SCOPE] }));

  before(async () => {
    bed = await startArmTestBed();
    wardenOid = bed.world.warden!.principalId;
    warden = client(bed.mintedCredential(wardenOid));
    rdId = (guid) => `/subscriptions/${bed.sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    const app = await bed.newApp('contract-contributor');
    const added = await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: bed.rg,
      principalId: app.principalId,
      role: 'Contributor',
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    contributor = { ...app, client: client(app.credential) };
  });
  after(async () => {
    await bed?.stop();
  });

  test('role assignment lifecycle: create 201, get, identical re-PUT 200, delete 200 with body, then 204 and 404', async () => {
    const name = randomUUID();
    const s1 = statusOf();
    const created = await warden.roleAssignments.create(
      bed.rg,
      name,
      { roleDefinitionId: rdId(READER), principalId: DS_GROUP, principalType: 'Group', description: 'contract test' },
      { onResponse: s1.onResponse },
    );
    assert.equal(s1.status, 201);
    assert.equal(created.name, name);
    assert.equal(created.id, `${bed.rg}/providers/Microsoft.Authorization/roleAssignments/${name}`);
    assert.equal(created.scope, bed.rg);
    assert.equal(created.principalType, 'Group');
    assert.equal(created.roleDefinitionId?.toLowerCase(), rdId(READER).toLowerCase());
    assert.equal(created.createdBy, wardenOid);
    assert.equal(created.description, 'contract test');
    assert.ok(created.createdOn instanceof Date);

    const got = await warden.roleAssignments.get(bed.rg, name);
    assert.equal(got.principalId, DS_GROUP);

    const s2 = statusOf();
    await warden.roleAssignments.create(
      bed.rg,
      name,
      { roleDefinitionId: rdId(READER), principalId: DS_GROUP },
      { onResponse: s2.onResponse },
    );
    assert.equal(s2.status, 200);

    const s3 = statusOf();
    const deleted = await warden.roleAssignments.delete(bed.rg, name, { onResponse: s3.onResponse });
    assert.equal(s3.status, 200);
    assert.equal(deleted?.name, name);
    const s4 = statusOf();
    await warden.roleAssignments.delete(bed.rg, name, { onResponse: s4.onResponse });
    assert.equal(s4.status, 204);
    await rejects(warden.roleAssignments.get(bed.rg, name), 404, 'RoleAssignmentNotFound');
  });

  test("bodies carry every field of Azure's documented examples (create, list, delete)", async () => {
    const name = randomUUID();
    const token = (await bed.mintedCredential(wardenOid).getToken(ARM_SCOPE))!.token;
    const path = `/${bed.rg}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
    const put = await raw(bed, 'PUT', path, {
      token,
      body: JSON.stringify({
        properties: { roleDefinitionId: rdId(READER), principalId: GRACE, principalType: 'User' },
      }),
    });
    assert.equal(put.status, 201);
    const create = fixture<{ responses: { 201: { body: unknown } } }>('RoleAssignments_CreateForResourceGroup.json');
    assertCoversShape(create.responses['201'].body, put.body);
    const list = await raw(
      bed,
      'GET',
      `/${bed.rg}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`,
      { token },
    );
    assertCoversShape(
      fixture<{ responses: { 200: { body: unknown } } }>('RoleAssignments_ListForScope.json').responses['200'].body,
      list.body,
    );
    const del = await raw(bed, 'DELETE', path, { token });
    assert.equal(del.status, 200);
    assertCoversShape(
      fixture<{ responses: { 200: { body: unknown } } }>('RoleAssignments_Delete.json').responses['200'].body,
      del.body,
    );
  });

  test('principalType is checked against the directory and filled in when omitted', async () => {
    await rejects(
      warden.roleAssignments.create(bed.rg, randomUUID(), {
        roleDefinitionId: rdId(READER),
        principalId: DS_GROUP,
        principalType: 'User',
      }),
      400,
      'UnmatchedPrincipalType',
    );
    const name = randomUUID();
    const monitoringReader = '43d0d8ad-25c7-4714-9337-8ba259a9fe05';
    const a = await warden.roleAssignments.create(bed.rg, name, {
      roleDefinitionId: rdId(monitoringReader),
      principalId: ADA,
    });
    assert.equal(a.principalType, 'User');
    await warden.roleAssignments.delete(bed.rg, name);
  });

  test('PrincipalNotFound, InvalidRoleAssignmentId, RoleDefinitionDoesNotExist, RoleAssignmentExists', async () => {
    const err = await rejects(
      warden.roleAssignments.create(bed.rg, randomUUID(), {
        roleDefinitionId: rdId(READER),
        principalId: randomUUID(),
        principalType: 'ServicePrincipal',
      }),
      400,
      'PrincipalNotFound',
    );
    assert.match(err.message, /does not exist in the directory/);
    await rejects(
      warden.roleAssignments.create(bed.rg, 'not-a-guid', { roleDefinitionId: rdId(READER), principalId: ADA }),
      400,
      'InvalidRoleAssignmentId',
    );
    await rejects(
      warden.roleAssignments.create(bed.rg, randomUUID(), { roleDefinitionId: rdId(randomUUID()), principalId: ADA }),
      400,
      'RoleDefinitionDoesNotExist',
    );
    // Ada already holds Reader on the resource group (seeded, id b9087168-...).
    const dup = await rejects(
      warden.roleAssignments.create(bed.rg, randomUUID(), { roleDefinitionId: rdId(READER), principalId: ADA }),
      409,
      'RoleAssignmentExists',
    );
    assert.match(dup.message, /The ID of the existing role assignment is b908716881004541a09f0503d1e3a188\./);
  });

  test('bad role assignment requests: bodies, content types, updates that are not permitted, unknown scopes', async () => {
    const token = (await bed.mintedCredential(wardenOid).getToken(ARM_SCOPE))!.token;
    const at = (scope: string, name: string) =>
      `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
    const name = randomUUID();
    const malformed = await raw(bed, 'PUT', at(bed.rg, name), { token, body: '{"properties":' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error?.code, 'InvalidRequestContent');
    const noPrincipal = await raw(bed, 'PUT', at(bed.rg, name), {
      token,
      body: JSON.stringify({ properties: { roleDefinitionId: rdId(READER) } }),
    });
    assert.equal(noPrincipal.body.error?.code, 'InvalidRequestContent');
    assert.match(noPrincipal.body.error?.message ?? '', /principalId/);
    const text = await raw(bed, 'PUT', at(bed.rg, name), { token, body: 'principalId=x', contentType: 'text/plain' });
    assert.equal(text.status, 415);
    const badType = await raw(bed, 'PUT', at(bed.rg, name), {
      token,
      body: JSON.stringify({
        properties: { roleDefinitionId: rdId(READER), principalId: ADA, principalType: 'Robot' },
      }),
    });
    assert.equal(badType.body.error?.code, 'InvalidRequestContent');
    await warden.roleAssignments.create(bed.rg, name, { roleDefinitionId: rdId(READER), principalId: GRACE });
    await rejects(
      warden.roleAssignments.create(bed.rg, name, { roleDefinitionId: rdId(READER), principalId: DS_GROUP }),
      400,
      'RoleAssignmentUpdateNotPermitted',
    );
    await warden.roleAssignments.delete(bed.rg, name);
    await rejects(
      warden.roleAssignments.create(
        `${bed.rg}/providers/Microsoft.Storage/storageAccounts/nosuchaccount`,
        randomUUID(),
        {
          roleDefinitionId: rdId(READER),
          principalId: ADA,
        },
      ),
      404,
      'ResourceNotFound',
    );
  });

  test('atScope() includes assignments inherited from the subscription, and none below the scope', async () => {
    const atScope = await collect(warden.roleAssignments.listForScope(bed.rg, { filter: 'atScope()' }));
    const names = atScope.map((a) => a.name);
    assert.ok(
      names.includes('ee4fc995-4af8-4f8e-8a6b-ed54c95daee1'),
      'break-glass Owner at the subscription is inherited',
    );
    assert.ok(names.includes('b9087168-8100-4541-a09f-0503d1e3a188'), "Ada's Reader at the resource group");
    assert.ok(
      names.includes('13b3a5c9-8a49-4739-852c-fd0d71ad6f11'),
      "the drift: Mallory's Owner at the resource group",
    );
    assert.ok(
      atScope.every((a) => bed.rg.toLowerCase().startsWith(a.scope!.toLowerCase())),
      'nothing below the scope',
    );
    const all = await collect(warden.roleAssignments.listForScope(bed.rg));
    assert.ok(
      all.some((a) => a.scope?.includes('/storageAccounts/stfraudraw')),
      'without a filter, assignments below the scope are listed too',
    );
    const mine = await collect(
      warden.roleAssignments.listForScope(bed.rg, { filter: `atScope() and principalId eq '${BREAK_GLASS}'` }),
    );
    assert.deepEqual(
      mine.map((a) => a.name),
      ['ee4fc995-4af8-4f8e-8a6b-ed54c95daee1'],
    );
    const wardenAll = await collect(
      warden.roleAssignments.listForScope(bed.rg, { filter: `principalId eq '${wardenOid}'` }),
    );
    assert.equal(wardenAll.length, bed.world.warden!.grants!.length, "all of Warden's grants, at and below the group");
    const mallory = await collect(warden.roleAssignments.listForScope(bed.rg, { filter: `assignedTo('${MALLORY}')` }));
    assert.equal(mallory.length, 1);
    await rejects(
      collect(warden.roleAssignments.listForScope(bed.rg, { filter: "roleDefinitionId eq 'x'" })),
      400,
      'EmulatorUnsupported',
    );
  });

  test('paging follows nextLink (page size set through the admin API)', async () => {
    const unpaged = await collect(warden.roleAssignments.listForScope(bed.rg));
    assert.ok(unpaged.length > 3);
    await bed.admin('PUT', '/admin/arm/settings', { pageSize: 2 });
    try {
      const token = (await bed.mintedCredential(wardenOid).getToken(ARM_SCOPE))!.token;
      const first = await raw(
        bed,
        'GET',
        `/${bed.rg}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`,
        { token },
      );
      assert.equal((first.body.value as unknown[]).length, 2);
      assert.match(
        String(first.body.nextLink),
        /^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*api-version=2022-04-01.*\$skipToken=/,
      );
      const paged = await collect(warden.roleAssignments.listForScope(bed.rg));
      assert.deepEqual(
        paged.map((a) => a.name),
        unpaged.map((a) => a.name),
      );
    } finally {
      await bed.admin('PUT', '/admin/arm/settings', { pageSize: null });
    }
  });

  test('role definitions: built-ins with real ids and permissions, custom roles from the world, roleName filter', async () => {
    // Warden reads role definitions where it holds */read: the managed resource group.
    const sub = bed.rg;
    const blob = await collect(warden.roleDefinitions.list(sub, { filter: "roleName eq 'Storage Blob Data Reader'" }));
    assert.equal(blob.length, 1);
    assert.equal(blob[0]!.name, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1');
    assert.equal(blob[0]!.roleType, 'BuiltInRole');
    assert.deepEqual(blob[0]!.permissions?.[0]?.dataActions, [
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    ]);
    const reader = await warden.roleDefinitions.get(sub, READER);
    assert.equal(reader.roleName, 'Reader');
    assert.deepEqual(reader.permissions?.[0]?.actions, ['*/read']);
    const contributorDef = await warden.roleDefinitions.getById(
      `/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
    );
    assert.ok(contributorDef.permissions?.[0]?.notActions?.includes('Microsoft.Authorization/*/Write'));
    const custom = await collect(warden.roleDefinitions.list(sub, { filter: "roleName eq 'Warden Network Enforcer'" }));
    assert.equal(custom[0]?.roleType, 'CustomRole');
    assert.equal(custom[0]?.name, 'f96d3e34-f8a0-421e-80ea-f4e3ee81d442');
    await rejects(warden.roleDefinitions.get(sub, randomUUID()), 404, 'RoleDefinitionDoesNotExist');
  });

  test('a Contributor cannot write a role assignment (403 AuthorizationFailed) but can read them', async () => {
    const name = randomUUID();
    const err = await rejects(
      contributor.client.roleAssignments.create(bed.rg, name, { roleDefinitionId: rdId(READER), principalId: ADA }),
      403,
      'AuthorizationFailed',
    );
    assert.equal(
      err.message,
      `The client '${contributor.principalId}' with object id '${contributor.principalId}' does not have authorization to perform action ` +
        `'Microsoft.Authorization/roleAssignments/write' over scope '${bed.rg}/providers/Microsoft.Authorization/roleAssignments/${name}' ` +
        'or the scope is invalid. If access was recently granted, please refresh your credentials.',
    );
    const listed = await collect(contributor.client.roleAssignments.listForScope(bed.rg, { filter: 'atScope()' }));
    assert.ok(listed.length > 0);
    await rejects(
      collect(contributor.client.roleAssignments.listForScope(`/subscriptions/${bed.sub}`, { filter: 'atScope()' })),
      403,
      'AuthorizationFailed',
    );
  });

  test('role assignment writes and deletes emit Microsoft.Resources events with the evidence of the grant', async () => {
    const name = randomUUID();
    const id = `${bed.rg}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    await warden.roleAssignments.create(bed.rg, name, { roleDefinitionId: rdId(READER), principalId: DS_GROUP });
    const write = await bed.events.waitFor(
      (e) => e.subject === id && e.eventType === 'Microsoft.Resources.ResourceWriteSuccess',
      'write',
    );
    assert.equal(write.topic, `/subscriptions/${bed.sub}`);
    assert.equal(write.data.operationName, 'Microsoft.Authorization/roleAssignments/write');
    assert.equal(write.data.authorization.action, 'Microsoft.Authorization/roleAssignments/write');
    assert.equal(write.data.authorization.evidence?.role, 'Warden Access Reconciler');
    assert.equal(write.data.authorization.evidence?.principalId, wardenOid);
    assert.equal(write.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], wardenOid);
    assert.equal(write.data.httpRequest?.method, 'PUT');
    assertCoversShape(fixture<unknown[]>('ResourceWriteSuccess.json')[0], write);
    await warden.roleAssignments.delete(bed.rg, name);
    const del = await bed.events.waitFor(
      (e) => e.subject === id && e.eventType === 'Microsoft.Resources.ResourceDeleteSuccess',
      'delete',
    );
    assert.equal(del.data.operationName, 'Microsoft.Authorization/roleAssignments/delete');
    assertCoversShape(fixture<unknown[]>('ResourceDeleteSuccess.json')[0], del);
  });

  test('PIM: an activation is listed as Activated, standing grants as Assigned, and it ends with its time', async () => {
    const kv = `${bed.rg}/providers/Microsoft.KeyVault/vaults/kv-fraud-ml`;
    const act = await bed.admin('POST', '/admin/arm/pim/activations', {
      principalId: ADA,
      role: 'Key Vault Secrets Officer',
      scope: kv,
      durationMinutes: 60,
      justification: 'incident 42',
    });
    assert.equal(act.status, 201, JSON.stringify(act.body));
    const instances = await collect(warden.roleAssignmentScheduleInstances.listForScope(kv, { filter: 'atScope()' }));
    const ada = instances.find((i) => i.principalId === ADA && i.scope?.toLowerCase() === kv.toLowerCase());
    assert.equal(ada?.assignmentType, 'Activated');
    assert.ok(ada?.endDateTime instanceof Date);
    const standing = instances.find((i) => i.principalId === wardenOid);
    assert.equal(standing?.assignmentType, 'Assigned');
    const token = (await bed.mintedCredential(wardenOid).getToken(ARM_SCOPE))!.token;
    const rawList = await raw(
      bed,
      'GET',
      `/${kv}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances?api-version=2020-10-01&$filter=atScope()`,
      { token },
    );
    const activated = (rawList.body.value as Array<{ properties: { assignmentType: string } }>).filter(
      (i) => i.properties.assignmentType === 'Activated',
    );
    assert.equal(activated.length, 1);
    assertCoversShape(
      fixture<{ responses: { 200: { body: unknown } } }>('GetRoleAssignmentScheduleInstancesByScope.json').responses[
        '200'
      ].body,
      { value: activated },
    );
    // PIM ends the activation: the role assignment disappears once the clock passes its end.
    await bed.admin('POST', '/admin/clock/advance', { ms: 61 * 60_000 });
    // A fresh client: the SDK caches tokens by real time, and the emulator's clock just moved an hour on.
    warden = client(bed.mintedCredential(wardenOid));
    const after = await collect(warden.roleAssignments.listForScope(kv, { filter: `principalId eq '${ADA}'` }));
    assert.ok(!after.some((a) => a.scope?.toLowerCase() === kv.toLowerCase()), 'the activated assignment is gone');
  });

  test('authentication failures: no token, wrong audience, expired token', async () => {
    const path = `/${bed.rg}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`;
    const none = await raw(bed, 'GET', path);
    assert.equal(none.status, 401);
    assert.equal(none.body.error?.code, 'AuthenticationFailed');
    assert.match(String(none.headers['www-authenticate']), /^Bearer /);

    const vaultToken = (await contributor.credential.getToken('https://vault.azure.net/.default'))!.token;
    const wrong = await raw(bed, 'GET', path, { token: vaultToken });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error?.code, 'InvalidAuthenticationTokenAudience');

    const token = (await bed.mintedCredential(wardenOid).getToken(ARM_SCOPE))!.token;
    await bed.admin('POST', '/admin/clock/advance', { ms: 2 * 3600_000 });
    const expired = await raw(bed, 'GET', path, { token });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error?.code, 'ExpiredAuthenticationToken');
  });

  test('pitfall: an autorest client without credentialScopes asks for a token for the endpoint, which ARM refuses', async () => {
    const app = await bed.newApp('contract-no-scopes');
    const bare = new AuthorizationManagementClient(app.credential, bed.sub, clientOptions(bed));
    await assert.rejects(collect(bare.roleAssignments.listForScope(bed.rg)), (e: RestErrorLike & { name: string }) => {
      // Entra refuses the unknown resource, or ARM the audience: either way nothing reaches ARM authorised.
      assert.ok(
        e.code === 'InvalidAuthenticationTokenAudience' ||
          /AADSTS500011|invalid_resource|invalid_scope/i.test(e.message),
        `${e.name} ${e.code}: ${e.message}`,
      );
      return true;
    });
  });

  test('api-version: missing and unsupported get ARM errors', async () => {
    const token = (await bed.mintedCredential(wardenOid).getToken(ARM_SCOPE))!.token;
    const base = `/${bed.rg}/providers/Microsoft.Authorization/roleAssignments`;
    const missing = await raw(bed, 'GET', base, { token });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error?.code, 'MissingApiVersionParameter');
    const bad = await raw(bed, 'GET', `${base}?api-version=2015-07-01`, { token });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'InvalidApiVersionParameter');
    assert.match(bad.body.error?.message ?? '', /2022-04-01/);
    const other = await raw(
      bed,
      'GET',
      `/${bed.rg}/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01`,
      { token },
    );
    assert.equal(other.status, 501);
    assert.equal(other.body.error?.code, 'EmulatorNotImplemented');
    assert.match(other.body.error?.message ?? '', /denyAssignments/);
  });
});
