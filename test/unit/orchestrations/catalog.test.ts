/**
 * The enforcement catalogue as a registry: names unique and valid, schemas reject bad input, deterministic instance
 * ids — and the least-privilege meta-test: the permissions the access and network entries declare against the roles
 * demo/world.json grants Warden's own identity for them ("no more, no less").
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { BUILT_IN_ROLES } from '../../../emulator/arm/builtin-roles';
import { actionMatches, type Permission } from '../../../emulator/arm/rbac';
import { findRepoRoot } from '../../../lib/find-repo-root';
import {
  ACTIVITIES,
  ENFORCEMENT_CATALOG,
  enforceNetworkInstanceId,
  ORCHESTRATIONS,
  reconcileAccessInstanceId,
} from '../../../shared/orchestrations/catalog';
import { type CatalogEntry, checkCatalog } from '../../../shared/orchestrations/catalog-registry';
import { RG, STORAGE } from '../../fixtures/access/access-fixtures';

interface World {
  warden: { grants: { role: string; scope: string; why: string }[] };
  customRoles: { roleName: string; actions: string[]; notActions: string[]; dataActions: string[] }[];
}

const world = JSON.parse(readFileSync(path.join(findRepoRoot(__dirname), 'demo', 'world.json'), 'utf8')) as World;

const entry = (name: string): CatalogEntry => ({
  name,
  kind: 'activity',
  input: ORCHESTRATIONS.reconcileAccess.input,
  permissions: [],
  supportsDryRun: false,
  description: '',
});

describe('enforcement catalogue', () => {
  test('every entry has a unique, valid name and declares its permissions', () => {
    assert.equal(ENFORCEMENT_CATALOG.size, Object.keys(ORCHESTRATIONS).length + Object.keys(ACTIVITIES).length);
    for (const e of ENFORCEMENT_CATALOG.values()) {
      assert.match(e.name, /^[A-Za-z][A-Za-z0-9_.-]*$/);
      assert.ok(Array.isArray(e.permissions), e.name);
      assert.ok(e.description.length > 0, e.name);
    }
  });

  test('the registry rejects empty and duplicate names (case-insensitively), naming each', () => {
    assert.throws(() => checkCatalog([entry('')]), /entry 0 has an empty name/);
    assert.throws(() => checkCatalog([entry('a'), entry('A')]), /'A' is registered twice/);
    assert.throws(() => checkCatalog([entry('has space')]), /not a valid function name/);
    assert.equal(checkCatalog([entry('a'), entry('b')]).size, 2);
  });

  test('inputs are validated with field-naming messages', () => {
    const r = ORCHESTRATIONS.reconcileAccess.input.safeParse({ scope: '/nope', correlationId: '', requestedBy: 'x' });
    assert.equal(r.success, false);
    const paths = r.error?.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(paths, ['correlationId', 'reason', 'scope']);
    assert.equal(
      ORCHESTRATIONS.reconcileAccess.input.parse({ scope: RG, correlationId: 'c', requestedBy: 'a', reason: 'r' })
        .dryRun,
      false,
    );
    assert.equal(
      ACTIVITIES.applyNetwork.input.safeParse({ resourceId: STORAGE, steps: [], correlationId: 'c', actor: 'a' })
        .success,
      false,
    );
  });

  test('instance ids are deterministic per target, case-insensitive, distinct, and safe for every backend', () => {
    const a = reconcileAccessInstanceId(RG);
    assert.equal(a, reconcileAccessInstanceId(RG.toUpperCase()));
    assert.equal(a, reconcileAccessInstanceId(`${RG}/`));
    assert.notEqual(a, reconcileAccessInstanceId(`${RG}2`));
    assert.notEqual(enforceNetworkInstanceId(STORAGE), reconcileAccessInstanceId(STORAGE));
    for (const id of [a, enforceNetworkInstanceId(STORAGE)]) {
      assert.match(id, /^[A-Za-z0-9-]+$/);
      assert.ok(id.length <= 100, id);
    }
    assert.match(a, /^reconcileAccess-rg-fraud-ml-[0-9a-f]{16}$/);
  });
});

describe('least privilege: declared permissions vs the roles the demo world grants Warden (access + network)', () => {
  const grants = world.warden.grants.filter((g) => /^(reconcileAccess|enforceNetwork):/.test(g.why));
  const permissionsOf = (role: string): Permission[] => {
    const builtIn = BUILT_IN_ROLES.find((r) => r.roleName === role);
    if (builtIn) return builtIn.permissions;
    const custom = world.customRoles.find((r) => r.roleName === role);
    if (custom) return [{ actions: custom.actions, notActions: custom.notActions }];
    throw new Error(`world.json grants Warden '${role}', which is neither built in nor a custom role of the world`);
  };
  const granted = grants.flatMap((g) => permissionsOf(g.role).map((p) => ({ role: g.role, scope: g.scope, p })));
  const declared = [...new Set([...ENFORCEMENT_CATALOG.values()].flatMap((e) => e.permissions))].sort();

  test('the grants for access and network are on the managed scope the demo governs', () => {
    assert.deepEqual(grants.map((g) => g.role).sort(), ['Warden Access Reconciler', 'Warden Network Enforcer']);
    assert.ok(grants.every((g) => g.scope.toLowerCase() === RG.toLowerCase()));
  });

  test('no more: every declared action is granted (else Warden would fail with AuthorizationFailed)', () => {
    const missing = declared.filter(
      (a) =>
        !granted.some(
          ({ p }) => p.actions.some((x) => actionMatches(x, a)) && !p.notActions.some((x) => actionMatches(x, a)),
        ),
    );
    assert.deepEqual(missing, []);
  });

  test('no less: every granted action pattern is used by a declared action', () => {
    const unused = granted
      .flatMap(({ role, p }) => p.actions.map((pattern) => ({ role, pattern })))
      .filter(({ pattern }) => !declared.some((a) => actionMatches(pattern, a)))
      .map(({ role, pattern }) => `${role}: ${pattern}`)
      .sort();
    assert.deepEqual(unused, []);
  });

  test('exactly: the granted action patterns are the declared actions, one for one (no wildcards, no data actions)', () => {
    const grantedActions = granted.flatMap(({ p }) => p.actions).sort();
    assert.deepEqual(grantedActions, declared);
    assert.ok(granted.every(({ p }) => p.notActions.length === 0));
    for (const g of grants)
      assert.deepEqual(
        world.customRoles.find((r) => r.roleName === g.role)?.dataActions,
        [],
        `${g.role} is a custom role without data actions`,
      );
  });

  test('every declared action names a provider operation (no wildcards in declarations)', () => {
    for (const a of declared) assert.match(a, /^Microsoft\.[A-Za-z]+\/[A-Za-z/]+\/(read|write|delete)$/, a);
  });
});
