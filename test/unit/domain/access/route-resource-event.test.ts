import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { findRepoRoot } from '../../../../lib/find-repo-root';
import { routeResourceEvent } from '../../../../shared/domain/access/route-resource-event';
import { LINKED_SERVICE, RG, STORAGE, SUB } from '../../../fixtures/access/access-fixtures';

const known = { managedScopes: [RG], governedResources: [STORAGE, LINKED_SERVICE] };
const ev = (
  eventType: string,
  resourceUri: string | undefined,
  operationName = 'Microsoft.Storage/storageAccounts/write',
) => ({
  id: 'e-1',
  eventType,
  subject: resourceUri,
  data: { resourceUri, operationName },
});

describe('routeResourceEvent', () => {
  test('a role assignment written at or below a managed scope reconciles that scope', () => {
    const id = `${RG}/providers/Microsoft.Authorization/roleAssignments/13b3a5c9-8a49-4739-852c-fd0d71ad6f11`;
    assert.deepEqual(
      routeResourceEvent(
        ev('Microsoft.Resources.ResourceWriteSuccess', id, 'Microsoft.Authorization/roleAssignments/write'),
        known,
      ),
      {
        action: 'reconcileAccess',
        scope: RG,
        reason: `role assignment change at ${RG}`,
      },
    );
    const below = `${STORAGE}/providers/Microsoft.Authorization/roleAssignments/13b3a5c9-8a49-4739-852c-fd0d71ad6f11`;
    assert.equal(
      routeResourceEvent(
        ev('Microsoft.Resources.ResourceDeleteSuccess', below, 'Microsoft.Authorization/roleAssignments/delete'),
        known,
      ).action,
      'reconcileAccess',
    );
  });
  test('a role assignment above a managed scope or outside all is dismissed, saying why', () => {
    const above = `${SUB}/providers/Microsoft.Authorization/roleAssignments/ee4fc995-4af8-4f8e-8a6b-ed54c95daee1`;
    assert.match(
      routeResourceEvent(ev('Microsoft.Resources.ResourceWriteSuccess', above), known).reason,
      /inherited there/,
    );
    const other = `${SUB}/resourceGroups/other/providers/Microsoft.Authorization/roleAssignments/ee4fc995-4af8-4f8e-8a6b-ed54c95daee1`;
    assert.match(
      routeResourceEvent(ev('Microsoft.Resources.ResourceWriteSuccess', other), known).reason,
      /outside every managed scope/,
    );
  });
  test('a write on a governed resource (or its child) enforces its network rule', () => {
    assert.deepEqual(routeResourceEvent(ev('Microsoft.Resources.ResourceWriteSuccess', STORAGE.toUpperCase()), known), {
      action: 'enforceNetwork',
      resourceId: STORAGE,
      reason: `ResourceWriteSuccess on ${STORAGE.toUpperCase()}`,
    });
    assert.equal(
      routeResourceEvent(
        ev('Microsoft.Resources.ResourceWriteSuccess', `${STORAGE}/privateEndpointConnections/pe1`),
        known,
      ).action,
      'enforceNetwork',
    );
  });
  test('the documented ResourceWriteSuccess fixture routes by its ids', () => {
    const root = findRepoRoot(__dirname);
    const text = readFileSync(path.join(root, 'test/fixtures/events/resource-write-success.json'), 'utf8');
    const first = (v: unknown): unknown => (Array.isArray(v) ? (v[0] as unknown) : v);
    assert.equal(
      routeResourceEvent(first(JSON.parse(text)), known).action,
      'invalid',
      'the documented example has placeholder ids',
    );
    const ours = text
      .replaceAll('{subscription-id}', SUB.split('/')[2] ?? '')
      .replaceAll('{resource-group}', 'rg-fraud-ml')
      .replaceAll('{storage-name}', 'stfraudraw');
    const r = routeResourceEvent(first(JSON.parse(ours)), known);
    assert.equal(r.action, 'enforceNetwork', JSON.stringify(r));
  });
  test('bad input: unknown types dismissed, missing subjects and foreign or malformed ids invalid — never a throw', () => {
    assert.equal(routeResourceEvent(ev('Microsoft.Resources.ResourceActionSuccess', STORAGE), known).action, 'dismiss');
    assert.equal(routeResourceEvent(ev('Contoso.Unknown', STORAGE), known).action, 'dismiss');
    assert.match(
      routeResourceEvent(ev('Microsoft.Resources.ResourceWriteSuccess', undefined), known).reason,
      /names no resource/,
    );
    assert.match(
      routeResourceEvent(ev('Microsoft.Resources.ResourceWriteSuccess', 'https://evil.example/x'), known).reason,
      /not an ARM id/,
    );
    const foreign =
      '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-fraud-ml/providers/Microsoft.Storage/storageAccounts/stfraudraw';
    assert.match(
      routeResourceEvent(ev('Microsoft.Resources.ResourceWriteSuccess', foreign), known).reason,
      /not a governed resource/,
    );
    for (const bad of [null, 'text', 42, {}, { eventType: 7 }])
      assert.equal(routeResourceEvent(bad, known).action, 'invalid', JSON.stringify(bad));
  });
  describe("Warden's own role assignment deletes", () => {
    const WARDEN = '6872bbc9-1627-441e-a611-7ce540632cfe';
    const OTHER = '0f9d8a2e-5b7c-4e3d-9a1b-2c3d4e5f6a7b';
    const withWarden = { ...known, wardenPrincipalIds: [WARDEN] };
    const id = `${RG}/providers/Microsoft.Authorization/roleAssignments/13b3a5c9-8a49-4739-852c-fd0d71ad6f11`;
    const byCaller = (eventType: string, operation: string, claims: Record<string, string>) => ({
      ...ev(eventType, id, operation),
      data: { resourceUri: id, operationName: operation, claims },
    });
    const del = (claims: Record<string, string>) =>
      byCaller('Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Authorization/roleAssignments/delete', claims);

    test('are dismissed, saying whose and why (URI or short oid claim, any case)', () => {
      const r = routeResourceEvent(
        del({ 'http://schemas.microsoft.com/identity/claims/objectidentifier': WARDEN.toUpperCase() }),
        withWarden,
      );
      assert.equal(r.action, 'dismiss');
      assert.match(r.reason, new RegExp(`deleted at ${RG} by Warden's own identity \\(${WARDEN}\\)`));
      assert.match(r.reason, /verifies its result by re-reading/);
      assert.equal(routeResourceEvent(del({ oid: WARDEN }), withWarden).action, 'dismiss');
    });
    test("another caller's delete, Warden's own writes and events without claims still reconcile", () => {
      assert.equal(routeResourceEvent(del({ oid: OTHER }), withWarden).action, 'reconcileAccess');
      assert.equal(routeResourceEvent(del({}), withWarden).action, 'reconcileAccess');
      assert.equal(
        routeResourceEvent(ev('Microsoft.Resources.ResourceDeleteSuccess', id), withWarden).action,
        'reconcileAccess',
      );
      const write = byCaller(
        'Microsoft.Resources.ResourceWriteSuccess',
        'Microsoft.Authorization/roleAssignments/write',
        { oid: WARDEN },
      );
      assert.equal(routeResourceEvent(write, withWarden).action, 'reconcileAccess');
      // without Warden's principal ids nothing is recognised as its own
      assert.equal(routeResourceEvent(del({ oid: WARDEN }), known).action, 'reconcileAccess');
    });
    test('a delete outside every managed scope keeps its own reason', () => {
      const other = `${SUB}/resourceGroups/other/providers/Microsoft.Authorization/roleAssignments/ee4fc995-4af8-4f8e-8a6b-ed54c95daee1`;
      const r = routeResourceEvent(
        {
          ...ev('Microsoft.Resources.ResourceDeleteSuccess', other),
          data: {
            resourceUri: other,
            operationName: 'Microsoft.Authorization/roleAssignments/delete',
            claims: { oid: WARDEN },
          },
        },
        withWarden,
      );
      assert.match(r.reason, /outside every managed scope/);
    });
  });
});
