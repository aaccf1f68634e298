/**
 * Contract: the `RoleAssignmentsPort` Azure adapter against the emulator's ARM (real Entra tokens, real RBAC), and
 * against Azure when WARDEN_TEST_LIVE=1.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { DefaultAzureCredential } from '@azure/identity';

import { createArmClients } from '../../shared/cloud/azure/arm-clients';
import { AzureRoleAssignments } from '../../shared/cloud/azure/role-assignments';
import { CloudAuthorizationError } from '../../shared/cloud/ports/cloud-authorization-error';
import { roleAssignmentName } from '../../shared/domain/access/role-assignment-name';
import { ValidationError } from '../../shared/domain/errors';
import { type ArmTestBed, startArmTestBed } from './emulator/arm-helpers';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const MALLORY = 'bf92cd29-2eee-4e3b-9d96-85a7d1118887';
const BREAK_GLASS = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';

describe('RoleAssignmentsPort (Azure adapter) against the emulator', () => {
  let bed: ArmTestBed;
  let port: AzureRoleAssignments;
  let sleeps: number[];
  const retry = () => ({
    attempts: 3,
    delayMs: 1,
    sleep: (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });

  before(async () => {
    bed = await startArmTestBed();
    const clients = createArmClients({
      credential: bed.mintedCredential(bed.world.warden!.principalId),
      subscriptionId: bed.sub,
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      maxRetries: 0,
    });
    port = new AzureRoleAssignments(clients.authorization, { retry: retry() });
    sleeps = [];
  });
  after(async () => {
    await bed?.stop();
  });

  test('lists at, inherited (above) and below, in domain types', async () => {
    const list = await port.listForScope(bed.rg);
    const ada = list.find((a) => a.principalId === ADA && a.roleDefinitionGuid === READER);
    assert.equal(ada?.relation, 'at');
    assert.equal(ada?.inherited, false);
    assert.equal(ada?.principalType, 'User');
    const bg = list.find((a) => a.principalId === BREAK_GLASS);
    assert.equal(bg?.relation, 'above');
    assert.equal(bg?.inherited, true);
    assert.equal(bg?.roleDefinitionGuid, OWNER);
    assert.ok(
      list.some((a) => a.principalId === MALLORY && a.relation === 'at'),
      'the drift grant is listed',
    );
    assert.ok(list.every((a) => /^[0-9a-f-]{36}$/.test(a.roleDefinitionGuid)));
  });

  test('role definitions by name (built-in and custom), by GUID, cached; unknown is undefined', async () => {
    const reader = await port.roleDefinitionByName(bed.rg, 'Reader');
    assert.equal(reader?.guid, READER);
    assert.deepEqual(reader?.permissions[0]?.actions, ['*/read']);
    const scorer = await port.roleDefinitionByName(bed.rg, 'AzureML Online Endpoint Scorer');
    assert.equal(scorer?.roleType, 'CustomRole');
    assert.ok(scorer?.permissions[0]?.dataActions.some((a) => a.endsWith('/score/action')));
    assert.equal(await port.roleDefinitionByName(bed.rg, 'Reader'), reader, 'cached');
    assert.equal((await port.roleDefinitionByGuid(bed.rg, OWNER))?.roleName, 'Owner');
    assert.equal(await port.roleDefinitionByName(bed.rg, 'No Such Role'), undefined);
    assert.equal(await port.roleDefinitionByGuid(bed.rg, randomUUID()), undefined);
  });

  test('create uses the deterministic name, is idempotent, and delete reports whether it removed something', async () => {
    const req = {
      scope: bed.rg,
      principalId: GRACE,
      principalType: 'User' as const,
      roleDefinitionGuid: READER,
      description: 'warden:policy=ap-test',
    };
    const first = await port.create(req);
    assert.equal(first.created, true);
    assert.equal(first.assignment.name, roleAssignmentName(bed.rg, GRACE, READER));
    assert.equal(first.assignment.description, 'warden:policy=ap-test');
    const again = await port.create(req);
    assert.equal(again.created, false);
    assert.equal(again.assignment.id.toLowerCase(), first.assignment.id.toLowerCase());
    const mine = (await port.listForScope(bed.rg)).filter(
      (a) => a.principalId === GRACE && a.roleDefinitionGuid === READER,
    );
    assert.equal(mine.length, 1, 'a retry never duplicates');
    assert.equal((await port.get(first.assignment.id))?.principalId, GRACE);
    assert.equal(await port.delete(first.assignment.id), true);
    assert.equal(await port.delete(first.assignment.id), false);
    assert.equal(await port.get(first.assignment.id), undefined);
  });

  test('the same grant under another name (out of band) is found, not duplicated', async () => {
    const r = await port.create({ scope: bed.rg, principalId: ADA, principalType: 'User', roleDefinitionGuid: READER });
    assert.equal(r.created, false);
    assert.equal(r.assignment.name, 'b9087168-8100-4541-a09f-0503d1e3a188');
  });

  test('PIM schedule instances: an activation is reported as Activated with its role assignment', async () => {
    const act = await bed.admin('POST', '/admin/arm/pim/activations', {
      principalId: GRACE,
      role: 'Reader',
      scope: bed.rg,
      durationMinutes: 60,
    });
    assert.equal(act.status, 201, JSON.stringify(act.body));
    const raId = (act.body as { roleAssignment: { id: string } }).roleAssignment.id;
    const instances = await port.listPimInstances(bed.rg);
    const mine = instances.find((i) => i.originRoleAssignmentId?.toLowerCase() === raId.toLowerCase());
    assert.equal(mine?.assignmentType, 'Activated');
    assert.equal(mine?.principalId, GRACE);
    assert.equal(mine?.roleDefinitionGuid, READER);
    assert.ok(mine?.endDateTime && Date.parse(mine.endDateTime) > 0);
    assert.ok(instances.some((i) => i.assignmentType === 'Assigned' && i.principalId === ADA));
    assert.equal(await port.delete(raId), true);
  });

  test('PrincipalNotFound for a just-created principal is retried (bounded) until the directory knows it', async () => {
    const fresh = randomUUID();
    sleeps = [];
    const local = new AzureRoleAssignments(
      createArmClients({
        credential: bed.mintedCredential(bed.world.warden!.principalId),
        subscriptionId: bed.sub,
        endpoint: bed.endpoint,
        tlsCa: bed.ca,
        maxRetries: 0,
      }).authorization,
      {
        retry: {
          attempts: 3,
          delayMs: 1,
          sleep: async () => {
            sleeps.push(1);
            await bed.admin('PUT', `/admin/principals/${fresh}`, {
              type: 'ServicePrincipal',
              displayName: 'sp-just-created',
            });
          },
        },
      },
    );
    const r = await local.create({
      scope: bed.rg,
      principalId: fresh,
      principalType: 'ServicePrincipal',
      roleDefinitionGuid: READER,
    });
    assert.equal(r.created, true);
    assert.equal(sleeps.length, 1);
    await local.delete(r.assignment.id);
  });

  test('a principal that never appears fails after the bounded attempts with a validation error', async () => {
    sleeps = [];
    await assert.rejects(
      port.create({ scope: bed.rg, principalId: randomUUID(), principalType: 'User', roleDefinitionGuid: READER }),
      (e: unknown) => e instanceof ValidationError && /PrincipalNotFound/.test(e.message),
    );
    assert.equal(sleeps.length, 2, '3 attempts, 2 waits');
  });

  test('least privilege: a Contributor-only identity creating a role assignment gets the typed authorisation error', async () => {
    const app = await bed.newApp('contributor-only');
    const grant = await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: bed.rg,
      principalId: app.principalId,
      role: 'Contributor',
      principalType: 'ServicePrincipal',
    });
    assert.ok(grant.status < 300, JSON.stringify(grant.body));
    sleeps = [];
    const contributor = new AzureRoleAssignments(
      createArmClients({
        credential: app.credential,
        subscriptionId: bed.sub,
        endpoint: bed.endpoint,
        tlsCa: bed.ca,
        maxRetries: 0,
      }).authorization,
      { retry: retry() },
    );
    await assert.rejects(
      contributor.create({ scope: bed.rg, principalId: GRACE, principalType: 'User', roleDefinitionGuid: READER }),
      (e: unknown) =>
        e instanceof CloudAuthorizationError &&
        e.action === 'Microsoft.Authorization/roleAssignments/write' &&
        e.code === 'CLOUD_AUTHORIZATION_FAILED',
    );
    assert.equal(sleeps.length, 2, 'RBAC propagation gets a bounded retry, then the failure surfaces');
    const list = await contributor.listForScope(bed.rg);
    assert.ok(list.length > 0, 'Contributor may still read assignments');
  });
});

describe('RoleAssignmentsPort (Azure adapter) against Azure', () => {
  const live = process.env.WARDEN_TEST_LIVE === '1';
  const scope = process.env.WARDEN_TEST_LIVE_SCOPE;
  test(
    'lists assignments and resolves Reader at WARDEN_TEST_LIVE_SCOPE (read-only)',
    {
      skip: !live
        ? 'live Azure leg: set WARDEN_TEST_LIVE=1, WARDEN_TEST_LIVE_SCOPE=/subscriptions/<id>/resourceGroups/<rg> and sign in (DefaultAzureCredential)'
        : !scope
          ? 'WARDEN_TEST_LIVE_SCOPE is not set'
          : false,
    },
    async () => {
      const sub = /^\/subscriptions\/([^/]+)/i.exec(scope ?? '')?.[1] ?? '';
      const clients = createArmClients({
        credential: new DefaultAzureCredential(),
        subscriptionId: sub,
        endpoint: 'https://management.azure.com',
      });
      const adapter = new AzureRoleAssignments(clients.authorization);
      assert.equal((await adapter.roleDefinitionByName(scope ?? '', 'Reader'))?.guid, READER);
      const list = await adapter.listForScope(scope ?? '');
      assert.ok(list.every((a) => ['at', 'above', 'below'].includes(a.relation)));
    },
  );
});
