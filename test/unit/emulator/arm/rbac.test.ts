import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { BUILT_IN_ROLES } from '../../../../emulator/arm/builtin-roles';
import {
  actionMatches,
  authorizationFailedMessage,
  evaluate,
  type RoleAssignmentLike,
  type RoleDefinitionLike,
  roleGrants,
} from '../../../../emulator/arm/rbac';

const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `${SUB}/resourceGroups/rg-fraud-ml`;
const ST = `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
const role = (name: string): RoleDefinitionLike => {
  const r = BUILT_IN_ROLES.find((x) => x.roleName === name);
  assert.ok(r, name);
  return r;
};
const defs = new Map(BUILT_IN_ROLES.map((r) => [r.name, r as RoleDefinitionLike]));
const assignment = (scope: string, roleName: string, principalId = 'p1', name = 'a1'): RoleAssignmentLike => ({
  name,
  scope,
  roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role(roleName).name}`,
  principalId,
  principalType: 'ServicePrincipal',
});

describe('actionMatches', () => {
  test('exact, case-insensitive', () => {
    assert.ok(actionMatches('Microsoft.Storage/storageAccounts/write', 'microsoft.storage/STORAGEACCOUNTS/write'));
    assert.ok(!actionMatches('Microsoft.Storage/storageAccounts/write', 'Microsoft.Storage/storageAccounts/read'));
  });
  test('* matches everything', () => {
    assert.ok(actionMatches('*', 'Microsoft.Authorization/roleAssignments/write'));
  });
  test('*/read matches any read, nothing else', () => {
    assert.ok(actionMatches('*/read', 'Microsoft.KeyVault/vaults/read'));
    assert.ok(actionMatches('*/read', 'Microsoft.Storage/storageAccounts/privateEndpointConnections/read'));
    assert.ok(!actionMatches('*/read', 'Microsoft.Storage/storageAccounts/listKeys/action'));
    assert.ok(!actionMatches('*/read', 'Microsoft.Storage/storageAccounts/readonly'));
  });
  test('provider wildcard and middle wildcard', () => {
    assert.ok(actionMatches('Microsoft.Storage/*', 'Microsoft.Storage/storageAccounts/regenerateKey/action'));
    assert.ok(!actionMatches('Microsoft.Storage/*', 'Microsoft.StorageSync/storageSyncServices/read'));
    assert.ok(actionMatches('Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write'));
    assert.ok(
      !actionMatches(
        'Microsoft.MachineLearningServices/workspaces/*/write',
        'Microsoft.MachineLearningServices/workspaces/write',
      ),
    );
  });
  test('regex metacharacters in patterns are literal', () => {
    assert.ok(!actionMatches('Microsoft.Storage/storageAccounts/read', 'MicrosoftXStorage/storageAccounts/read'));
  });
});

describe('built-in roles', () => {
  test('real GUIDs of the roles Warden relies on', () => {
    const expected: Record<string, string> = {
      Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
      Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
      Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
      'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
      'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
      'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
      'Storage Account Key Operator Service Role': '81a9662b-bebf-436f-a333-f67b29880f12',
      'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
      'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
      'AzureML Data Scientist': 'f6c7c914-8db3-469d-8ca1-694a8f32e121',
      'AzureML Compute Operator': 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815',
      'Cognitive Services User': 'a97b65f3-24c7-4388-baec-2e87135dc908',
      'Monitoring Contributor': '749f88d5-cbae-40b8-bcfc-e573ddc772fa',
      'Monitoring Reader': '43d0d8ad-25c7-4714-9337-8ba259a9fe05',
    };
    for (const [name, guid] of Object.entries(expected)) assert.equal(role(name).name, guid, name);
    assert.equal(new Set(BUILT_IN_ROLES.map((r) => r.name)).size, BUILT_IN_ROLES.length);
  });
  test('Contributor manages resources but not access', () => {
    const c = role('Contributor');
    assert.ok(roleGrants(c, 'Microsoft.Storage/storageAccounts/write'));
    assert.ok(roleGrants(c, 'Microsoft.Storage/storageAccounts/listKeys/action'));
    assert.ok(!roleGrants(c, 'Microsoft.Authorization/roleAssignments/write'));
    assert.ok(!roleGrants(c, 'Microsoft.Authorization/roleAssignments/delete'));
    assert.ok(roleGrants(c, 'Microsoft.Authorization/roleAssignments/read'));
  });
  test('RBAC Administrator assigns roles and reads, but changes no resource', () => {
    const r = role('Role Based Access Control Administrator');
    assert.ok(roleGrants(r, 'Microsoft.Authorization/roleAssignments/write'));
    assert.ok(roleGrants(r, 'Microsoft.Storage/storageAccounts/read'));
    assert.ok(!roleGrants(r, 'Microsoft.Storage/storageAccounts/write'));
  });
  test('data actions are separate from actions', () => {
    const u = role('Key Vault Secrets User');
    assert.ok(roleGrants(u, 'Microsoft.KeyVault/vaults/secrets/getSecret/action', true));
    assert.ok(!roleGrants(u, 'Microsoft.KeyVault/vaults/secrets/getSecret/action'));
    assert.ok(!roleGrants(role('Owner'), 'Microsoft.KeyVault/vaults/secrets/getSecret/action', true));
    assert.ok(
      roleGrants(role('Key Vault Secrets Officer'), 'Microsoft.KeyVault/vaults/secrets/setSecret/action', true),
    );
  });
  test('AzureML Data Scientist: notActions beat actions', () => {
    const d = role('AzureML Data Scientist');
    assert.ok(roleGrants(d, 'Microsoft.MachineLearningServices/workspaces/models/versions/write'));
    assert.ok(!roleGrants(d, 'Microsoft.MachineLearningServices/workspaces/computes/listKeys/action'));
    assert.ok(!roleGrants(d, 'Microsoft.MachineLearningServices/workspaces/write'));
  });
  test('Storage Account Key Operator lists keys (lower-case action in the definition)', () => {
    assert.ok(
      roleGrants(
        role('Storage Account Key Operator Service Role'),
        'Microsoft.Storage/storageAccounts/listKeys/action',
      ),
    );
  });
});

describe('evaluate', () => {
  test('an assignment at a parent scope is inherited; the nearest one is the evidence', () => {
    const d = evaluate({
      principalIds: ['P1'],
      scope: ST,
      action: 'Microsoft.Storage/storageAccounts/read',
      assignments: [assignment(SUB, 'Reader', 'p1', 'sub-reader'), assignment(RG, 'Contributor', 'p1', 'rg-contrib')],
      definitions: defs,
    });
    assert.ok(d.allowed);
    assert.equal(d.evidence.role, 'Contributor');
    assert.equal(d.evidence.roleAssignmentScope, RG);
    assert.equal(d.evidence.roleAssignmentId, 'rg-contrib');
    assert.equal(d.evidence.roleDefinitionId, 'b24988ac-6180-42a0-ab88-20f7382dd24c');
    assert.equal(d.evidence.principalType, 'ServicePrincipal');
  });
  test('an assignment below the scope does not apply', () => {
    const d = evaluate({
      principalIds: ['p1'],
      scope: RG,
      action: 'Microsoft.Storage/storageAccounts/read',
      assignments: [assignment(ST, 'Owner')],
      definitions: defs,
    });
    assert.equal(d.allowed, false);
  });
  test('sibling scopes with a shared prefix do not inherit', () => {
    const d = evaluate({
      principalIds: ['p1'],
      scope: `${RG}2/providers/Microsoft.Storage/storageAccounts/x`,
      action: 'Microsoft.Storage/storageAccounts/read',
      assignments: [assignment(RG, 'Owner')],
      definitions: defs,
    });
    assert.equal(d.allowed, false);
  });
  test('another principal, or an unknown role definition, grants nothing', () => {
    const unknown = {
      ...assignment(SUB, 'Owner'),
      roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000000',
    };
    const d = evaluate({
      principalIds: ['p2'],
      scope: ST,
      action: 'Microsoft.Storage/storageAccounts/read',
      assignments: [assignment(SUB, 'Owner'), { ...unknown, principalId: 'p2' }],
      definitions: defs,
    });
    assert.equal(d.allowed, false);
  });
  test('Contributor cannot write a role assignment anywhere', () => {
    const d = evaluate({
      principalIds: ['p1'],
      scope: `${RG}/providers/Microsoft.Authorization/roleAssignments/x`,
      action: 'Microsoft.Authorization/roleAssignments/write',
      assignments: [assignment(SUB, 'Contributor')],
      definitions: defs,
    });
    assert.equal(d.allowed, false);
  });
  test('the root scope covers everything; role definition ids compare by GUID in any form', () => {
    const a = { ...assignment('/', 'Reader'), roleDefinitionId: 'ACDD72A7-3385-48EF-BD42-F606FBA81AE7' };
    const d = evaluate({
      principalIds: ['p1'],
      scope: ST,
      action: 'Microsoft.Storage/storageAccounts/read',
      assignments: [a],
      definitions: defs,
    });
    assert.ok(d.allowed);
  });
  test("ARM's 403 message", () => {
    assert.equal(
      authorizationFailedMessage('oid-1', 'oid-1', 'Microsoft.Authorization/roleAssignments/write', RG),
      `The client 'oid-1' with object id 'oid-1' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${RG}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  });
});
