/**
 * rotateSecret replayed through durable-functions' own handler with extension-shaped histories (the enforcement
 * replay driver): every episode replays the whole history, so non-determinism fails here. Checks the order of steps
 * on each path and that no input or output carries a value (only versions, ids and fingerprints exist to carry).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { EventType } from '../../../runtime/durable/library-internals';
import {
  type CreatedCredential,
  type PreparedRotation,
  ROTATION_ACTIVITIES as A,
  ROTATION_ORCHESTRATION,
  type RotationResult,
} from '../../../shared/orchestrations/secrets/rotation-catalog';
import { type Answer, type Call, drive } from '../orchestrations/replay-driver';

const NAME = ROTATION_ORCHESTRATION.name;
const input = { referenceId: 'sr-dbx', correlationId: 'corr-1', requestedBy: 'warden (sweep)', reason: 'due' };
const V_OLD = 'a'.repeat(32);
const V_NEW = 'b'.repeat(32);
const V_STAGE = 'c'.repeat(32);

const ready = (over: Partial<Extract<PreparedRotation, { status: 'ready' }>> = {}): PreparedRotation => ({
  status: 'ready',
  rotator: 'databricks-pat',
  publishFirst: false,
  graceHours: 24,
  previousVersion: V_OLD,
  previousCredentialId: 'tok-0',
  testsBefore: 2,
  testsAfter: 0,
  ...over,
});
const created: CreatedCredential = {
  stagingVersion: V_STAGE,
  credentialId: 'tok-1',
  fingerprint: 'sha256:0123456789abcdef',
  expiresOn: '2027-01-09T12:00:00.000Z',
  replaces: null,
};

function responder(prepared: PreparedRotation, overrides: Record<string, (c: Call) => Answer> = {}) {
  return (c: Call): Answer => {
    const o = overrides[c.functionName];
    if (o) return o(c);
    switch (c.functionName) {
      case A.prepare.name:
        return { ok: prepared };
      case A.create.name:
        return { ok: created };
      case A.test.name:
        return { ok: { ok: true, results: [{ name: 'job-a', kind: 'databricks-job', ok: true, detail: '200' }] } };
      case A.publish.name:
        return { ok: { version: V_NEW, expiresOn: created.expiresOn } };
      default:
        return { ok: null };
    }
  };
}
const names = (calls: Call[]) => calls.map((c) => c.functionName);
const output = (r: { state: { output?: unknown } }) => r.state.output as RotationResult;

describe('rotateSecret (replay)', () => {
  test('happy path: prepare, create, test, publish, record, grace timer, retire the old credential', async () => {
    const r = await drive(NAME, input, { respond: responder(ready()) });
    assert.equal(r.error, undefined);
    assert.deepEqual(names(r.calls), [
      A.prepare.name,
      A.create.name,
      A.test.name,
      A.publish.name,
      A.record.name,
      A.retire.name,
    ]);
    const timer = r.history.find((h) => h.EventType === EventType.TimerCreated);
    assert.ok(timer, 'a durable timer for the grace period');
    const record = r.calls.find((c) => c.functionName === A.record.name)!;
    assert.deepEqual(record.input, { ...pick(input), version: V_NEW, expiresOn: created.expiresOn });
    const retire = r.calls.find((c) => c.functionName === A.retire.name)!;
    assert.deepEqual(retire.input, { ...pick(input), previousCredentialId: 'tok-0', newCredentialId: 'tok-1' });
    assert.equal(r.calls.find((c) => c.functionName === A.create.name)!.retry, false, 'create is never retried');
    assert.deepEqual(output(r), {
      status: 'rotated',
      referenceId: 'sr-dbx',
      version: V_NEW,
      previousVersion: V_OLD,
      reason: 'rotated',
    });
  });

  test('a failed consumer test revokes the new credential; nothing is published', async () => {
    const r = await drive(NAME, input, {
      respond: responder(ready(), {
        [A.test.name]: () => ({
          ok: { ok: false, results: [{ name: 'job-b', kind: 'databricks-job', ok: false, detail: '401' }] },
        }),
      }),
    });
    assert.deepEqual(names(r.calls), [A.prepare.name, A.create.name, A.test.name, A.revokeNew.name]);
    assert.equal(output(r).status, 'test-failed');
    assert.match(output(r).reason, /job-b: 401/);
  });

  test('recording fails after publishing (retries exhausted) → rollback republishes the previous version', async () => {
    const r = await drive(NAME, input, {
      respond: responder(ready(), { [A.record.name]: () => ({ fail: 'store unavailable' }) }),
    });
    const called = names(r.calls);
    assert.deepEqual(called.slice(-2), [A.record.name, A.rollback.name]);
    assert.ok(!called.includes(A.retire.name));
    const rollback = r.calls.find((c) => c.functionName === A.rollback.name)!;
    assert.deepEqual(rollback.input, {
      ...pick(input),
      failedVersion: V_NEW,
      previousVersion: V_OLD,
      stagingVersion: V_STAGE,
      credentialId: 'tok-1',
      reason: (rollback.input as { reason: string }).reason,
    });
    assert.equal(output(r).status, 'rolled-back');
  });

  test('publishing fails for good → the rollback activity checks the vault (failedVersion null) and revokes', async () => {
    const r = await drive(NAME, input, {
      respond: responder(ready(), { [A.publish.name]: () => ({ fail: 'vault 503' }) }),
    });
    assert.deepEqual(names(r.calls).slice(-2), [A.publish.name, A.rollback.name]);
    const rollback = r.calls.find((c) => c.functionName === A.rollback.name)!;
    assert.equal((rollback.input as { failedVersion: unknown }).failedVersion, null);
    assert.equal(output(r).status, 'failed');
  });

  test('publish first (random): no test before publishing; a failed check after publishing rolls back', async () => {
    const r = await drive(NAME, input, {
      respond: responder(ready({ publishFirst: true, testsBefore: 0, testsAfter: 1, rotator: 'random' }), {
        [A.test.name]: (c) => {
          assert.equal((c.input as { phase: string }).phase, 'after-publish');
          return { ok: { ok: false, results: [{ name: 'svc', kind: 'vault-reader', ok: false, detail: '503' }] } };
        },
      }),
    });
    assert.deepEqual(names(r.calls), [A.prepare.name, A.create.name, A.publish.name, A.test.name, A.rollback.name]);
    assert.equal(output(r).status, 'rolled-back');
  });

  test('invalid config (prepare says so): nothing else runs', async () => {
    const r = await drive(NAME, input, { respond: responder({ status: 'invalid', reason: 'rotator_config.x: bad' }) });
    assert.deepEqual(names(r.calls), [A.prepare.name]);
    assert.equal(output(r).status, 'invalid');
  });

  test('creating fails: recorded as failed, nothing published', async () => {
    const r = await drive(NAME, input, {
      respond: responder(ready(), { [A.create.name]: () => ({ fail: 'workspace 503' }) }),
    });
    assert.deepEqual(names(r.calls), [A.prepare.name, A.create.name, A.fail.name]);
    assert.equal(output(r).status, 'failed');
  });

  test('bad input fails the instance naming the field', async () => {
    const r = await drive(NAME, { ...input, referenceId: '' }, { respond: responder(ready()) });
    assert.match(r.error ?? '', /referenceId/);
    assert.equal(r.calls.length, 0);
  });
});

function pick(i: typeof input) {
  return { referenceId: i.referenceId, correlationId: i.correlationId, actor: i.requestedBy };
}
