import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ROTATORS, SecretReferenceSchema } from '../../../shared/domain/metadata/secret-reference.schema';
import { ROTATION_ACTIVITIES } from '../../../shared/orchestrations/secrets/rotation-catalog';
import {
  checkRotatorRegistry,
  ROTATOR_REGISTRY,
  type RotatorEntry,
  rotatorEntry,
} from '../../../shared/rotation/rotator-registry';
import { generatePassword } from '../../../shared/rotation/rotators';

const entries = Object.entries(ROTATOR_REGISTRY) as [string, RotatorEntry][];

/** A full reference around a rotator config (what the metadata store validates on write). */
const reference = (rotator: string, rotator_config: unknown) => ({
  id: `sr-${rotator}`,
  name: `${rotator} example`,
  vault_uri: 'https://kv-fraud-ml.vault.azure.net/',
  secret_name: `example-${rotator}`,
  rotator,
  rotator_config,
  interval_days: 30,
});

describe('rotator registry', () => {
  test('one entry per rotator the metadata schema allows; names unique and equal to their keys', () => {
    assert.deepEqual(Object.keys(ROTATOR_REGISTRY).sort(), [...ROTATORS].sort());
    for (const [key, e] of entries) assert.equal(e.name, key);
    assert.equal(new Set(entries.map(([, e]) => e.name.toLowerCase())).size, entries.length);
    assert.doesNotThrow(() => checkRotatorRegistry(ROTATOR_REGISTRY));
    assert.equal(rotatorEntry('no-such-rotator'), undefined);
  });

  test('the registry check refuses a misnamed entry, a duplicate and a permission that is not an ARM action', () => {
    const random = ROTATOR_REGISTRY.random as RotatorEntry;
    assert.throws(() => checkRotatorRegistry({ other: random }), /entry 'other' is named 'random'/);
    assert.throws(
      () => checkRotatorRegistry({ random, RANDOM: { ...random, name: 'RANDOM' as never } }),
      /registered twice/,
    );
    assert.throws(
      () => checkRotatorRegistry({ random: { ...random, permissions: ['storage keys please'] } }),
      /not an ARM action/,
    );
  });

  for (const [name, e] of entries) {
    test(`${name}: schema compiles, example valid against it and the metadata schema, a bad config refused`, () => {
      const parsed = e.config.safeParse(e.example);
      assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
      const row = SecretReferenceSchema.safeParse(reference(name, e.example));
      assert.ok(row.success, JSON.stringify(row.error?.issues));
      assert.equal(e.config.safeParse({ ...e.example, typo: 1 }).success, false, 'unknown keys are refused');
      assert.equal(e.config.safeParse('not an object').success, false);
    });

    test(`${name}: permissions declared as ARM actions, each covered by the rotation activities' declarations`, () => {
      assert.ok(Array.isArray(e.permissions));
      const declared = new Set<string>(
        Object.values(ROTATION_ACTIVITIES).flatMap((a): readonly string[] => a.permissions),
      );
      const perms: readonly string[] = e.permissions;
      for (const p of perms) {
        assert.match(p, /^Microsoft\.[A-Za-z]+\/[A-Za-z0-9/]+$/);
        assert.ok(declared.has(p), `${p} is declared by an activity`);
      }
      assert.equal(typeof e.dualCredential, 'boolean');
      assert.equal(typeof e.publishFirst, 'boolean');
    });
  }

  test('only random publishes first; storage keys, Databricks tokens and issued credentials are dual', () => {
    assert.deepEqual(
      entries.filter(([, e]) => e.publishFirst).map(([n]) => n),
      ['random'],
    );
    assert.deepEqual(
      entries
        .filter(([, e]) => e.dualCredential)
        .map(([n]) => n)
        .sort(),
      ['databricks-pat', 'http', 'storage-account-key'],
    );
  });

  test('config schemas name the field that is wrong', () => {
    const dbx = ROTATOR_REGISTRY['databricks-pat'].config.safeParse({
      workspaceResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z',
      servicePrincipalAppId: 'not-a-guid',
    });
    assert.equal(dbx.success, false);
    const paths = dbx.error.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('workspaceResourceId') && paths.includes('servicePrincipalAppId'), paths.join(','));
    assert.equal(ROTATOR_REGISTRY.http.config.safeParse({ url: 'http://plain.example' }).success, false);
    assert.equal(ROTATOR_REGISTRY.random.config.safeParse({ length: 8 }).success, false, 'length below 16');
    const none = ROTATOR_REGISTRY.random.config.safeParse({
      policy: { lowercase: false, uppercase: false, digits: false, symbols: false },
    });
    assert.equal(none.success, false, 'a policy allowing no character is refused');
  });
});

describe('generatePassword', () => {
  test('length and policy: every allowed class present, nothing else', () => {
    for (let i = 0; i < 20; i++) {
      const p = generatePassword({
        length: 24,
        policy: { lowercase: true, uppercase: true, digits: true, symbols: false },
      });
      assert.equal(p.length, 24);
      assert.match(p, /[a-z]/);
      assert.match(p, /[A-Z]/);
      assert.match(p, /[0-9]/);
      assert.match(p, /^[A-Za-z0-9]+$/);
    }
    const digits = generatePassword({
      length: 16,
      policy: { lowercase: false, uppercase: false, digits: true, symbols: false },
    });
    assert.match(digits, /^[0-9]{16}$/);
    const a = generatePassword({
      length: 32,
      policy: { lowercase: true, uppercase: true, digits: true, symbols: true },
    });
    const b = generatePassword({
      length: 32,
      policy: { lowercase: true, uppercase: true, digits: true, symbols: true },
    });
    assert.notEqual(a, b);
  });
});
