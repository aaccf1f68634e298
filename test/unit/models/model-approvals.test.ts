/**
 * An approved model decision starts its orchestration from the approval call itself (the front door's remediation
 * starter), not a minute later from the sweep: retire → retireModel, access cut → a hold run of quarantineModel,
 * breaker reset → the quarantines the breaker stopped run again with their signal and rule. Once only: the sweep
 * (or a second hand-off) finds it started.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { fixedClock } from '../../../shared/domain/clock';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { readDemoWorld, seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { createEnforcementRemediationStarter } from '../../../shared/orchestrations/approved-remediation-starter';
import { sweepModels } from '../../../shared/orchestrations/models/model-triggers';
import type { OrchestrationClient } from '../../../shared/orchestrations/orchestration-client';

const GRACE = 'user:b9cda072-27d0-4fb2-9769-cef0d3d47e1d';

describe('approvals hand-off: an approved model decision starts its model orchestration at once', () => {
  let store: MetadataStore;
  let dir: string;
  const now = new Date('2026-11-25T12:00:00Z');
  const started: { name: string; instanceId: string; input: Record<string, unknown> }[] = [];
  const client: OrchestrationClient = {
    getStatus: () => Promise.resolve(undefined),
    startNew: (name, o) => {
      started.push({ name, instanceId: o.instanceId, input: o.input as Record<string, unknown> });
      return Promise.resolve(o.instanceId);
    },
    raiseEvent: () => Promise.resolve(),
  };
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-model-approvals-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'm.db'), clock: fixedClock(now.toISOString()) });
    await seedDemoWorld(store, readDemoWorld(findRepoRoot(__dirname)));
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    started.length = 0;
  });

  const approval = async (id: string, target: string, action: string, modelId: string | null, approved = true) =>
    store.approvals.upsert(
      {
        id,
        kind: 'model',
        target,
        plan: { action, modelId, summary: action, correlationId: 'c-ask' },
        requested_by: 'user:ada',
        requested_at: now.toISOString(),
        ...(approved ? { decision: 'approved', decided_by: GRACE, decided_at: now.toISOString() } : {}),
      },
      { actor: 'user:ada', reason: action, correlationId: 'c-ask' },
    );
  const hand = (a: Awaited<ReturnType<typeof approval>>) =>
    createEnforcementRemediationStarter(client, store).start({ approval: a, actor: GRACE, correlationId: 'c-dec' });

  test('retire: retireModel starts with the approval id; the sweep and a second hand-off start nothing', async () => {
    const a = await approval('apr-retire-1', 'models/m-fraud-detector-3', 'retire', 'm-fraud-detector-3');
    const r = await hand(a);
    assert.equal(r.started, true);
    assert.equal(started.length, 1);
    assert.equal(started[0]!.name, 'retireModel');
    assert.equal(r.instanceId, started[0]!.instanceId);
    assert.equal(started[0]!.input.modelId, 'm-fraud-detector-3');
    assert.equal(started[0]!.input.approvalId, 'apr-retire-1');
    assert.equal(started[0]!.input.requestedBy, GRACE);
    assert.equal(started[0]!.input.correlationId, 'c-dec');
    const marks = await store.audit.list({ target: 'approvals/apr-retire-1' });
    assert.deepEqual(
      marks.filter((e) => e.action === 'model.approval.started').map((e) => e.actor),
      [GRACE],
    );
    started.length = 0;
    assert.equal((await sweepModels(store, client, now)).approvals.length, 0);
    assert.equal((await hand(a)).started, false);
    assert.deepEqual(
      started.filter((s) => s.name !== 'syncAlertRules'),
      [],
      'only the sweep’s alert-rule syncs',
    );
  });

  test('access cut: a hold run of quarantineModel carrying the approval', async () => {
    const a = await approval('apr-cut-1', 'models/m-fraud-detector-2', 'access-cut', 'm-fraud-detector-2');
    const r = await hand(a);
    assert.equal(r.started, true);
    assert.equal(started.length, 1);
    assert.equal(started[0]!.name, 'quarantineModel');
    assert.equal(started[0]!.input.modelId, 'm-fraud-detector-2');
    assert.deepEqual(started[0]!.input.signal, { kind: 'hold', ref: 'apr-cut-1', metricValue: null });
  });

  test('breaker reset: each quarantine the breaker stopped under it runs again with its signal and rule', async () => {
    const signal = { kind: 'alert', ref: 'alert-7', metricValue: 0.81 };
    await store.audit.append({
      actor: 'warden',
      action: 'model.quarantine.breaker',
      target: 'models/m-fraud-detector-3',
      after: { signal, ruleId: 'ar-fraud-accuracy', evidence: null, approvalId: 'apr-breaker-1' },
      reason: 'breaker',
    });
    await store.audit.append({
      actor: 'warden',
      action: 'model.quarantine.breaker',
      target: 'models/m-fraud-detector-2',
      after: { signal, ruleId: null, evidence: null, approvalId: 'apr-breaker-other' },
      reason: 'breaker',
    });
    const a = await approval('apr-breaker-1', 'models/circuit-breaker', 'breaker-reset', null);
    const r = await hand(a);
    assert.equal(r.started, true);
    assert.deepEqual(
      started.map((s) => [s.name, s.input.modelId, s.input.ruleId, s.input.signal]),
      [['quarantineModel', 'm-fraud-detector-3', 'ar-fraud-accuracy', signal]],
    );
  });

  test('a breaker reset with nothing stopped, or a pending decision, starts nothing', async () => {
    const empty = await approval('apr-breaker-2', 'models/circuit-breaker', 'breaker-reset', null);
    const r = await hand(empty);
    assert.equal(r.started, false);
    assert.match(r.reason ?? '', /nothing to start/);
    const pending = await approval('apr-retire-2', 'models/m-fraud-detector-3', 'retire', 'm-fraud-detector-3', false);
    assert.equal((await hand(pending)).started, false);
    assert.equal(started.length, 0);
  });

  test('what the hand-off missed (the call failed) the sweep still starts, once', async () => {
    const a = await approval('apr-retire-3', 'models/m-fraud-detector-2', 'retire', 'm-fraud-detector-2');
    assert.ok(a);
    const r = await sweepModels(store, client, now);
    assert.deepEqual(
      started.filter((s) => s.name !== 'syncAlertRules').map((s) => [s.name, s.input.approvalId]),
      [['retireModel', 'apr-retire-3']],
    );
    assert.equal(r.approvals.length, 1);
    assert.equal((await sweepModels(store, client, now)).approvals.length, 0);
  });
});
