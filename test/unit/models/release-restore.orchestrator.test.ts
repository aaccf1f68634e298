/**
 * releaseModel and the access restore (replayed through durable-functions): once the endpoint serves again the
 * restore activity gives back the score role assignments an access cut removed; while no good deployment remains it
 * is not called.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  MODEL_ACTIVITIES,
  MODEL_ORCHESTRATIONS,
  type ModelRunResult,
} from '../../../shared/orchestrations/models/model-catalog';
import { type Answer, type Call, drive } from '../orchestrations/replay-driver';

const input = {
  modelId: 'm-fraud-detector-3',
  correlationId: 'release-1',
  requestedBy: 'ada@contoso.example',
  reason: 'fixed upstream feature',
  mode: 'operator',
};

function responder(
  trafficStatus: string,
  restore: Record<string, unknown> = { status: 'restored', detail: '1 restored' },
) {
  return (c: Call): Answer => {
    switch (c.functionName) {
      case MODEL_ACTIVITIES.applyStage.name:
        return { ok: { tags: {} } };
      case MODEL_ACTIVITIES.moveTraffic.name:
        return { ok: { status: trafficStatus, plan: null, traffic: { blue: 100 } } };
      case MODEL_ACTIVITIES.restoreAccess.name:
        return { ok: restore };
      default:
        return { ok: null };
    }
  };
}
const names = (calls: Call[]) => calls.map((c) => c.functionName);

describe('releaseModel: access restore', () => {
  test('traffic restored: stage → traffic → restore access → notify (the notification says the access came back)', async () => {
    const r = await drive(MODEL_ORCHESTRATIONS.releaseModel.name, input, { respond: responder('applied') });
    assert.equal(r.error, undefined);
    assert.deepEqual(names(r.calls), [
      MODEL_ACTIVITIES.applyStage.name,
      MODEL_ACTIVITIES.moveTraffic.name,
      MODEL_ACTIVITIES.restoreAccess.name,
      MODEL_ACTIVITIES.notify.name,
    ]);
    assert.deepEqual(r.calls[2]!.input, {
      modelId: input.modelId,
      correlationId: 'release-1',
      actor: input.requestedBy,
    });
    const data = (r.calls[3]!.input as { data: Record<string, unknown> }).data;
    assert.equal(data.accessRestore, 'restored');
    assert.equal((r.state.output as ModelRunResult).status, 'released');
  });

  test('nothing was cut: the notification carries no restore field', async () => {
    const r = await drive(MODEL_ORCHESTRATIONS.releaseModel.name, input, {
      respond: responder('unchanged', { status: 'none', detail: 'nothing' }),
    });
    assert.ok(names(r.calls).includes(MODEL_ACTIVITIES.restoreAccess.name));
    const notify = r.calls.find((c) => c.functionName === MODEL_ACTIVITIES.notify.name);
    assert.equal((notify?.input as { data: Record<string, unknown> }).data.accessRestore, undefined);
  });

  test('no good deployment yet (or the endpoint is gone): the access is not restored', async () => {
    for (const status of ['needs-access-cut', 'endpoint-missing']) {
      const r = await drive(MODEL_ORCHESTRATIONS.releaseModel.name, input, { respond: responder(status) });
      assert.ok(!names(r.calls).includes(MODEL_ACTIVITIES.restoreAccess.name), status);
      assert.equal((r.state.output as ModelRunResult).status, 'released');
    }
  });
});
