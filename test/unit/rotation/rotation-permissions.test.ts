/**
 * Least privilege, the rotation half: every permission the rotators and the vault steps declare is granted to
 * Warden's identity in demo/world.json by a role scoped to what the demo references rotate (the vault, the storage
 * account, the workspace) — a new ARM call in a rotator means a new declared permission and a grant, or this fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { BUILT_IN_ROLES } from '../../../emulator/arm/builtin-roles';
import { actionMatches, type Permission } from '../../../emulator/arm/rbac';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { ROTATOR_REGISTRY, type RotatorEntry, VAULT_DATA_ACTIONS } from '../../../shared/rotation/rotator-registry';

interface World {
  warden: { grants: { role: string; scope: string; why: string }[] };
  customRoles: { roleName: string; actions: string[]; notActions: string[]; dataActions: string[] }[];
}
const world = JSON.parse(readFileSync(path.join(findRepoRoot(__dirname), 'demo', 'world.json'), 'utf8')) as World;
const RG = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml';
const TARGET: Record<string, string> = {
  'storage-account-key': `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`,
  'databricks-pat': `${RG}/providers/Microsoft.Databricks/workspaces/dbw-fraud`,
};
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-fraud-ml`;

function permissionsOf(role: string): Permission[] {
  const builtIn = BUILT_IN_ROLES.find((r) => r.roleName === role);
  if (builtIn) return builtIn.permissions;
  const custom = world.customRoles.find((r) => r.roleName === role);
  if (custom) return [{ actions: custom.actions, notActions: custom.notActions, dataActions: custom.dataActions }];
  throw new Error(`world.json grants Warden '${role}', neither built in nor a custom role of the world`);
}

/** Whether a grant at or above `scope` allows `action` (control plane) or the data action. */
function granted(action: string, scope: string, data: boolean): string | undefined {
  for (const g of world.warden.grants) {
    if (!scope.toLowerCase().startsWith(g.scope.toLowerCase())) continue;
    for (const p of permissionsOf(g.role)) {
      const allow = data ? (p.dataActions ?? []) : p.actions;
      const deny = data ? (p.notDataActions ?? []) : p.notActions;
      if (allow.some((a) => actionMatches(a, action)) && !deny.some((a) => actionMatches(a, action))) return g.role;
    }
  }
  return undefined;
}

describe('least privilege: rotation permissions vs the grants of Warden in the demo world', () => {
  test('the vault data actions every rotation needs are granted on kv-fraud-ml', () => {
    for (const a of VAULT_DATA_ACTIONS) assert.ok(granted(a, VAULT, true), `${a} on the vault`);
  });

  for (const [name, e] of Object.entries(ROTATOR_REGISTRY) as [string, RotatorEntry][]) {
    test(`${name}: every declared ARM action is granted on its demo target`, () => {
      const perms: readonly string[] = e.permissions;
      if (perms.length === 0) return;
      const target = TARGET[name];
      assert.ok(target, `a demo target for ${name}`);
      for (const a of perms) assert.ok(granted(a, target, false), `${a} on ${target}`);
    });
  }

  test('a permission nobody granted is caught (the check can fail)', () => {
    assert.equal(granted('Microsoft.Storage/storageAccounts/delete', TARGET['storage-account-key']!, false), undefined);
    assert.equal(
      granted(
        'Microsoft.KeyVault/vaults/secrets/setSecret/action',
        `${RG}/providers/Microsoft.KeyVault/vaults/other`,
        true,
      ),
      undefined,
    );
  });
});
