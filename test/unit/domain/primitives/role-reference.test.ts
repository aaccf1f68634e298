import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isPrivilegedRole, roleReferenceProblem } from '../../../../shared/domain/primitives/role-reference';

test('role names, definition GUIDs and definition ids are valid references', () => {
  for (const role of [
    'Reader',
    'AzureML Online Endpoint Scorer',
    'Storage Blob Data Reader',
    'Role Based Access Control Administrator',
    'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7',
  ])
    assert.equal(roleReferenceProblem(role), undefined, role);
});

test('malformed references are refused', () => {
  assert.match(roleReferenceProblem('') ?? '', /not a role name/);
  assert.match(roleReferenceProblem('Reader ') ?? '', /not a role name/);
  assert.match(roleReferenceProblem('Two  Spaces') ?? '', /not a role name/);
  assert.match(roleReferenceProblem('x'.repeat(129)) ?? '', /at most 128/);
  assert.match(roleReferenceProblem('/subscriptions/x/roleDefinitions/y') ?? '', /role definition id/);
});

test('privileged roles are recognised by name and by definition id', () => {
  assert.ok(isPrivilegedRole('Owner'));
  assert.ok(isPrivilegedRole('user access administrator'));
  assert.ok(
    isPrivilegedRole('/providers/Microsoft.Authorization/roleDefinitions/f58310d9-a9f6-439a-9e8d-f62e7b41a168'),
  );
  assert.ok(!isPrivilegedRole('Reader'));
  assert.ok(!isPrivilegedRole('acdd72a7-3385-48ef-bd42-f606fba81ae7'));
});
