import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { type NetworkPlan, planNetworkPosture } from '../../../shared/domain/network/plan-network-posture';
import {
  ACTIVITIES,
  ORCHESTRATIONS,
  type RemediationResult,
  type StepOutcome,
} from '../../../shared/orchestrations/catalog';
import { networkRule, NOW, STORAGE, storagePosture } from '../../fixtures/access/access-fixtures';
import { type Answer, type Call, drive } from './replay-driver';

const input = {
  resourceId: STORAGE,
  correlationId: 'corr-n',
  requestedBy: 'warden (event e-1)',
  reason: 'ResourceWriteSuccess e-1',
};
const rule = networkRule({
  id: 'nr-stfraudraw',
  resource_id: STORAGE,
  public_network_access: 'Disabled',
  consumers: [{ name: 'pipeline', via: 'private-endpoint', privateEndpoint: 'pe-stfraudraw-blob' }],
});
const plan = (
  posture = storagePosture({ publicNetworkAccess: 'Enabled', defaultAction: 'Allow', ipRules: ['203.0.113.0/24'] }),
): NetworkPlan =>
  planNetworkPosture({
    now: NOW,
    rule,
    posture,
    exemptions: [],
    wardenDependencies: [],
    reportOnly: false,
    killSwitch: false,
  });

function respond(p: NetworkPlan, apply?: (c: Call) => Answer) {
  return (c: Call): Answer => {
    if (c.functionName === ACTIVITIES.planNetwork.name) return { ok: { plan: p, parallelism: 4, newFights: [] } };
    if (c.functionName === ACTIVITIES.applyNetwork.name) {
      if (apply) return apply(c);
      const { steps } = c.input as { steps: { key: string }[] };
      return { ok: steps.map((s): StepOutcome => ({ key: s.key, status: 'applied', detail: 'ok' })) };
    }
    if (c.functionName === ACTIVITIES.verifyNetwork.name) {
      const { steps } = c.input as { steps: { key: string }[] };
      return { ok: { verified: steps.map((s) => s.key), mismatched: [] } };
    }
    return { ok: null };
  };
}

const NAME = ORCHESTRATIONS.enforceNetwork.name;

describe('enforceNetwork replayed through durable-functions', () => {
  test('the ready steps of one resource go to one apply call; verified; audited; notified', async () => {
    const p = plan();
    const r = await drive(NAME, input, { respond: respond(p) });
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.calls.map((c) => c.functionName),
      [
        ACTIVITIES.planNetwork.name,
        ACTIVITIES.auditPlan.name,
        ACTIVITIES.applyNetwork.name,
        ACTIVITIES.verifyNetwork.name,
        ACTIVITIES.auditOutcome.name,
        ACTIVITIES.notify.name,
      ],
    );
    const applied = r.calls[2]?.input as { steps: { aspect: string }[]; actor: string };
    assert.deepEqual(
      applied.steps.map((s) => s.aspect),
      ['public-network-access', 'firewall'],
    );
    assert.equal(applied.actor, 'warden (event e-1)');
    const out = r.state.output as RemediationResult<NetworkPlan>;
    assert.equal(out.outcome.status, 'applied');
    assert.equal(out.outcome.steps.length, 2);
  });

  test('an impact-gated disable waits for approval while the firewall is fixed', async () => {
    const p = plan(
      storagePosture({
        publicNetworkAccess: 'Enabled',
        defaultAction: 'Allow',
        ipRules: [],
        privateEndpointConnections: [],
      }),
    );
    const r = await drive(NAME, input, {
      respond: (c) =>
        c.functionName === ACTIVITIES.recordApproval.name
          ? { ok: { approvalId: 'apr-network-1', created: true } }
          : respond(p)(c),
    });
    const req = r.calls.find((c) => c.functionName === ACTIVITIES.recordApproval.name)?.input as {
      steps: { gate: string }[];
    };
    assert.deepEqual(
      req.steps.map((s) => s.gate),
      ['impact'],
    );
    const applied = r.calls.find((c) => c.functionName === ACTIVITIES.applyNetwork.name)?.input as {
      steps: { aspect: string }[];
    };
    assert.deepEqual(
      applied.steps.map((s) => s.aspect),
      ['firewall'],
    );
    assert.equal((r.state.output as RemediationResult<NetworkPlan>).outcome.status, 'partial');
  });

  test('Warden lacking a right: the refused outcome is audited and the run ends (no endless retry)', async () => {
    const p = plan();
    const r = await drive(NAME, input, {
      respond: respond(p, (c) => {
        const { steps } = c.input as { steps: { key: string }[] };
        return {
          ok: steps.map((s): StepOutcome => ({
            key: s.key,
            status: 'refused',
            detail: 'Warden lacks Microsoft.Storage/storageAccounts/write',
          })),
        };
      }),
    });
    assert.equal(r.calls.filter((c) => c.functionName === ACTIVITIES.applyNetwork.name).length, 1);
    const out = r.state.output as RemediationResult<NetworkPlan>;
    assert.equal(out.outcome.status, 'partial');
    assert.deepEqual(
      out.outcome.steps.map((s) => s.status),
      ['refused', 'refused'],
    );
    assert.ok(r.calls.some((c) => c.functionName === ACTIVITIES.auditOutcome.name));
  });

  test('nothing to do: no apply, no verify', async () => {
    const r = await drive(NAME, input, { respond: respond(plan(storagePosture())) });
    assert.deepEqual(
      r.calls.map((c) => c.functionName),
      [ACTIVITIES.planNetwork.name, ACTIVITIES.auditPlan.name, ACTIVITIES.auditOutcome.name],
    );
    assert.equal((r.state.output as RemediationResult<NetworkPlan>).outcome.status, 'nothing-to-do');
  });

  test('bad input fails with a clear message', async () => {
    const r = await drive(NAME, { ...input, resourceId: '/subscriptions/nope' }, { respond: respond(plan()) });
    assert.match(r.error ?? '', /enforceNetwork input is invalid: resourceId/);
  });
});
