import assert from 'node:assert/strict';
import { test } from 'node:test';

import { accepts, NOW, rejects } from './schema-assert';

test('access policy: the demo policy is accepted and normalised', () => {
  const row = accepts('access_policies', {
    principal_id: '95D764B4-DE42-46A3-BB72-8B382714C04A',
    expires_at: '2026-07-01T14:00:00+02:00',
  });
  assert.equal(row.principal_id, '95d764b4-de42-46a3-bb72-8b382714c04a');
  assert.equal(row.expires_at, '2026-07-01T12:00:00.000Z');
  assert.equal(row.enabled, true);
});

test('access policy: role may be a definition GUID or a definition resource id', () => {
  accepts('access_policies', { role: 'acdd72a7-3385-48ef-bd42-f606fba81ae7' });
  accepts('access_policies', {
    role: '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7',
  });
});

test('access policy: each field rule rejects with the field and the problem named', () => {
  rejects('access_policies', { id: 'has space' }, 'id', /letters, digits/);
  rejects('access_policies', { principal_id: 'grp-fraud' }, 'principal_id', /GUID/);
  rejects('access_policies', { principal_type: 'Robot' }, 'principal_type', /"Robot" is not a known principal type/);
  rejects('access_policies', { role: 'Owner; DROP' }, 'role', /not a role name/);
  rejects(
    'access_policies',
    { role: '/providers/Microsoft.Authorization/roleDefinitions/nope' },
    'role',
    /role definition id/,
  );
  rejects('access_policies', { scope: 'rg-fraud-ml' }, 'scope', /not an ARM resource id: it must start with '\/'/);
  rejects('access_policies', { scope: '/subscriptions/not-a-guid' }, 'scope', /not a GUID/);
  rejects(
    'access_policies',
    { scope: `/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/providers/Storage/x/y` },
    'scope',
    /namespace/,
  );
  rejects('access_policies', { data_access: 'everything' }, 'data_access', /not a known data access level/);
  rejects('access_policies', { expires_at: 'next tuesday' }, 'expires_at', /ISO 8601/);
  rejects('access_policies', { expires_at: '2026-07-01T12:00:00' }, 'expires_at', /with a zone/);
  rejects('access_policies', { justification: '   ' }, 'justification', /must not be empty/);
  rejects('access_policies', { approved_by: 'grace' }, 'approved_by', /GUID/);
  rejects('access_policies', { enabled: 'yes' }, 'enabled', /true or false/);
  rejects('access_policies', { principal_id: undefined }, 'principal_id', /is required/);
});

test('access policy: unknown fields (typos) are refused', () => {
  const e = rejects('access_policies', { expire_at: '2027-01-01T00:00:00Z' }, '', /expire_at/);
  assert.match(e.message, /Unrecognized key/);
});

test('access policy: expires_at in the past is refused on insert, allowed on update', () => {
  rejects('access_policies', { expires_at: '2026-05-01T00:00:00Z' }, 'expires_at', /in the past/);
  const row = accepts('access_policies', { expires_at: '2026-05-01T00:00:00Z' }, { now: NOW, isInsert: false });
  assert.equal(row.expires_at, '2026-05-01T00:00:00.000Z');
});
