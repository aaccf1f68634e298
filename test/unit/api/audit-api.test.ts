import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import { publishAuditHead } from '../../../shared/api/audit/audit-query';
import { ADA, ApiHarness, policyBody } from './support/api-harness';

describe('audit query, export and verification', () => {
  const h = new ApiHarness();
  let ada = '';
  let grace = '';
  before(async () => {
    await h.start();
    ada = await h.ada();
    grace = await h.grace();
    for (const id of ['ap-a1', 'ap-a2']) {
      h.clock.advance(60_000);
      const res = await h.call('putAccessPolicies', {
        token: ada,
        params: { id },
        body: policyBody(id),
        headers: { 'x-correlation-id': `corr-${id}` },
      });
      assert.equal(res.status, 201, res.text);
    }
  });
  after(() => h.stop());

  type Page = { items: { seq: number; actor: string; target: string; at: string }[]; continuationToken?: string };

  test('by target, by actor (object id), by correlation id and by time range, paged', async () => {
    const byTarget = await h.call('queryAudit', { token: ada, query: { target: 'access_policies/ap-a1' } });
    assert.deepEqual(
      (byTarget.body as Page).items.map((e) => e.target),
      ['access_policies/ap-a1'],
    );
    const byActor = await h.call('queryAudit', { token: ada, query: { actor: ADA } });
    const mine = (byActor.body as Page).items;
    assert.ok(mine.length >= 2);
    assert.ok(mine.every((e) => e.actor === `${ADA} (Ada Lovelace)`));
    const byCorrelation = await h.call('queryAudit', { token: ada, query: { correlationId: 'corr-ap-a2' } });
    assert.deepEqual(
      (byCorrelation.body as Page).items.map((e) => e.target),
      ['access_policies/ap-a2'],
    );
    const [a1] = await h.store.audit.list({ target: 'access_policies/ap-a1' });
    const [a2] = await h.store.audit.list({ target: 'access_policies/ap-a2' });
    assert.ok(a1 && a2 && a1.at < a2.at);
    const window = await h.call('queryAudit', { token: ada, query: { from: a2.at, to: a2.at } });
    assert.deepEqual(
      (window.body as Page).items.map((e) => e.target),
      ['access_policies/ap-a2'],
    );
    const before = await h.call('queryAudit', { token: ada, query: { to: a1.at, actor: ADA } });
    assert.ok((before.body as Page).items.every((e) => e.at <= a1.at));
    const seqs: number[] = [];
    let token: string | undefined;
    do {
      const res = await h.call('queryAudit', {
        token: ada,
        query: { limit: '3', ...(token ? { continuationToken: token } : {}) },
      });
      const page = res.body as Page;
      seqs.push(...page.items.map((e) => e.seq));
      token = page.continuationToken;
    } while (token);
    assert.equal(seqs.length, await h.auditHeadSeq());
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    const bad = await h.call('queryAudit', { token: ada, query: { from: 'yesterday' } });
    assert.equal(bad.status, 400);
  });

  test('export is NDJSON with hashes; verify walks the chain and finds a tampered entry', async () => {
    const exported = await h.call('exportAudit', { token: grace, query: { target: 'access_policies/ap-a1' } });
    assert.equal(exported.status, 200);
    assert.match(exported.headers['content-type'] ?? '', /application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { hash: string });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.hash, /^[0-9a-f]{64}$/);
    const ok = await h.call('verifyAudit', { token: grace });
    assert.equal((ok.body as { ok: boolean }).ok, true);
    // An attacker with database access drops the append-only trigger and rewrites an entry.
    await sql`DROP TRIGGER audit_log_no_update`.execute(h.store.backend.db);
    await h.store.backend.db
      .updateTable('audit_log')
      .set({ reason: 'rewritten' })
      .where('target', '=', 'access_policies/ap-a1')
      .execute();
    const broken = await h.call('verifyAudit', { token: grace });
    const verdict = broken.body as { ok: boolean; firstBadSeq: number; problem: string };
    assert.equal(verdict.ok, false);
    assert.match(verdict.problem, /altered/);
  });

  test('the chain head is published as a notification carrying the correlation id', async () => {
    const head = await publishAuditHead(h.services, 'corr-head');
    assert.ok(head);
    const n = h.notifications.find((x) => x.type === 'Warden.Audit.ChainHead');
    assert.deepEqual(n?.data && { seq: n.data.seq, hash: n.data.hash }, { seq: head.seq, hash: head.hash });
    assert.equal(n?.correlationId, 'corr-head');
  });
});
