/**
 * `planRoleAssignments` and `heldGrants`: a grant a model quarantine's access cut removed is not created again while
 * held, even though a policy desires it; the plan says why. Other grants are planned as before.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DEFAULT_BLAST_RADIUS } from '../../../../shared/domain/access/blast-radius';
import { type AccessPlanInput, planRoleAssignments } from '../../../../shared/domain/access/plan-role-assignments';
import {
  ADA,
  ENDPOINT,
  GROUP,
  guidOf,
  managedScope,
  NOW,
  policy,
  rolesMap,
  STORAGE,
  WARDEN,
} from '../../../fixtures/access/access-fixtures';

const inference = policy({
  id: 'ap-ds-fraud-inference',
  principal_id: GROUP,
  principal_type: 'Group',
  role: 'AzureML Online Endpoint Scorer',
  scope: ENDPOINT,
  data_access: 'inference-only',
});

function input(over: Partial<AccessPlanInput> = {}): AccessPlanInput {
  return {
    now: NOW,
    scope: managedScope(),
    policies: [inference, policy({ id: 'ap-ada-reader' })],
    exemptions: [],
    actual: [],
    pimInstances: [],
    roles: rolesMap(),
    wardenPrincipalIds: [WARDEN],
    rawDataStores: [STORAGE],
    killSwitch: false,
    limits: DEFAULT_BLAST_RADIUS,
    ...over,
  };
}

const creates = (i: AccessPlanInput) =>
  planRoleAssignments(i)
    .steps.filter((s) => s.action === 'create')
    .map((s) => s.principalId)
    .sort();

describe('planRoleAssignments: grants held by a quarantine access cut', () => {
  test('without a hold both policies are granted (the check below can fail)', () => {
    assert.deepEqual(creates(input()), [ADA, GROUP].sort());
  });

  test('held (scope and GUID in another case): not created, noted with the reason; the other policy still is', () => {
    const plan = planRoleAssignments(
      input({
        heldGrants: [
          {
            scope: `${ENDPOINT.toUpperCase()}/`,
            principalId: GROUP.toUpperCase(),
            roleDefinitionGuid: guidOf('AzureML Online Endpoint Scorer').toUpperCase(),
            reason: 'removed by the quarantine access cut of fraud-scoring',
          },
        ],
      }),
    );
    assert.deepEqual(
      plan.steps.map((s) => [s.action, s.principalId]),
      [['create', ADA]],
    );
    const note = plan.notes.find((n) => n.kind === 'quarantine-hold');
    assert.equal(note?.target, ENDPOINT);
    assert.match(note?.reason ?? '', /Scorer' for .* held: removed by the quarantine access cut of fraud-scoring/);
  });

  test('a hold of another principal or role holds nothing', () => {
    const other = (principalId: string, role: string) => ({
      scope: ENDPOINT,
      principalId,
      roleDefinitionGuid: guidOf(role),
      reason: 'x',
    });
    assert.deepEqual(
      creates(input({ heldGrants: [other(ADA, 'AzureML Online Endpoint Scorer'), other(GROUP, 'Reader')] })),
      [ADA, GROUP].sort(),
    );
  });
});
