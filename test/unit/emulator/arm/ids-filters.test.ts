import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseAssignmentFilter, parseDefinitionFilter } from '../../../../emulator/arm/filters';
import {
  isAtOrAbove,
  isGuid,
  normalizeId,
  parseId,
  roleDefinitionGuid,
  sameId,
  scopeChain,
} from '../../../../emulator/arm/ids';
import { deterministicGuid, typeAndName } from '../../../../emulator/arm/service';

const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `${SUB}/resourceGroups/rg-fraud-ml`;

describe('resource ids', () => {
  test('normalizes double slashes and trailing slashes', () => {
    assert.equal(normalizeId(`/${RG}/`), RG);
    assert.equal(normalizeId('subscriptions/x'), '/subscriptions/x');
    assert.equal(normalizeId('/'), '/');
  });
  test('parses subscriptions, resource groups, resources and nested types', () => {
    assert.deepEqual(parseId(SUB)?.kind, 'subscription');
    const rg = parseId(RG.replace('resourceGroups', 'resourcegroups'));
    assert.equal(rg?.kind, 'resourceGroup');
    assert.equal(rg?.resourceGroup, 'rg-fraud-ml');
    const ls = parseId(`${RG}/providers/Microsoft.DataFactory/factories/adf-fraud/linkedservices/ls-onprem`);
    assert.equal(ls?.resourceType, 'Microsoft.DataFactory/factories/linkedservices');
    assert.deepEqual(ls?.names, ['adf-fraud', 'ls-onprem']);
    assert.equal(ls && typeAndName(ls), 'Microsoft.DataFactory/factories/adf-fraud/linkedservices/ls-onprem');
    const coll = parseId(`${RG}/providers/Microsoft.Storage/storageAccounts/st/privateEndpointConnections`);
    assert.equal(coll?.resourceType, 'Microsoft.Storage/storageAccounts/privateEndpointConnections');
    assert.deepEqual(coll?.names, ['st']);
  });
  test('extension resources take the last provider segment', () => {
    const p = parseId(
      `${RG}/providers/Microsoft.Storage/storageAccounts/st/providers/Microsoft.Authorization/roleAssignments/a1`,
    );
    assert.equal(p?.resourceType, 'Microsoft.Authorization/roleAssignments');
    assert.deepEqual(p?.names, ['a1']);
  });
  test('rejects shapes that are not ARM ids', () => {
    assert.equal(parseId('/foo/bar'), undefined);
    assert.equal(parseId('/subscriptions'), undefined);
  });
  test('scope hierarchy is case-insensitive and respects segment boundaries', () => {
    assert.ok(isAtOrAbove(SUB, RG.toUpperCase()));
    assert.ok(isAtOrAbove(RG, RG));
    assert.ok(isAtOrAbove('/', RG));
    assert.ok(!isAtOrAbove(RG, SUB));
    assert.ok(!isAtOrAbove(RG, `${RG}2`));
    assert.ok(sameId(RG, RG.toLowerCase()));
    assert.deepEqual(scopeChain(RG), [RG, `${SUB}/resourceGroups`, SUB, '/subscriptions', '/']);
  });
  test('role definition GUIDs from any id form', () => {
    const g = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
    assert.equal(roleDefinitionGuid(`/providers/Microsoft.Authorization/roleDefinitions/${g}`), g);
    assert.equal(roleDefinitionGuid(`${SUB}/providers/Microsoft.Authorization/roleDefinitions/${g.toUpperCase()}`), g);
    assert.equal(roleDefinitionGuid(g), g);
    assert.equal(roleDefinitionGuid('Reader'), undefined);
    assert.ok(isGuid(g));
    assert.ok(!isGuid('not-a-guid'));
  });
  test('deterministic assignment names are stable UUID v5 values', () => {
    const a = deterministicGuid(RG, 'p', 'r');
    assert.equal(a, deterministicGuid(RG, 'p', 'r'));
    assert.notEqual(a, deterministicGuid(RG, 'p', 'r2'));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('$filter', () => {
  const ok = <T>(r: { ok: true; filter: T } | { ok: false; reason: string }): T => {
    assert.ok(r.ok, r.ok ? '' : r.reason);
    return r.filter;
  };
  test('role assignment forms the SDK sends', () => {
    assert.deepEqual(ok(parseAssignmentFilter(undefined)), { atScope: false, asTarget: false });
    assert.deepEqual(ok(parseAssignmentFilter('atScope()')), { atScope: true, asTarget: false });
    assert.deepEqual(ok(parseAssignmentFilter("principalId eq 'abc'")), {
      atScope: false,
      asTarget: false,
      principalId: 'abc',
    });
    assert.deepEqual(ok(parseAssignmentFilter("atScope() and principalId eq 'abc'")), {
      atScope: true,
      asTarget: false,
      principalId: 'abc',
    });
    assert.deepEqual(ok(parseAssignmentFilter("assignedTo('abc')")), {
      atScope: false,
      asTarget: false,
      assignedTo: 'abc',
    });
    assert.deepEqual(ok(parseAssignmentFilter("ATSCOPE()  AND  principalid EQ 'x'")).principalId, 'x');
  });
  test('refuses other forms', () => {
    for (const f of [
      "roleDefinitionId eq 'x'",
      'atScope() or true',
      "principalId eq 'a' and principalId eq 'b'",
      'asTarget()',
      "principalId ne 'x'",
    ]) {
      assert.equal(parseAssignmentFilter(f).ok, false, f);
    }
    assert.equal(parseAssignmentFilter('asTarget()', true).ok, true);
  });
  test('role definition filters', () => {
    assert.deepEqual(ok(parseDefinitionFilter("roleName eq 'Storage Blob Data Reader'")), {
      roleName: 'Storage Blob Data Reader',
    });
    assert.deepEqual(ok(parseDefinitionFilter("type eq 'CustomRole'")), { type: 'CustomRole' });
    assert.deepEqual(ok(parseDefinitionFilter("roleName eq 'O''Brien'")), { roleName: "O'Brien" });
    assert.equal(parseDefinitionFilter("roleName ne 'x'").ok, false);
  });
});
