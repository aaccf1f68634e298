/**
 * Which role definitions let their holders score an online endpoint (Azure's evaluation: actions minus notActions,
 * dataActions minus notDataActions, `*` wildcards, case-insensitive), and the plan of the role half of an access cut:
 * grants made at the endpoint are removed, inherited ones left and reported, unreadable roles kept and reported.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { BUILT_IN_ROLES } from '../../../emulator/arm/builtin-roles';
import { findRepoRoot } from '../../../lib/find-repo-root';
import type { RoleAssignment, RoleDefinition, RolePermission } from '../../../shared/domain/access/role-assignment';
import {
  actionPatternMatches,
  grantsScore,
  planScoreCut,
  SCORE_ACTION,
} from '../../../shared/domain/models/score-access';

const perm = (over: Partial<RolePermission>): RolePermission => ({
  actions: [],
  notActions: [],
  dataActions: [],
  notDataActions: [],
  ...over,
});
const role = (guid: string, roleName: string, ...permissions: RolePermission[]): RoleDefinition => ({
  guid,
  roleName,
  roleType: 'CustomRole',
  permissions,
});
function builtIn(roleName: string): RoleDefinition {
  const r = BUILT_IN_ROLES.find((b) => b.roleName === roleName);
  assert.ok(r, roleName);
  return {
    guid: r.name,
    roleName,
    roleType: 'BuiltInRole',
    permissions: r.permissions.map((p) =>
      perm({ ...p, dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] }),
    ),
  };
}

const world = JSON.parse(readFileSync(path.join(findRepoRoot(__dirname), 'demo', 'world.json'), 'utf8')) as {
  customRoles: { id: string; roleName: string; actions: string[]; notActions: string[]; dataActions: string[] }[];
};
function custom(roleName: string): RoleDefinition {
  const r = world.customRoles.find((c) => c.roleName === roleName);
  assert.ok(r, roleName);
  return role(r.id, roleName, perm({ actions: r.actions, notActions: r.notActions, dataActions: r.dataActions }));
}

describe('actionPatternMatches', () => {
  test('`*` spans segments, literal dots, case ignored; no partial matches', () => {
    assert.ok(actionPatternMatches('*', SCORE_ACTION));
    assert.ok(actionPatternMatches('Microsoft.MachineLearningServices/*', SCORE_ACTION));
    assert.ok(actionPatternMatches('microsoft.machinelearningservices/workspaces/*/action', SCORE_ACTION));
    assert.ok(actionPatternMatches('*/action', SCORE_ACTION));
    assert.ok(actionPatternMatches(SCORE_ACTION.toUpperCase(), SCORE_ACTION));
    assert.ok(!actionPatternMatches('Microsoft.MachineLearningServices/workspaces/*/read', SCORE_ACTION));
    assert.ok(
      !actionPatternMatches('Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score', SCORE_ACTION),
    );
    assert.ok(!actionPatternMatches('MicrosoftXMachineLearningServices/*', SCORE_ACTION), 'the dot is literal');
    assert.ok(!actionPatternMatches('Microsoft.Storage/*', SCORE_ACTION));
  });
});

describe('grantsScore', () => {
  test('built-in roles: Owner, Contributor and AzureML Data Scientist (by `workspaces/*/action`) do; Reader does not', () => {
    assert.ok(grantsScore(builtIn('Owner')));
    assert.ok(grantsScore(builtIn('Contributor')), 'Contributor notActions only Microsoft.Authorization writes');
    assert.ok(grantsScore(builtIn('AzureML Data Scientist')));
    assert.ok(!grantsScore(builtIn('Reader')));
    assert.ok(!grantsScore(builtIn('AzureML Compute Operator')));
  });

  test("the demo world's scorer role grants it as a data action; Warden's own steward role does not", () => {
    assert.ok(grantsScore(custom('AzureML Online Endpoint Scorer')));
    assert.ok(!grantsScore(custom('Warden Model Steward')));
  });

  test('notActions and notDataActions subtract within their own block', () => {
    assert.ok(!grantsScore(role('a', 'no score', perm({ actions: ['*'], notActions: ['*/score/action'] }))));
    assert.ok(
      !grantsScore(
        role(
          'b',
          'no data score',
          perm({ dataActions: ['Microsoft.MachineLearningServices/*'], notDataActions: [SCORE_ACTION] }),
        ),
      ),
    );
    // A notActions entry does not take away what dataActions grant (Azure keeps the planes apart) ...
    assert.ok(grantsScore(role('c', 'data', perm({ notActions: [SCORE_ACTION], dataActions: [SCORE_ACTION] }))));
    // ... and one block's notActions do not cancel another block's grant.
    assert.ok(
      grantsScore(
        role(
          'd',
          'two blocks',
          perm({ actions: ['*'], notActions: ['*/score/action'] }),
          perm({ actions: [SCORE_ACTION] }),
        ),
      ),
    );
    assert.ok(!grantsScore(role('e', 'empty')));
  });
});

describe('planScoreCut', () => {
  const endpoint =
    '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e';
  const workspace = endpoint.slice(0, endpoint.indexOf('/onlineEndpoints/'));
  const scorer = custom('AzureML Online Endpoint Scorer');
  const reader = builtIn('Reader');
  const ds = builtIn('AzureML Data Scientist');
  const assignment = (
    name: string,
    scope: string,
    roleGuid: string,
    relation: RoleAssignment['relation'],
    principalId = `p-${name}`,
  ): RoleAssignment => ({
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    scope,
    roleDefinitionGuid: roleGuid,
    principalId,
    principalType: 'User',
    relation,
    inherited: relation === 'above',
    description: null,
    condition: null,
  });
  const roles = new Map<string, RoleDefinition | undefined>([
    [scorer.guid, scorer],
    [reader.guid, reader],
    [ds.guid, ds],
    ['0000-unreadable', undefined],
  ]);

  test('removes score grants at the endpoint, leaves inherited ones, ignores other roles and child scopes', () => {
    const plan = planScoreCut(
      [
        assignment('b-scorer', endpoint, scorer.guid, 'at'),
        assignment('a-ds', endpoint, ds.guid.toUpperCase(), 'at'),
        assignment('c-reader', endpoint, reader.guid, 'at'),
        assignment('d-ws-scorer', workspace, scorer.guid, 'above'),
        assignment('e-ws-reader', workspace, reader.guid, 'above'),
        assignment('f-deploy', `${endpoint}/deployments/blue`, scorer.guid, 'below'),
        assignment('g-unknown', endpoint, '0000-unreadable', 'at'),
      ],
      roles,
    );
    assert.deepEqual(
      plan.remove.map((g) => [g.principalId, g.roleName, g.scope]),
      [
        ['p-a-ds', 'AzureML Data Scientist', endpoint],
        ['p-b-scorer', 'AzureML Online Endpoint Scorer', endpoint],
      ],
    );
    assert.deepEqual(
      plan.left.map((g) => [g.principalId, g.scope]),
      [['p-d-ws-scorer', workspace]],
    );
    assert.deepEqual(
      plan.unresolved.map((g) => g.principalId),
      ['p-g-unknown'],
    );
    assert.equal(plan.remove[0]?.assignmentId, `${endpoint}/providers/Microsoft.Authorization/roleAssignments/a-ds`);
    assert.equal(
      plan.remove[0]?.roleDefinitionGuid,
      ds.guid.toUpperCase(),
      'the GUID as listed (the port lower-cases)',
    );
  });

  test('nothing to cut: empty plan', () => {
    const plan = planScoreCut([assignment('r', endpoint, reader.guid, 'at')], roles);
    assert.deepEqual(plan, { remove: [], left: [], unresolved: [] });
  });
});
