import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DEFAULT_BLAST_RADIUS } from '../../../shared/domain/access/blast-radius';
import {
  type AccessPlan,
  type AccessPlanInput,
  planRoleAssignments,
} from '../../../shared/domain/access/plan-role-assignments';
import {
  ACTIVITIES,
  ORCHESTRATIONS,
  type RemediationResult,
  type StepOutcome,
} from '../../../shared/orchestrations/catalog';
import type { PlannedRun } from '../../../shared/orchestrations/remediation-flow.orchestrator';
import {
  assignment,
  GRACE,
  MALLORY,
  managedScope,
  NOW,
  policy,
  RG,
  rolesMap,
  STORAGE,
  WARDEN,
} from '../../fixtures/access/access-fixtures';
import { type Answer, type Call, drive } from './replay-driver';

const input = {
  scope: RG,
  correlationId: 'corr-1',
  requestedBy: 'ada (6690be11)',
  reason: 'access_policies/ap-x inserted',
};

function plan(over: Partial<AccessPlanInput> = {}): AccessPlan {
  return planRoleAssignments({
    now: NOW,
    scope: managedScope(),
    policies: [policy({ id: 'ap-grace', principal_id: GRACE })],
    exemptions: [],
    actual: [assignment({ principalId: MALLORY, role: 'Owner' })],
    pimInstances: [],
    roles: rolesMap(),
    wardenPrincipalIds: [WARDEN],
    rawDataStores: [STORAGE],
    killSwitch: false,
    limits: DEFAULT_BLAST_RADIUS,
    ...over,
  });
}

/** A responder: the plan activity returns `planned`; steps apply; everything else succeeds with what it returns. */
function responder(planned: PlannedRun<AccessPlan>, overrides: Record<string, (c: Call) => Answer> = {}) {
  return (c: Call): Answer => {
    const o = overrides[c.functionName];
    if (o) return o(c);
    switch (c.functionName) {
      case ACTIVITIES.planAccess.name:
        return { ok: planned };
      case ACTIVITIES.applyAccessStep.name: {
        const { step } = c.input as { step: { key: string } };
        return { ok: { key: step.key, status: 'applied', detail: 'done' } satisfies StepOutcome };
      }
      case ACTIVITIES.verifyAccess.name: {
        const { steps } = c.input as { steps: { key: string }[] };
        return { ok: { verified: steps.map((s) => s.key), mismatched: [] } };
      }
      case ACTIVITIES.recordApproval.name:
        return { ok: { approvalId: 'apr-access-1', created: true } };
      default:
        return { ok: null };
    }
  };
}

const names = (calls: Call[]) => calls.map((c) => c.functionName);
const NAME = ORCHESTRATIONS.reconcileAccess.name;

describe('reconcileAccess replayed through durable-functions', () => {
  test('dry run: plans (with currentUtcDateTime as now) and returns the plan, calling nothing else', async () => {
    const planned = { plan: plan(), parallelism: 2, newFights: [] };
    const r = await drive(NAME, { ...input, dryRun: true }, { respond: responder(planned) });
    assert.equal(r.error, undefined);
    assert.deepEqual(names(r.calls), [ACTIVITIES.planAccess.name]);
    assert.deepEqual(r.calls[0]?.input, { scope: RG, now: '2026-11-25T12:00:00.000Z', correlationId: 'corr-1' });
    const out = r.state.output as RemediationResult<AccessPlan>;
    assert.equal(out.outcome.status, 'dry-run');
    assert.equal(out.plan.steps.length, 2);
  });

  test('enforce: audit the plan, apply both steps in one parallel batch, verify, audit, notify', async () => {
    const planned = { plan: plan(), parallelism: 4, newFights: [] };
    const r = await drive(NAME, input, { respond: responder(planned) });
    assert.equal(r.error, undefined);
    assert.deepEqual(names(r.calls), [
      ACTIVITIES.planAccess.name,
      ACTIVITIES.auditPlan.name,
      ACTIVITIES.applyAccessStep.name,
      ACTIVITIES.applyAccessStep.name,
      ACTIVITIES.verifyAccess.name,
      ACTIVITIES.auditOutcome.name,
      ACTIVITIES.notify.name,
    ]);
    const applies = r.calls.filter((c) => c.functionName === ACTIVITIES.applyAccessStep.name);
    assert.ok(
      applies.every((c) => c.retry),
      'applies are retried on transient failures',
    );
    assert.deepEqual(
      applies.map((c) => (c.input as { correlationId: string; actor: string }).correlationId),
      ['corr-1', 'corr-1'],
    );
    const out = r.state.output as RemediationResult<AccessPlan>;
    assert.equal(out.outcome.status, 'applied');
    assert.equal(out.outcome.verify?.verified.length, 2);
    assert.equal(out.rerun, false);
    // Both applies were scheduled in the same episode (Task.all), before any completed.
    const scheduled = r.history.filter((e) => e.EventType === 4 && e.Name === ACTIVITIES.applyAccessStep.name);
    assert.equal(new Set(scheduled.map((e) => e.Timestamp)).size, 1);
  });

  test('the parallel limit splits the steps into batches', async () => {
    const many = plan({
      policies: [
        policy({ id: 'ap-1', principal_id: GRACE }),
        policy({ id: 'ap-2', principal_id: GRACE, scope: STORAGE }),
        policy({ id: 'ap-3', principal_id: MALLORY }),
      ],
      actual: [],
    });
    const r = await drive(NAME, input, { respond: responder({ plan: many, parallelism: 2, newFights: [] }) });
    const scheduled = r.history.filter((e) => e.EventType === 4 && e.Name === ACTIVITIES.applyAccessStep.name);
    assert.equal(scheduled.length, 3);
    assert.equal(new Set(scheduled.map((e) => e.Timestamp)).size, 2, 'two batches: 2 then 1');
  });

  test('report-only: audit the plan as report-only, notify, stop', async () => {
    const planned = {
      plan: plan({ scope: managedScope({ enforcement: 'report-only' }) }),
      parallelism: 4,
      newFights: [],
    };
    const r = await drive(NAME, input, { respond: responder(planned) });
    assert.deepEqual(names(r.calls), [ACTIVITIES.planAccess.name, ACTIVITIES.auditPlan.name, ACTIVITIES.notify.name]);
    assert.equal((r.calls[1]?.input as { phase: string }).phase, 'report-only');
    assert.equal((r.state.output as RemediationResult<AccessPlan>).outcome.status, 'report-only');
  });

  test('gated steps are recorded for approval and notified; the other drift is still reverted', async () => {
    const gated = plan({
      policies: [policy({ id: 'ap-owner', principal_id: GRACE, role: 'Owner' })],
      actual: [assignment({ principalId: MALLORY, role: 'Owner' })],
    });
    assert.equal(gated.steps.filter((s) => s.needsApproval).length, 1);
    const r = await drive(NAME, input, { respond: responder({ plan: gated, parallelism: 4, newFights: [] }) });
    assert.deepEqual(names(r.calls), [
      ACTIVITIES.planAccess.name,
      ACTIVITIES.auditPlan.name,
      ACTIVITIES.recordApproval.name,
      ACTIVITIES.notify.name,
      ACTIVITIES.applyAccessStep.name,
      ACTIVITIES.verifyAccess.name,
      ACTIVITIES.auditOutcome.name,
      ACTIVITIES.notify.name,
    ]);
    const req = r.calls[2]?.input as { steps: { key: string; gate: string }[]; target: string; requestedBy: string };
    assert.equal(req.steps.length, 1);
    assert.equal(req.steps[0]?.gate, 'privileged-role');
    assert.equal(req.target, RG);
    assert.equal((r.calls[3]?.input as { type: string }).type, 'Warden.Approval.Requested');
    const applied = r.calls[4]?.input as { step: { action: string; principalId: string } };
    assert.deepEqual([applied.step.action, applied.step.principalId], ['delete', MALLORY]);
    const out = r.state.output as RemediationResult<AccessPlan>;
    assert.equal(out.outcome.status, 'partial');
    assert.equal(out.outcome.approvalId, 'apr-access-1');
  });

  test('a request already pending is not notified again', async () => {
    const gated = plan({ policies: [policy({ id: 'ap-owner', principal_id: GRACE, role: 'Owner' })], actual: [] });
    const r = await drive(NAME, input, {
      respond: responder(
        { plan: gated, parallelism: 4, newFights: [] },
        {
          [ACTIVITIES.recordApproval.name]: () => ({ ok: { approvalId: 'apr-access-1', created: false } }),
        },
      ),
    });
    assert.deepEqual(names(r.calls), [
      ACTIVITIES.planAccess.name,
      ACTIVITIES.auditPlan.name,
      ACTIVITIES.recordApproval.name,
      ACTIVITIES.auditOutcome.name,
      ACTIVITIES.notify.name,
    ]);
    assert.equal((r.state.output as RemediationResult<AccessPlan>).outcome.status, 'waiting-for-approval');
  });

  test('a new fight is recorded for a human and alerted', async () => {
    const r = await drive(NAME, input, {
      respond: responder({
        plan: plan({ actual: [], policies: [] }),
        parallelism: 4,
        newFights: [{ driftKey: 'k', reason: 'reverted 5 times' }],
      }),
    });
    const req = r.calls.find((c) => c.functionName === ACTIVITIES.recordApproval.name)?.input as {
      fights: string[];
      steps: { key: string }[];
    };
    assert.deepEqual(req.fights, ['k']);
    assert.deepEqual(
      req.steps.map((s) => s.key),
      ['fight:k'],
    );
    const alert = r.calls.find((c) => c.functionName === ACTIVITIES.notify.name)?.input as { type: string };
    assert.equal(alert.type, 'Warden.Remediation.FightDetected');
  });

  test('a step that keeps failing transiently is reported failed after its retries; the run completes', async () => {
    const one = plan({ actual: [] });
    const r = await drive(NAME, input, {
      respond: responder(
        { plan: one, parallelism: 4, newFights: [] },
        {
          [ACTIVITIES.applyAccessStep.name]: () => ({ fail: 'TransientCloudError: 503' }),
        },
      ),
    });
    assert.equal(r.error, undefined);
    const out = r.state.output as RemediationResult<AccessPlan>;
    assert.equal(out.outcome.status, 'partial');
    assert.deepEqual(
      out.outcome.steps.map((s) => s.status),
      ['failed'],
    );
    assert.equal(out.outcome.verify, null, 'nothing applied, nothing to verify');
    assert.equal(r.history.filter((e) => e.EventType === 6).length, 3, 'three attempts');
  });

  test('a rerun raised while busy continues the run as new, with the rerun’s correlation id', async () => {
    const r = await drive(NAME, input, {
      respond: responder({ plan: plan(), parallelism: 4, newFights: [] }),
      raiseRerun: { correlationId: 'corr-2', requestedBy: 'grace', reason: 'event e-2' },
    });
    assert.equal(r.state.isDone, true);
    const actions = r.state.actions[0] ?? [];
    const can = actions.find((a) => (a as { actionType: number }).actionType === 4) as { input: unknown } | undefined;
    assert.ok(can, 'continueAsNew');
    const next = (typeof can.input === 'string' ? JSON.parse(can.input) : can.input) as typeof input;
    assert.deepEqual(
      [next.scope, next.correlationId, next.requestedBy, next.reason],
      [RG, 'corr-2', 'grace', 'event e-2'],
    );
  });

  test('the outcome audit and its notification are scheduled together; no rerun → one zero-length timer, then done', async () => {
    const r = await drive(NAME, input, { respond: responder({ plan: plan(), parallelism: 4, newFights: [] }) });
    assert.equal(r.error, undefined);
    const closing = r.history.filter(
      (e) => e.EventType === 4 && [ACTIVITIES.auditOutcome.name, ACTIVITIES.notify.name].includes(String(e.Name)),
    );
    assert.equal(closing.length, 2);
    assert.equal(new Set(closing.map((e) => e.Timestamp)).size, 1, 'one episode schedules both');
    assert.equal(r.history.filter((e) => e.EventType === 10).length, 1, 'the barrier timer, once');
    assert.equal((r.state.output as RemediationResult<AccessPlan>).rerun, false);
    assert.ok(!(r.state.actions[0] ?? []).some((a) => (a as { actionType: number }).actionType === 4));
  });

  test('a rerun raised during the closing activities needs no barrier timer (only the drain check)', async () => {
    const r = await drive(NAME, input, {
      respond: responder({ plan: plan(), parallelism: 4, newFights: [] }),
      raiseRerun: { correlationId: 'corr-2', requestedBy: 'grace', reason: 'event e-2' },
    });
    assert.equal((r.state.output as RemediationResult<AccessPlan>).rerun, true);
    assert.equal(r.history.filter((e) => e.EventType === 10).length, 1, 'one timer: the check for more reruns');
  });

  test('a rerun arriving in the same batch just after the closing results is still taken (the barrier timer)', async () => {
    const r = await drive(NAME, input, {
      respond: responder({ plan: plan(), parallelism: 4, newFights: [] }),
      raiseRerun: { correlationId: 'corr-3', requestedBy: 'grace', reason: 'event e-3' },
      rerunAfterResults: true,
    });
    assert.equal(r.error, undefined);
    const out = r.state.output as RemediationResult<AccessPlan>;
    assert.equal(out.rerun, true);
    const can = (r.state.actions[0] ?? []).find((a) => (a as { actionType: number }).actionType === 4) as
      { input: unknown } | undefined;
    assert.ok(can, 'continueAsNew');
    const next = (typeof can.input === 'string' ? JSON.parse(can.input) : can.input) as typeof input;
    assert.equal(next.correlationId, 'corr-3');
  });

  test('a failed outcome audit fails the run (after its notification was scheduled with it)', async () => {
    const r = await drive(NAME, input, {
      respond: responder(
        { plan: plan(), parallelism: 4, newFights: [] },
        { [ACTIVITIES.auditOutcome.name]: () => ({ fail: 'audit store unavailable' }) },
      ),
    });
    assert.match(r.error ?? '', /audit store unavailable/);
    assert.ok(names(r.calls).includes(ACTIVITIES.notify.name));
  });

  test('invalid input fails the instance with a message naming the field, before any call', async () => {
    const r = await drive(
      NAME,
      { ...input, scope: 'not-a-scope' },
      { respond: responder({ plan: plan(), parallelism: 1, newFights: [] }) },
    );
    assert.match(r.error ?? '', /reconcileAccess input is invalid: scope: .*not an ARM resource id/);
    assert.deepEqual(r.calls, []);
  });
});
