import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ValidationError } from '../../../../shared/domain/errors';
import { approvedByAfterWrite, checkAccessPolicy } from '../../../../shared/domain/guardrails/access-policy-guardrails';
import { GuardrailRefusedError } from '../../../../shared/domain/guardrails/guardrail-refused-error';
import { governingScope, isWithinScope } from '../../../../shared/domain/guardrails/scope-coverage';

const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `${SUB}/resourceGroups/rg-fraud-ml`;
const BG = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';
const WARDEN = '6872bbc9-1627-441e-a611-7ce540632cfe';
const ctx = {
  managedScopes: [
    { scope: SUB, allowed_roles: ['Reader'], break_glass: [] },
    { scope: RG, allowed_roles: ['Reader', 'AzureML Data Scientist', 'Owner'], break_glass: [BG] },
  ],
  wardenPrincipalIds: [WARDEN],
};
const policy = (o: Record<string, string> = {}) => ({
  id: 'ap-1',
  principal_id: '95d764b4-de42-46a3-bb72-8b382714c04a',
  role: 'AzureML Data Scientist',
  scope: `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`,
  ...o,
});

const issuePaths = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError || e instanceof GuardrailRefusedError) return e.issues.map((i) => i.path);
    throw e;
  }
  return [];
};

describe('scope coverage', () => {
  test('segment boundaries and case', () => {
    assert.ok(isWithinScope(`${RG}/providers/x/y/z`, RG));
    assert.ok(isWithinScope(RG.toUpperCase(), RG));
    assert.ok(!isWithinScope(`${RG}2`, RG));
    assert.equal(governingScope(`${RG}/providers/a/b/c`, ctx.managedScopes)?.scope, RG, 'the nearest wins');
    assert.equal(governingScope('/subscriptions/00000000-0000-0000-0000-000000000000', ctx.managedScopes), undefined);
  });
});

describe('checkAccessPolicy', () => {
  test('a role the governing scope allows passes (by name, any case); privileged roles need approval', () => {
    assert.deepEqual(checkAccessPolicy(policy({ role: 'azureml data scientist' }), ctx), {
      governingScope: RG,
      needsApproval: false,
    });
    assert.equal(checkAccessPolicy(policy({ role: 'Owner' }), ctx).needsApproval, true);
    const byId = checkAccessPolicy(policy({ role: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', scope: RG }), {
      ...ctx,
      managedScopes: [{ scope: RG, allowed_roles: ['8e3af657-a8ff-443c-a75c-2fe8c4bcb635'], break_glass: [] }],
    });
    assert.equal(byId.needsApproval, true, 'Owner by definition id');
  });

  test('a role outside allowed_roles → 400 naming role; the nearest scope decides', () => {
    assert.deepEqual(
      issuePaths(() => checkAccessPolicy(policy({ role: 'Contributor' }), ctx)),
      ['role'],
    );
    assert.deepEqual(
      issuePaths(() =>
        checkAccessPolicy(policy({ role: 'AzureML Data Scientist', scope: `${SUB}/resourceGroups/other` }), ctx),
      ),
      ['role'],
    );
  });

  test('a scope under no managed scope → 400 naming scope', () => {
    assert.deepEqual(
      issuePaths(() =>
        checkAccessPolicy(policy({ scope: '/subscriptions/00000000-0000-4000-8000-000000000000' }), ctx),
      ),
      ['scope'],
    );
  });

  test('break-glass and Warden itself are refused (GuardrailRefusedError naming principal_id)', () => {
    assert.throws(
      () => checkAccessPolicy(policy({ principal_id: BG.toUpperCase() }), ctx),
      (e: unknown) => e instanceof GuardrailRefusedError && e.code === 'BREAK_GLASS',
    );
    assert.throws(
      () => checkAccessPolicy(policy({ principal_id: WARDEN }), ctx),
      (e: unknown) => e instanceof GuardrailRefusedError && e.code === 'WARDEN_IDENTITY',
    );
  });
});

describe('approvedByAfterWrite', () => {
  const base = {
    id: 'ap-1',
    principal_id: 'p',
    principal_type: 'Group',
    role: 'Owner',
    scope: RG,
    data_access: null,
    approved_by: null as string | null,
  };
  test('a new policy starts unapproved; the writer cannot set approved_by', () => {
    assert.equal(approvedByAfterWrite(base, undefined), null);
    assert.deepEqual(
      issuePaths(() => approvedByAfterWrite({ ...base, approved_by: 'someone' }, undefined)),
      ['approved_by'],
    );
  });
  test('an approval survives edits that do not change the grant, and is cleared by ones that do', () => {
    const existing = { ...base, approved_by: 'grace' };
    assert.equal(approvedByAfterWrite({ ...base, approved_by: 'grace' }, existing), 'grace');
    assert.equal(approvedByAfterWrite({ ...base }, existing), 'grace', 'omitting it keeps it');
    assert.equal(approvedByAfterWrite({ ...base, approved_by: 'grace', scope: `${RG}/x` }, existing), null);
    assert.deepEqual(
      issuePaths(() => approvedByAfterWrite({ ...base, approved_by: 'mallory' }, existing)),
      ['approved_by'],
    );
  });
});
