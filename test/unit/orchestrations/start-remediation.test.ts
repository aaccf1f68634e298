import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { ApprovedRequest } from '../../../shared/api/remediation-starter';
import type { MetadataStore } from '../../../shared/metadata/metadata-store';
import { startReconcileAccess } from '../../../shared/orchestrations/access/start-reconcile-access';
import { createEnforcementRemediationStarter } from '../../../shared/orchestrations/approved-remediation-starter';
import { reconcileAccessInstanceId } from '../../../shared/orchestrations/catalog';
import { startEnforceNetwork } from '../../../shared/orchestrations/network/start-enforce-network';
import type { OrchestrationClient } from '../../../shared/orchestrations/orchestration-client';
import { RG, STORAGE } from '../../fixtures/access/access-fixtures';

function fakeClient(statuses: (string | undefined)[], raiseFails = false) {
  const log: string[] = [];
  const client: OrchestrationClient = {
    getStatus: (id) => {
      const s = statuses.shift();
      log.push(`status ${id} → ${s ?? 'none'}`);
      return Promise.resolve(s === undefined ? undefined : { runtimeStatus: s });
    },
    startNew: (name, o) => {
      log.push(`start ${name} ${o.instanceId} ${JSON.stringify(o.input)}`);
      return Promise.resolve(o.instanceId);
    },
    raiseEvent: (id, name, data) => {
      log.push(`raise ${id} ${name} ${JSON.stringify(data)}`);
      return raiseFails ? Promise.reject(new Error('410 gone')) : Promise.resolve();
    },
  };
  return { client, log };
}

const request = { scope: RG, correlationId: 'c1', requestedBy: 'ada', reason: 'access_policies/ap-x updated' };

describe('start-or-requeue', () => {
  test('no instance or a finished one: start under the deterministic id', async () => {
    for (const status of [undefined, 'Completed', 'Failed', 'Terminated']) {
      const { client, log } = fakeClient([status]);
      const r = await startReconcileAccess(client, request);
      assert.deepEqual(r, { instanceId: reconcileAccessInstanceId(RG), action: 'started' });
      assert.match(log[1] ?? '', /^start reconcileAccess reconcileAccess-rg-fraud-ml-\w+ .*"dryRun":false/);
    }
  });

  test('a busy one is requeued: the rerun event carries the new correlation id and requester', async () => {
    for (const status of ['Running', 'Pending', 'ContinuedAsNew']) {
      const { client, log } = fakeClient([status, status]);
      const r = await startReconcileAccess(client, request);
      assert.equal(r.action, 'requeued');
      assert.deepEqual(log.slice(1), [
        `raise ${r.instanceId} rerun {"correlationId":"c1","requestedBy":"ada","reason":"access_policies/ap-x updated"}`,
        `status ${r.instanceId} → ${status}`,
      ]);
    }
  });

  test('finished after the status read, the raise answered as a success (a 410 durable-functions swallows): start a new run', async () => {
    const { client, log } = fakeClient(['Running', 'Completed']);
    const r = await startReconcileAccess(client, request);
    assert.equal(r.action, 'started');
    assert.deepEqual(
      log.map((l) => l.split(' ')[0]),
      ['status', 'raise', 'status', 'start'],
    );
  });

  test('a raise that fails on an instance still busy is an error, not a silent loss', async () => {
    const { client } = fakeClient(['Running', 'Running'], true);
    await assert.rejects(startReconcileAccess(client, request), /could not requeue busy instance/);
  });

  test('finished between the status read and the raise: start a new run', async () => {
    const { client, log } = fakeClient(['Running', 'Completed'], true);
    const r = await startEnforceNetwork(client, {
      resourceId: STORAGE,
      correlationId: 'c2',
      requestedBy: 'warden',
      reason: 'event e-1',
    });
    assert.equal(r.action, 'started');
    assert.equal(log.filter((l) => l.startsWith('start enforceNetwork')).length, 1);
  });

  test('started by another trigger between the status read and the start: requeue on that run, not fail', async () => {
    const { client, log } = fakeClient([undefined, 'Running']);
    client.startNew = (name, o) => {
      log.push(`start ${name} ${o.instanceId} refused`);
      return Promise.reject(new Error('An Orchestration instance with the status Running already exists.'));
    };
    const r = await startReconcileAccess(client, request);
    assert.equal(r.action, 'requeued');
    assert.match(log.at(-1) ?? '', /^raise reconcileAccess-rg-fraud-ml-\w+ rerun \{"correlationId":"c1"/);
  });

  test('a start that fails for another reason (the instance is not running) is not swallowed', async () => {
    const { client } = fakeClient([undefined, undefined]);
    client.startNew = () => Promise.reject(new Error('store unavailable'));
    await assert.rejects(startReconcileAccess(client, request), /store unavailable/);
  });

  test('bad requests are refused before anything is started', async () => {
    const { client, log } = fakeClient([]);
    await assert.rejects(startReconcileAccess(client, { ...request, scope: 'rg-fraud-ml' }), /scope/);
    await assert.rejects(
      startEnforceNetwork(client, { resourceId: STORAGE, correlationId: '', requestedBy: 'a', reason: 'r' }),
      /correlationId/,
    );
    assert.deepEqual(log, []);
  });
});

describe('the approval hand-over (RemediationStarter)', () => {
  const approval = (kind: string, target: string, plan: Record<string, unknown>) =>
    ({ id: 'apr-1', kind, target, plan }) as unknown as ApprovedRequest['approval'];
  const store = {
    accessPolicies: {
      get: (id: string) =>
        Promise.resolve(
          id === 'ap-owner' ? { scope: `${RG}/providers/Microsoft.Storage/storageAccounts/st1` } : undefined,
        ),
    },
    managedScopes: { list: () => Promise.resolve([{ scope: RG }]) },
  } as unknown as MetadataStore;

  test('a plan approval reruns its target; a privileged-policy approval reruns the policy’s managed scope', async () => {
    const { client, log } = fakeClient([undefined, undefined, undefined]);
    const starter = createEnforcementRemediationStarter(client, store);
    const a = await starter.start({
      approval: approval('access', RG, { stepKeys: ['k'] }),
      actor: 'grace',
      correlationId: 'c9',
    });
    assert.equal(a.instanceId, reconcileAccessInstanceId(RG));
    const b = await starter.start({
      approval: approval('access', 'access_policies/ap-owner', {
        table: 'access_policies',
        id: 'ap-owner',
        version: 1,
      }),
      actor: 'grace',
      correlationId: 'c10',
    });
    assert.equal(b.instanceId, reconcileAccessInstanceId(RG));
    const n = await starter.start({
      approval: approval('network', STORAGE, { stepKeys: ['k'] }),
      actor: 'grace',
      correlationId: 'c11',
    });
    assert.equal(n.started, true);
    assert.equal(log.filter((l) => l.startsWith('start')).length, 3);
    assert.match(log[1] ?? '', /"requestedBy":"grace","reason":"approval apr-1 approved"/);
  });

  test('a policy that is gone, or another kind, starts nothing and says why', async () => {
    const { client } = fakeClient([]);
    const starter = createEnforcementRemediationStarter(client, store);
    const gone = await starter.start({
      approval: approval('access', 'access_policies/ap-x', { table: 'access_policies', id: 'ap-x' }),
      actor: 'g',
      correlationId: 'c',
    });
    assert.deepEqual(gone, { started: false, reason: 'policy ap-x is gone or outside every managed scope' });
    assert.equal(
      (await starter.start({ approval: approval('secret', 'x', {}), actor: 'g', correlationId: 'c' })).started,
      false,
    );
  });
});
