/**
 * Least privilege, the model half: the Azure actions every model orchestration and alert-rule activity declares
 * (shared/orchestrations/models/model-catalog.ts) against the roles demo/world.json grants Warden for them — no more,
 * no less, on scopes that cover where each action is used. A new ARM call in a model activity means a new declared
 * permission and a grant, or this fails; a grant nobody declares fails too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { BUILT_IN_ROLES } from '../../../emulator/arm/builtin-roles';
import { actionMatches, type Permission } from '../../../emulator/arm/rbac';
import { findRepoRoot } from '../../../lib/find-repo-root';
import {
  MODEL_ACTIVITIES,
  MODEL_CATALOG,
  MODEL_ORCHESTRATIONS,
} from '../../../shared/orchestrations/models/model-catalog';

interface World {
  warden: { grants: { role: string; scope: string; why: string }[] };
  customRoles: {
    roleName: string;
    actions: string[];
    notActions: string[];
    dataActions: string[];
    notDataActions?: string[];
  }[];
}
const world = JSON.parse(readFileSync(path.join(findRepoRoot(__dirname), 'demo', 'world.json'), 'utf8')) as World;
const RG = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml';
const WORKSPACE = `${RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud`;
/** Where each action is used in the demo: ML actions on the workspace's versions and endpoint, the rest in the group. */
const USED_AT: Record<string, string> = {
  'Microsoft.MachineLearningServices': `${WORKSPACE}/onlineEndpoints/fraud-scoring`,
  'Microsoft.Insights': `${RG}/providers/Microsoft.Insights/metricAlerts/warden-ar-fraud-accuracy`,
  'Microsoft.OperationalInsights': `${RG}/providers/Microsoft.OperationalInsights/workspaces/law-fraud`,
  // The access cut of an AADToken endpoint removes (and the release restores) score role assignments at the endpoint.
  'Microsoft.Authorization': `${WORKSPACE}/onlineEndpoints/fraud-scoring`,
};
const MODEL_GRANT = new RegExp(`^(${Object.keys(MODEL_ORCHESTRATIONS).join('|')}):`);
const BOOTSTRAP_GRANT = /^bootstrap \(launcher, local only\): create the action group warden-alerts/;

function permissionsOf(role: string): Permission[] {
  const builtIn = BUILT_IN_ROLES.find((r) => r.roleName === role);
  if (builtIn) return builtIn.permissions;
  const custom = world.customRoles.find((r) => r.roleName === role);
  if (custom) return [{ actions: custom.actions, notActions: custom.notActions, dataActions: custom.dataActions }];
  throw new Error(`world.json grants Warden '${role}', neither built in nor a custom role of the world`);
}

const grants = world.warden.grants.filter((g) => MODEL_GRANT.test(g.why));
const granted = grants.flatMap((g) => permissionsOf(g.role).map((p) => ({ role: g.role, scope: g.scope, p })));
const declared = [...new Set([...MODEL_CATALOG.values()].flatMap((e) => e.permissions))].sort();

/** The grant (role) allowing `action` at `scope`, if any. */
function grantFor(action: string, scope: string): string | undefined {
  return granted.find(
    ({ scope: s, p }) =>
      scope.toLowerCase().startsWith(s.toLowerCase()) &&
      p.actions.some((x) => actionMatches(x, action)) &&
      !p.notActions.some((x) => actionMatches(x, action)),
  )?.role;
}

function usedAt(action: string): string {
  const where = USED_AT[action.split('/')[0]!];
  assert.ok(where, `a demo place where ${action} is used`);
  return where;
}

describe('least privilege: model catalogue permissions vs the grants of Warden in the demo world', () => {
  test('the model grants are custom roles on the workspace and the group, without data actions or wildcards', () => {
    assert.deepEqual(grants.map((g) => `${g.role} @ ${g.scope}`).sort(), [
      `Warden Alert Steward @ ${RG}`,
      `Warden Model Steward @ ${WORKSPACE}`,
    ]);
    for (const g of grants) {
      const role = world.customRoles.find((r) => r.roleName === g.role);
      assert.ok(role, `${g.role} is a custom role of the world`);
      assert.deepEqual(role.dataActions, [], g.role);
      assert.deepEqual(role.notDataActions ?? [], [], g.role);
      assert.deepEqual(role.notActions, [], g.role);
      for (const a of role.actions) assert.doesNotMatch(a, /\*/, `${g.role}: ${a}`);
    }
  });

  test('the catalogue declares the actions its activities call (orchestrations call none themselves)', () => {
    for (const o of Object.values(MODEL_ORCHESTRATIONS)) assert.deepEqual(o.permissions, [], o.name);
    assert.ok(declared.includes('Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action'));
    assert.ok(MODEL_ACTIVITIES.syncRule.permissions.includes('Microsoft.Insights/actionGroups/read'));
    assert.ok(MODEL_ACTIVITIES.cutAccess.permissions.includes('Microsoft.Authorization/roleAssignments/delete'));
    assert.ok(MODEL_ACTIVITIES.restoreAccess.permissions.includes('Microsoft.Authorization/roleAssignments/write'));
    for (const a of declared) assert.match(a, /^Microsoft\.[A-Za-z]+\/[A-Za-z/]+\/(read|write|delete|action)$/i, a);
  });

  test('no more: every declared action is granted where it is used', () => {
    const missing = declared.filter((a) => !grantFor(a, usedAt(a)));
    assert.deepEqual(missing, []);
  });

  test('no less: every granted action is declared by a model activity (one for one)', () => {
    const grantedActions = granted.flatMap(({ p }) => p.actions).sort();
    assert.deepEqual(grantedActions, declared);
  });

  test('the launcher bootstrap grant holds only actionGroups/write, which no model activity declares', () => {
    const boot = world.warden.grants.filter((g) => BOOTSTRAP_GRANT.test(g.why));
    assert.equal(boot.length, 1);
    const actions = permissionsOf(boot[0]!.role).flatMap((p) => [...p.actions, ...(p.dataActions ?? [])]);
    assert.deepEqual(actions, ['Microsoft.Insights/actionGroups/write']);
    assert.ok(!declared.some((a) => actionMatches('Microsoft.Insights/actionGroups/write', a)));
  });

  test('Warden holds no broad Monitor role any more (Monitoring Contributor would be more than declared)', () => {
    assert.ok(!world.warden.grants.some((g) => /^Monitoring (Contributor|Reader)$/.test(g.role)));
  });

  test('the check can fail: an undeclared action or a place outside the grants is not covered', () => {
    assert.equal(
      grantFor(
        'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/listKeys/action',
        usedAt('Microsoft.MachineLearningServices/x'),
      ),
      undefined,
    );
    assert.equal(
      grantFor(
        'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write',
        usedAt('Microsoft.MachineLearningServices/x'),
      ),
      undefined,
    );
    assert.equal(
      grantFor(
        'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write',
        `${RG}/providers/Microsoft.MachineLearningServices/workspaces/other/onlineEndpoints/e`,
      ),
      undefined,
    );
  });
});
