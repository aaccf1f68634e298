import assert from 'node:assert/strict';
import { test } from 'node:test';

import { accepts, rejects } from './schema-assert';

test('managed scope: accepted with defaults', () => {
  const row = accepts('managed_scopes', { enforcement: undefined, break_glass: undefined });
  assert.equal(row.enforcement, 'enforce');
  assert.deepEqual(row.break_glass, []);
});

test('managed scope: a management group scope is a valid scope', () => {
  accepts('managed_scopes', { scope: '/providers/Microsoft.Management/managementGroups/ml-platform' });
});

test('managed scope: each field rule rejects', () => {
  rejects(
    'managed_scopes',
    { scope: '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourcegroups/' },
    'scope',
    /must not end with/,
  );
  rejects('managed_scopes', { mode: 'shared' }, 'mode', /not a known scope mode/);
  rejects('managed_scopes', { enforcement: 'audit' }, 'enforcement', /not a known enforcement/);
  rejects('managed_scopes', { allowed_roles: 'Reader' }, 'allowed_roles', /list of role names/);
  rejects('managed_scopes', { allowed_roles: ['Reader', ' Owner'] }, 'allowed_roles.1', /not a role name/);
  rejects('managed_scopes', { allowed_roles: ['Reader', 'reader'] }, 'allowed_roles.1', /listed twice/);
  rejects('managed_scopes', { break_glass: ['breakglass@contoso.example'] }, 'break_glass.0', /GUID/);
});
