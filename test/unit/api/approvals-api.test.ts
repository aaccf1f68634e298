import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ADA, ApiHarness, GRACE, policyBody } from './support/api-harness';
import { pendingApproval } from './support/route-samples';

describe('approvals with four eyes', () => {
  const h = new ApiHarness();
  let ada = '';
  let grace = '';
  before(async () => {
    await h.start();
    ada = await h.ada();
    grace = await h.grace();
  });
  after(() => h.stop());

  async function ownerPolicy(id: string): Promise<string> {
    const res = await h.call('putAccessPolicies', {
      token: ada,
      params: { id },
      body: policyBody(id, { role: 'Owner' }),
    });
    assert.equal(res.status, 201, res.text);
    return res.headers['x-warden-approval']!;
  }

  test('the requester cannot decide their own request; nothing changes; the attempt is audited', async () => {
    const id = await ownerPolicy('ap-own-1');
    const seq = await h.auditHeadSeq();
    for (const verb of ['approveApproval', 'rejectApproval']) {
      const res = await h.call(verb, { token: ada, params: { id }, body: {} });
      assert.equal(res.status, 403, res.text);
      const p = res.body as { code: string; errors: { path: string }[]; detail: string };
      assert.equal(p.code, 'FOUR_EYES');
      assert.deepEqual(
        p.errors.map((e) => e.path),
        ['decided_by'],
      );
    }
    assert.equal((await h.store.approvals.require(id)).decision, null);
    assert.equal((await h.store.accessPolicies.require('ap-own-1')).approved_by, null);
    const entries = await h.auditAfter(seq);
    assert.deepEqual(
      entries.map((e) => [e.action, e.actor]),
      [
        ['api.rejected', `${ADA} (Ada Lovelace)`],
        ['api.rejected', `${ADA} (Ada Lovelace)`],
      ],
    );
  });

  test('a second person approves: decision recorded and audited, approved_by set, remediation handed over, notified', async () => {
    const id = await ownerPolicy('ap-own-2');
    const res = await h.call('approveApproval', {
      token: grace,
      params: { id },
      body: { comment: 'Checked with the team lead' },
      headers: { 'x-correlation-id': 'corr-approve', 'if-match': '"1"' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.etag, '"2"');
    const out = res.body as {
      approval: { decision: string; decided_by: string; comment: string };
      remediation: { started: boolean; instanceId: string };
    };
    assert.equal(out.approval.decision, 'approved');
    assert.equal(out.approval.decided_by, `${GRACE} (Grace Hopper)`);
    assert.equal(out.approval.comment, 'Checked with the team lead');
    assert.deepEqual(out.remediation, { started: true, instanceId: `inst-${id}` });
    const policy = await h.store.accessPolicies.require('ap-own-2');
    assert.equal(policy.approved_by, GRACE);
    const started = h.started.find((s) => s.approval.id === id);
    assert.equal(started?.correlationId, 'corr-approve');
    assert.equal(started?.actor, `${GRACE} (Grace Hopper)`);
    const audited = await h.store.audit.list({ correlationId: 'corr-approve' });
    assert.deepEqual(audited.map((e) => e.action).sort(), ['access_policies.update', 'approvals.update']);
    assert.ok(audited.every((e) => e.actor === `${GRACE} (Grace Hopper)`));
    const n = h.notifications.find((x) => x.type === 'Warden.Approval.Decided' && x.subject === `approvals/${id}`);
    assert.equal(n?.correlationId, 'corr-approve');

    const twice = await h.call('rejectApproval', { token: grace, params: { id }, body: {} });
    assert.equal(twice.status, 409);
  });

  test('a rejection is recorded; nothing is started; a stale If-Match is a 412', async () => {
    const id = await pendingApproval(h);
    const stale = await h.call('rejectApproval', {
      token: grace,
      params: { id },
      body: {},
      headers: { 'if-match': '"5"' },
    });
    assert.equal(stale.status, 412);
    const before = h.started.length;
    const res = await h.call('rejectApproval', { token: grace, params: { id }, body: { comment: 'no' } });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.body as { approval: { decision: string } }).approval.decision, 'rejected');
    assert.equal(h.started.length, before);
  });

  test('an approval for a policy that changed since the request is refused (409); the newer request stands', async () => {
    const first = await ownerPolicy('ap-own-3');
    const current = await h.call('getAccessPolicies', { token: ada, params: { id: 'ap-own-3' } });
    const changed = await h.call('putAccessPolicies', {
      token: ada,
      params: { id: 'ap-own-3' },
      body: policyBody('ap-own-3', {
        role: 'Owner',
        principal_id: '95d764b4-de42-46a3-bb72-8b382714c04a',
        justification: 'changed',
      }),
      headers: { 'if-match': current.headers.etag! },
    });
    assert.equal(changed.status, 200, changed.text);
    const res = await h.call('approveApproval', { token: grace, params: { id: first }, body: {} });
    assert.equal(res.status, 409, res.text);
    assert.equal((await h.store.approvals.require(first)).decision, null, 'nothing recorded');
  });

  test('unknown fields in a decision are refused; unknown approvals are 404; lists filter by state', async () => {
    const id = await pendingApproval(h);
    const bad = await h.call('approveApproval', { token: grace, params: { id }, body: { decision: 'approved' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (bad.body as { errors: { path: string }[] }).errors.map((e) => e.path),
      ['decision'],
    );
    assert.equal((await h.call('approveApproval', { token: grace, params: { id: 'apr-none' }, body: {} })).status, 404);
    const pending = await h.call('listApprovals', { token: grace, query: { state: 'pending' } });
    const items = (pending.body as { items: { id: string; decision: unknown }[] }).items;
    assert.ok(items.some((a) => a.id === id));
    assert.ok(items.every((a) => a.decision === null));
  });

  test('a failing notifier or remediation start does not undo a decision', async () => {
    const id = await pendingApproval(h);
    h.notifierFails = true;
    const original = h.services.remediations;
    Object.assign(h.services, { remediations: { start: () => Promise.reject(new Error('durable down')) } });
    try {
      const res = await h.call('approveApproval', { token: grace, params: { id }, body: {} });
      assert.equal(res.status, 200, res.text);
      assert.equal((res.body as { remediation: { started: boolean } }).remediation.started, false);
      assert.equal((await h.store.approvals.require(id)).decision, 'approved');
    } finally {
      h.notifierFails = false;
      Object.assign(h.services, { remediations: original });
    }
  });
});
