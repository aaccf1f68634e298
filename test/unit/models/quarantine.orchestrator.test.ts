import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { confirmBreach } from '../../../shared/domain/models/breach';
import { planTraffic } from '../../../shared/domain/models/traffic-plan';
import {
  MODEL_ACTIVITIES,
  MODEL_ORCHESTRATIONS,
  type ModelRunResult,
  type QuarantineAssessment,
} from '../../../shared/orchestrations/models/model-catalog';
import { type Answer, type Call, drive } from '../orchestrations/replay-driver';

const input = {
  modelId: 'm-fraud-detector-3',
  ruleId: 'ar-fraud-accuracy',
  correlationId: 'alert-1',
  requestedBy: 'warden (alert warden-ar-fraud-accuracy)',
  reason: 'Monitor alert fired',
  signal: { kind: 'alert', ref: 'a1', metricValue: 0.8 },
};
const deployments = [
  { name: 'blue', modelVersion: '3' },
  { name: 'green', modelVersion: '2' },
];
const rule = { operator: 'LessThan' as const, threshold: 0.9, failing_periods: { min_failing: 2, of_last: 2 } };
const pts = (...v: number[]) =>
  v.map((value, i) => ({ timeStamp: new Date(Date.UTC(2026, 10, 25, 12, i * 5)).toISOString(), value }));

function assessment(over: Partial<QuarantineAssessment>): QuarantineAssessment {
  return {
    decision: 'quarantine',
    reason: 'breach confirmed',
    modelId: input.modelId,
    ruleId: input.ruleId,
    ruleAction: 'quarantine',
    evidence: confirmBreach(pts(0.8, 0.7), rule),
    traffic: planTraffic({ blue: 100, green: 0 }, deployments, new Set(['3']), '2'),
    accessCutApprovalId: null,
    ...over,
  };
}

function responder(a: QuarantineAssessment, traffic: Record<string, unknown> = { status: 'applied' }) {
  return (c: Call): Answer => {
    switch (c.functionName) {
      case MODEL_ACTIVITIES.assess.name:
        return { ok: a };
      case MODEL_ACTIVITIES.moveTraffic.name:
        return { ok: { plan: a.traffic, traffic: a.traffic?.after ?? null, ...traffic } };
      case MODEL_ACTIVITIES.recordApproval.name:
        return { ok: { approvalId: 'apr-1', created: true } };
      default:
        return { ok: null };
    }
  };
}

const names = (calls: Call[]) => calls.map((c) => c.functionName);

describe('quarantineModel (replayed through durable-functions)', () => {
  test('confirmed: assess → tag Quarantined with evidence → hold traffic → notify; nothing else', async () => {
    const r = await drive(MODEL_ORCHESTRATIONS.quarantineModel.name, input, { respond: responder(assessment({})) });
    assert.equal(r.error, undefined);
    assert.deepEqual(names(r.calls), [
      MODEL_ACTIVITIES.assess.name,
      MODEL_ACTIVITIES.applyStage.name,
      MODEL_ACTIVITIES.moveTraffic.name,
      MODEL_ACTIVITIES.notify.name,
    ]);
    const stage = r.calls[1]!.input as { stage: string; tags: Record<string, string> };
    assert.equal(stage.stage, 'Quarantined');
    assert.equal(stage.tags['warden.quarantine.traffic'], 'blue=100,green=0');
    assert.match(stage.tags['warden.quarantine.evidence'] ?? '', /^confirmed: 2\/2/);
    assert.equal((r.calls[3]!.input as { type: string }).type, 'Warden.Model.Quarantined');
    assert.equal((r.state.output as ModelRunResult).status, 'quarantined');
  });

  test('not confirmed: audited as dropped, nothing tagged or moved', async () => {
    const a = assessment({ decision: 'drop', reason: 'breach not confirmed (unconfirmed)', traffic: null });
    const r = await drive(MODEL_ORCHESTRATIONS.quarantineModel.name, input, { respond: responder(a) });
    assert.deepEqual(names(r.calls), [MODEL_ACTIVITIES.assess.name, MODEL_ACTIVITIES.audit.name]);
    assert.equal((r.calls[1]!.input as { action: string }).action, 'model.quarantine.dropped');
  });

  test('breaker tripped: an approval is recorded and notified once, nothing tagged or moved', async () => {
    const a = assessment({ decision: 'breaker', reason: '3 model(s) quarantined' });
    const r = await drive(MODEL_ORCHESTRATIONS.quarantineModel.name, input, { respond: responder(a) });
    assert.deepEqual(names(r.calls), [
      MODEL_ACTIVITIES.assess.name,
      MODEL_ACTIVITIES.recordApproval.name,
      MODEL_ACTIVITIES.audit.name,
      MODEL_ACTIVITIES.notify.name,
    ]);
    assert.equal((r.calls[1]!.input as { action: string }).action, 'breaker-reset');
    assert.equal((r.calls[3]!.input as { type: string }).type, 'Warden.Model.BreakerTripped');
  });

  test('no good deployment: traffic untouched, an access-cut approval asked; approved → the cut runs', async () => {
    const plan = planTraffic({ blue: 100, green: 0 }, deployments, new Set(['3', '2']), '2');
    const asked = await drive(MODEL_ORCHESTRATIONS.quarantineModel.name, input, {
      respond: responder(assessment({ traffic: plan }), { status: 'needs-access-cut' }),
    });
    assert.ok(names(asked.calls).includes(MODEL_ACTIVITIES.recordApproval.name));
    assert.ok(!names(asked.calls).includes(MODEL_ACTIVITIES.cutAccess.name));
    const approved = await drive(MODEL_ORCHESTRATIONS.quarantineModel.name, input, {
      respond: responder(assessment({ traffic: plan, accessCutApprovalId: 'apr-cut' }), { status: 'needs-access-cut' }),
    });
    const cut = approved.calls.find((c) => c.functionName === MODEL_ACTIVITIES.cutAccess.name);
    assert.equal((cut?.input as { approvalId: string } | undefined)?.approvalId, 'apr-cut');
  });

  test('dry run returns the assessment and calls nothing else', async () => {
    const r = await drive(
      MODEL_ORCHESTRATIONS.quarantineModel.name,
      { ...input, dryRun: true },
      { respond: responder(assessment({})) },
    );
    assert.deepEqual(names(r.calls), [MODEL_ACTIVITIES.assess.name]);
    assert.equal((r.state.output as ModelRunResult).status, 'dry-run');
  });

  test('a rerun while busy (a second alert) continues as new with that signal', async () => {
    const r = await drive(MODEL_ORCHESTRATIONS.quarantineModel.name, input, {
      respond: responder(assessment({})),
      raiseRerun: {
        correlationId: 'alert-2',
        requestedBy: 'warden (alert x)',
        reason: 'again',
        signal: { kind: 'alert', ref: 'a2', metricValue: null },
      },
    });
    assert.equal((r.state.output as ModelRunResult).rerun, true);
  });

  test('invalid input fails the instance naming the field', async () => {
    const r = await drive(
      MODEL_ORCHESTRATIONS.quarantineModel.name,
      { ...input, modelId: '' },
      { respond: responder(assessment({})) },
    );
    assert.match(r.error ?? '', /modelId/);
  });
});
