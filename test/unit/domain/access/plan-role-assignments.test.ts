import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DEFAULT_BLAST_RADIUS } from '../../../../shared/domain/access/blast-radius';
import { type AccessPlanInput, planRoleAssignments } from '../../../../shared/domain/access/plan-role-assignments';
import { roleAssignmentName } from '../../../../shared/domain/access/role-assignment-name';
import {
  ADA,
  assignment,
  BREAK_GLASS,
  ENDPOINT,
  exemption,
  GRACE,
  GROUP,
  guidOf,
  MALLORY,
  managedScope,
  NOW,
  policy,
  RG,
  rolesMap,
  SP,
  STORAGE,
  SUB,
  WARDEN,
  wardenAssignment,
} from '../../../fixtures/access/access-fixtures';

function input(over: Partial<AccessPlanInput> = {}): AccessPlanInput {
  return {
    now: NOW,
    scope: managedScope(),
    policies: [policy({ id: 'ap-ada-reader' })],
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

describe('planRoleAssignments', () => {
  test('a policy without an assignment becomes a create under the deterministic name, justified by the policy', () => {
    const plan = planRoleAssignments(input());
    assert.equal(plan.steps.length, 1);
    const [s] = plan.steps;
    assert.equal(s?.action, 'create');
    assert.equal(s?.policyId, 'ap-ada-reader');
    assert.equal(s?.roleDefinitionGuid, guidOf('Reader'));
    assert.equal(
      s?.assignmentId,
      `${RG}/providers/Microsoft.Authorization/roleAssignments/${roleAssignmentName(RG, ADA, guidOf('Reader'))}`,
    );
    assert.match(s?.reason ?? '', /policy ap-ada-reader grants 'Reader'/);
    assert.equal(plan.apply, true);
    assert.equal(plan.needsApproval, false);
  });

  test('a satisfied policy plans nothing, whatever the name of the existing assignment', () => {
    const plan = planRoleAssignments(
      input({
        actual: [assignment({ principalId: ADA, role: 'Reader', name: 'b9087168-8100-4541-a09f-0503d1e3a188' })],
      }),
    );
    assert.deepEqual(plan.steps, []);
  });

  test('the deterministic name is stable, case-insensitive and differs per grant', () => {
    const a = roleAssignmentName(RG, ADA, guidOf('Reader'));
    assert.equal(a, roleAssignmentName(RG.toUpperCase(), ADA.toUpperCase(), guidOf('Reader').toUpperCase()));
    assert.equal(a, roleAssignmentName(`${RG}/`, ADA, guidOf('Reader')));
    assert.notEqual(a, roleAssignmentName(RG, GRACE, guidOf('Reader')));
    assert.notEqual(a, roleAssignmentName(STORAGE, ADA, guidOf('Reader')));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  describe('exclusive vs additive', () => {
    const oob = assignment({ principalId: MALLORY, role: 'Owner' });
    test('exclusive: an unbacked assignment at the scope is deleted, with the scope as justification', () => {
      const plan = planRoleAssignments(input({ policies: [], actual: [oob] }));
      assert.equal(plan.steps.length, 1);
      const [s] = plan.steps;
      assert.equal(s?.action, 'delete');
      assert.equal(s?.assignmentId, oob.id);
      assert.equal(s?.justifiedBy, `exclusive scope ${RG}`);
      assert.equal(s?.privileged, true);
      assert.equal(s?.needsApproval, false, 'removing a privileged grant needs no approval');
      assert.match(s?.reason ?? '', /no enabled, unexpired policy backs it/);
    });
    test('additive: the same assignment stays and is reported', () => {
      const plan = planRoleAssignments(
        input({ scope: managedScope({ mode: 'additive' }), policies: [], actual: [oob] }),
      );
      assert.deepEqual(plan.steps, []);
      assert.equal(plan.notes[0]?.kind, 'additive-unbacked');
    });
    test('exclusive: an unbacked assignment below the scope (not made by Warden) is left alone', () => {
      const below = assignment({ principalId: MALLORY, role: 'Reader', scope: STORAGE, relation: 'below' });
      assert.deepEqual(planRoleAssignments(input({ policies: [], actual: [below] })).steps, []);
    });
    test('inherited assignments are reported and never deleted at the managed scope', () => {
      const inherited = assignment({ principalId: BREAK_GLASS, role: 'Owner', scope: SUB, relation: 'above' });
      const other = assignment({ principalId: MALLORY, role: 'Owner', scope: SUB, relation: 'above' });
      const plan = planRoleAssignments(input({ policies: [], actual: [inherited, other] }));
      assert.deepEqual(plan.steps, []);
      assert.deepEqual(
        plan.notes.map((n) => [n.kind, n.target]),
        [
          ['inherited', inherited.id],
          ['inherited', other.id],
        ],
      );
      assert.match(plan.notes[1]?.reason ?? '', /inherited from \/subscriptions\/.*never deleted/);
    });
    test('an inherited grant does not satisfy a policy at the managed scope', () => {
      const inherited = assignment({ principalId: ADA, role: 'Reader', scope: SUB, relation: 'above' });
      assert.equal(planRoleAssignments(input({ actual: [inherited] })).steps[0]?.action, 'create');
    });
  });

  describe('expiry and time-bound access', () => {
    const grant = wardenAssignment(SP, 'Reader');
    const p = (expires_at: string | null) =>
      policy({ id: 'ap-sp', principal_id: SP, principal_type: 'ServicePrincipal', expires_at });
    test('in force one millisecond before expiry', () => {
      assert.deepEqual(
        planRoleAssignments(input({ policies: [p('2026-11-25T12:00:00.001Z')], actual: [grant] })).steps,
        [],
      );
    });
    test('expired exactly at the boundary: Warden revokes its grant, in exclusive and additive scopes alike', () => {
      for (const mode of ['exclusive', 'additive'] as const) {
        const plan = planRoleAssignments(input({ scope: managedScope({ mode }), policies: [p(NOW)], actual: [grant] }));
        assert.equal(plan.steps.length, 1, mode);
        assert.equal(plan.steps[0]?.action, 'delete');
        assert.match(plan.steps[0]?.reason ?? '', /no longer in force/);
        assert.equal(plan.notes.find((n) => n.kind === 'expired')?.target, 'ap-sp');
      }
    });
    test('for users, groups, service principals and managed identities alike', () => {
      for (const [principal, type] of [
        [ADA, 'User'],
        [GROUP, 'Group'],
        [SP, 'ServicePrincipal'],
      ] as const) {
        const plan = planRoleAssignments(
          input({
            policies: [
              policy({ id: 'ap-x', principal_id: principal, principal_type: type, expires_at: '2026-11-25T11:59:00Z' }),
            ],
            actual: [wardenAssignment(principal, 'Reader')],
          }),
        );
        assert.equal(plan.steps[0]?.action, 'delete', type);
      }
    });
    test('a disabled policy is not granted and its Warden grant is revoked', () => {
      const plan = planRoleAssignments(
        input({ policies: [policy({ id: 'ap-sp', principal_id: SP, enabled: false })], actual: [grant] }),
      );
      assert.equal(plan.steps[0]?.action, 'delete');
      assert.equal(plan.notes[0]?.kind, 'disabled');
    });
  });

  test('PIM activations are left alone', () => {
    const activated = assignment({ principalId: MALLORY, role: 'Owner', name: '0a1b2c3d-0000-4000-8000-000000000001' });
    const plan = planRoleAssignments(
      input({
        policies: [],
        actual: [activated],
        pimInstances: [
          {
            originRoleAssignmentId: activated.id,
            principalId: MALLORY,
            roleDefinitionGuid: guidOf('Owner'),
            scope: RG,
            assignmentType: 'Activated',
            endDateTime: '2026-11-25T20:00:00Z',
          },
        ],
      }),
    );
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.notes[0]?.kind, 'pim-activation');
  });

  test('a standing grant PIM lists as Assigned is still drift', () => {
    const standing = assignment({ principalId: MALLORY, role: 'Owner' });
    const plan = planRoleAssignments(
      input({
        policies: [],
        actual: [standing],
        pimInstances: [
          {
            originRoleAssignmentId: standing.id,
            principalId: MALLORY,
            roleDefinitionGuid: guidOf('Owner'),
            scope: RG,
            assignmentType: 'Assigned',
            endDateTime: null,
          },
        ],
      }),
    );
    assert.equal(plan.steps[0]?.action, 'delete');
  });

  describe('break-glass and Warden itself are never touched', () => {
    test('their assignments at an exclusive scope stay', () => {
      const plan = planRoleAssignments(
        input({
          policies: [],
          actual: [
            assignment({ principalId: BREAK_GLASS, role: 'Owner' }),
            assignment({
              principalId: WARDEN,
              role: 'User Access Administrator',
              principalType: 'ServicePrincipal',
              name: '00000000-0000-4000-8000-0000000000aa',
            }),
          ],
        }),
      );
      assert.deepEqual(plan.steps, []);
      assert.deepEqual(plan.notes.map((n) => n.kind).sort(), ['break-glass', 'warden-identity']);
    });
    test('policies naming them plan nothing', () => {
      const plan = planRoleAssignments(
        input({
          policies: [
            policy({ id: 'ap-bg', principal_id: BREAK_GLASS }),
            policy({ id: 'ap-w', principal_id: WARDEN, principal_type: 'ServicePrincipal' }),
          ],
        }),
      );
      assert.deepEqual(plan.steps, []);
      assert.deepEqual(plan.notes.map((n) => n.kind).sort(), ['break-glass', 'warden-identity']);
    });
  });

  describe('exemptions', () => {
    const oob = assignment({ principalId: MALLORY, role: 'Reader' });
    test('an unexpired access exemption on the scope skips the step, saying why', () => {
      const plan = planRoleAssignments(
        input({ policies: [], actual: [oob], exemptions: [exemption({ id: 'ex-1', target: RG })] }),
      );
      assert.deepEqual(plan.steps, []);
      assert.match(plan.notes[0]?.reason ?? '', /exemption ex-1 \(migration window\)/);
    });
    test('a lapsed exemption (expiry at now) or another kind no longer holds', () => {
      for (const ex of [
        exemption({ id: 'ex-1', target: RG, expires_at: NOW }),
        exemption({ id: 'ex-2', target: RG, kind: 'network' }),
      ]) {
        assert.equal(planRoleAssignments(input({ policies: [], actual: [oob], exemptions: [ex] })).steps.length, 1);
      }
    });
    test('an exemption on another resource does not cover the scope', () => {
      const plan = planRoleAssignments(
        input({ policies: [], actual: [oob], exemptions: [exemption({ id: 'ex-1', target: STORAGE })] }),
      );
      assert.equal(plan.steps.length, 1);
    });
  });

  describe('inference-only', () => {
    const inference = policy({
      id: 'ap-ds-inference',
      principal_id: GROUP,
      principal_type: 'Group',
      role: 'AzureML Online Endpoint Scorer',
      scope: ENDPOINT,
      data_access: 'inference-only',
    });
    const broader = policy({
      id: 'ap-ds-blob',
      principal_id: GROUP,
      principal_type: 'Group',
      role: 'Storage Blob Data Reader',
      scope: RG,
    });
    test('no data-plane read on a raw-data store even when a broader policy asks, and the plan says why', () => {
      const plan = planRoleAssignments(input({ policies: [inference, broader] }));
      assert.deepEqual(
        plan.steps.map((s) => [s.action, s.roleName]),
        [['create', 'AzureML Online Endpoint Scorer']],
      );
      const n = plan.notes.find((x) => x.kind === 'inference-only');
      assert.equal(n?.target, 'ap-ds-blob');
      assert.match(n?.reason ?? '', /reaches raw-data store .*stfraudraw.*inference-only/);
    });
    test('an existing data read grant for an inference-only principal at an exclusive scope is removed', () => {
      const plan = planRoleAssignments(
        input({
          policies: [inference, broader],
          actual: [assignment({ principalId: GROUP, role: 'Storage Blob Data Reader', principalType: 'Group' })],
        }),
      );
      const del = plan.steps.find((s) => s.action === 'delete');
      assert.match(del?.reason ?? '', /inference-only/);
    });
    test('a data role that reaches no raw-data store is granted', () => {
      const plan = planRoleAssignments(input({ policies: [inference, broader], rawDataStores: [] }));
      assert.equal(plan.steps.length, 2);
    });
    test('principals that are not inference-only get the data role', () => {
      const plan = planRoleAssignments(input({ policies: [policy({ id: 'ap-a', role: 'Storage Blob Data Reader' })] }));
      assert.equal(plan.steps[0]?.roleName, 'Storage Blob Data Reader');
    });
  });

  describe('guardrails on roles', () => {
    test('a role the scope does not allow is not granted', () => {
      const plan = planRoleAssignments(input({ policies: [policy({ id: 'ap-c', role: 'Contributor' })] }));
      assert.deepEqual(plan.steps, []);
      assert.equal(plan.notes[0]?.kind, 'role-not-allowed');
    });
    test('an unknown role is reported', () => {
      const plan = planRoleAssignments(input({ policies: [policy({ id: 'ap-u', role: 'Made Up Role' })] }));
      assert.equal(plan.notes[0]?.kind, 'role-unknown');
    });
    test('a role given by definition id resolves like its name', () => {
      const plan = planRoleAssignments(
        input({
          policies: [
            policy({
              id: 'ap-g',
              role: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guidOf('Reader')}`,
            }),
          ],
        }),
      );
      assert.equal(plan.steps[0]?.roleName, 'Reader');
    });
    test('Owner without approved_by waits for four-eyes approval; with it, it is granted', () => {
      const owner = policy({ id: 'ap-owner', principal_id: GRACE, role: 'Owner' });
      const gated = planRoleAssignments(input({ policies: [owner] }));
      assert.equal(gated.steps[0]?.needsApproval, true);
      assert.equal(gated.steps[0]?.gate, 'privileged-role');
      assert.match(gated.steps[0]?.approvalReason ?? '', /privileged role/);
      assert.equal(gated.needsApproval, true);
      const granted = planRoleAssignments(input({ policies: [{ ...owner, approved_by: ADA }] }));
      assert.equal(granted.steps[0]?.needsApproval, false);
    });
    test('a privileged policy with a pending approval waits for it without a second request', () => {
      const owner = policy({ id: 'ap-owner', principal_id: GRACE, role: 'Owner' });
      const plan = planRoleAssignments(
        input({
          policies: [owner],
          approvals: {
            approvedStepKeys: [],
            pending: [{ approvalId: 'apr-1', stepKeys: [], policyIds: ['ap-owner'] }],
          },
        }),
      );
      assert.equal(plan.steps[0]?.gate, 'awaiting-approval');
      assert.equal(plan.steps[0]?.approvalId, 'apr-1');
    });
  });

  describe('blast radius', () => {
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        assignment({
          principalId: `bf92cd29-2eee-4e3b-9d96-${String(i).padStart(12, '0')}`,
          role: 'Reader',
          name: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        }),
      );
    test('more deletes than the limit: every delete waits for approval, creates still apply', () => {
      const plan = planRoleAssignments(
        input({
          actual: many(3),
          limits: { maxDeletes: 2, maxDeleteShare: 1, shareAppliesFrom: 1, maxResourcesChanged: 10 },
        }),
      );
      const deletes = plan.steps.filter((s) => s.action === 'delete');
      assert.equal(deletes.length, 3);
      assert.ok(deletes.every((s) => s.needsApproval && s.gate === 'blast-radius'));
      assert.match(deletes[0]?.approvalReason ?? '', /removes 3 grants \(limit 2\)/);
      assert.equal(plan.steps.find((s) => s.action === 'create')?.needsApproval, false);
      assert.deepEqual(plan.blastRadius.exceeded, ['removes 3 grants (limit 2)']);
    });
    test('share of grants over the limit', () => {
      const keep = assignment({ principalId: ADA, role: 'Reader', name: 'b9087168-8100-4541-a09f-0503d1e3a188' });
      const plan = planRoleAssignments(
        input({
          actual: [keep, ...many(2)],
          limits: { maxDeletes: 10, maxDeleteShare: 0.5, shareAppliesFrom: 3, maxResourcesChanged: 10 },
        }),
      );
      assert.equal(plan.blastRadius.deletes, 2);
      assert.match(plan.blastRadius.exceeded[0] ?? '', /67% of the 3 grants/);
      assert.ok(plan.steps.every((s) => s.needsApproval));
    });
    test('too many resources changed gates every step', () => {
      const plan = planRoleAssignments(
        input({
          policies: [
            policy({ id: 'ap-1' }),
            policy({ id: 'ap-2', scope: STORAGE }),
            policy({ id: 'ap-3', scope: ENDPOINT }),
          ],
          limits: { maxDeletes: 10, maxDeleteShare: 1, shareAppliesFrom: 1, maxResourcesChanged: 2 },
        }),
      );
      assert.equal(plan.steps.length, 3);
      assert.ok(plan.steps.every((s) => s.gate === 'blast-radius'));
    });
    test('approved steps apply; pending ones wait and do not count against the limit, so new drift is reverted meanwhile', () => {
      const first = many(3);
      const fresh = assignment({ principalId: MALLORY, role: 'Owner', name: '13b3a5c9-8a49-4739-852c-fd0d71ad6f11' });
      const keys = first.map((a) => `delete:${a.id.toLowerCase()}`);
      const limits = { maxDeletes: 2, maxDeleteShare: 1, shareAppliesFrom: 1, maxResourcesChanged: 10 };
      const pending = planRoleAssignments(
        input({
          policies: [],
          actual: [...first, fresh],
          limits,
          approvals: { approvedStepKeys: [], pending: [{ approvalId: 'apr-9', stepKeys: keys, policyIds: [] }] },
        }),
      );
      assert.deepEqual(
        pending.steps.map((s) => [s.assignmentId === fresh.id, s.needsApproval, s.gate]),
        [
          [false, true, 'awaiting-approval'],
          [false, true, 'awaiting-approval'],
          [false, true, 'awaiting-approval'],
          [true, false, null],
        ],
      );
      const approved = planRoleAssignments(
        input({ policies: [], actual: first, limits, approvals: { approvedStepKeys: keys, pending: [] } }),
      );
      assert.ok(approved.steps.every((s) => !s.needsApproval));
    });
  });

  describe('report-only and the kill switch', () => {
    test('report-only: full plan, flagged not to apply', () => {
      const plan = planRoleAssignments(input({ scope: managedScope({ enforcement: 'report-only' }) }));
      assert.equal(plan.steps.length, 1);
      assert.equal(plan.apply, false);
      assert.match(plan.notApplyingReason ?? '', /report-only/);
    });
    test('kill switch', () => {
      const plan = planRoleAssignments(input({ killSwitch: true }));
      assert.equal(plan.apply, false);
      assert.match(plan.notApplyingReason ?? '', /kill switch/);
    });
  });

  test('a drift the fight detector stopped is not reverted, and the plan says why', () => {
    const oob = assignment({ principalId: MALLORY, role: 'Owner' });
    const key = `${RG.toLowerCase()}|${MALLORY}|${guidOf('Owner')}`;
    const plan = planRoleAssignments(
      input({ policies: [], actual: [oob], stoppedDrifts: { [key]: 'reverted 5 times' } }),
    );
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.notes[0]?.kind, 'fight-stopped');
  });

  test('policies outside the scope, duplicates and a bad clock are handled', () => {
    const plan = planRoleAssignments(
      input({
        policies: [
          policy({ id: 'ap-a' }),
          policy({ id: 'ap-b' }),
          policy({ id: 'ap-out', scope: `${SUB}/resourceGroups/other` }),
        ],
      }),
    );
    assert.equal(plan.steps.length, 1);
    assert.deepEqual(plan.notes.map((n) => n.kind).sort(), ['duplicate-policy', 'outside-scope']);
    assert.throws(() => planRoleAssignments(input({ now: 'yesterday' })), /ISO date-time/);
  });

  test('the plan is plain JSON (it travels through durable history)', () => {
    const plan = planRoleAssignments(input({ actual: [assignment({ principalId: MALLORY, role: 'Owner' })] }));
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  });
});
