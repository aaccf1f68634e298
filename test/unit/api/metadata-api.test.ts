import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ADA, ApiHarness, BREAK_GLASS, DATA_SCIENTISTS, policyBody, RG, SUB, WARDEN_MI } from './support/api-harness';

interface Problem {
  status: number;
  code: string;
  type: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

describe('metadata CRUD through the edge', () => {
  const h = new ApiHarness();
  let ada = '';
  before(async () => {
    await h.start({ bodyLimitBytes: 4096 });
    ada = await h.ada();
  });
  after(() => h.stop());

  const problem = (r: { body: unknown }) => r.body as Problem;
  const fields = (r: { body: unknown }) => (problem(r).errors ?? []).map((e) => e.path);

  /** Asserts a rejected write changed nothing but one `api.rejected` audit entry naming the actor. */
  async function rejectedWithoutChange(
    seqBefore: number,
    countBefore: number,
    expectFields: string[] = [],
  ): Promise<void> {
    assert.equal(await h.store.accessPolicies.count(), countBefore, 'no state change');
    const entries = await h.auditAfter(seqBefore);
    assert.equal(entries.length, 1, JSON.stringify(entries));
    assert.equal(entries[0]!.action, 'api.rejected');
    assert.equal(entries[0]!.actor, `${ADA} (Ada Lovelace)`);
    for (const f of expectFields) assert.ok((entries[0]!.after as { fields: string[] }).fields.includes(f), f);
  }

  test('create, read, replace with If-Match, delete with If-Match; every write audited with the actor', async () => {
    const created = await h.call('putAccessPolicies', {
      token: ada,
      params: { id: 'ap-crud' },
      body: policyBody('ap-crud'),
      headers: { 'x-correlation-id': 'corr-crud-1' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.etag, '"1"');
    assert.equal(created.headers['x-correlation-id'], 'corr-crud-1');
    const [entry] = (await h.store.audit.list({ correlationId: 'corr-crud-1' })).filter(
      (e) => e.action === 'access_policies.insert',
    );
    assert.equal(entry?.actor, `${ADA} (Ada Lovelace)`);
    assert.equal(entry?.target, 'access_policies/ap-crud');

    const read = await h.call('getAccessPolicies', { token: ada, params: { id: 'ap-crud' } });
    assert.equal(read.status, 200);
    assert.equal(read.headers.etag, '"1"');
    const record = read.body as Record<string, unknown>;
    assert.equal(record.updated_by, `${ADA} (Ada Lovelace)`);

    const again = await h.call('putAccessPolicies', {
      token: ada,
      params: { id: 'ap-crud' },
      body: policyBody('ap-crud'),
    });
    assert.equal(again.status, 409, 'a PUT without If-Match only creates');
    assert.match(problem(again).detail, /If-Match: "1"/);

    const stale = await h.call('putAccessPolicies', {
      token: ada,
      params: { id: 'ap-crud' },
      body: policyBody('ap-crud', { justification: 'changed' }),
      headers: { 'if-match': '"7"' },
    });
    assert.equal(stale.status, 412);
    assert.equal(problem(stale).code, 'PRECONDITION_FAILED');

    // The record as read (with version and timestamps) can be written back.
    const replaced = await h.call('putAccessPolicies', {
      token: ada,
      params: { id: 'ap-crud' },
      body: { ...record, justification: 'Read access for the audit season' },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.headers.etag, '"2"');

    const badTag = await h.call('deleteAccessPolicies', {
      token: ada,
      params: { id: 'ap-crud' },
      headers: { 'if-match': 'W/"2"' },
    });
    assert.equal(badTag.status, 400);
    assert.deepEqual(fields(badTag), ['If-Match']);
    const noTag = await h.call('deleteAccessPolicies', { token: ada, params: { id: 'ap-crud' } });
    assert.equal(noTag.status, 428);
    const gone = await h.call('deleteAccessPolicies', {
      token: ada,
      params: { id: 'ap-crud' },
      headers: { 'if-match': '"2"' },
    });
    assert.equal(gone.status, 204);
    assert.equal((await h.call('getAccessPolicies', { token: ada, params: { id: 'ap-crud' } })).status, 404);
    const del = (await h.store.audit.list({ target: 'access_policies/ap-crud' })).map((e) => e.action);
    assert.deepEqual(del, ['access_policies.insert', 'access_policies.update', 'access_policies.delete']);
  });

  test('lists page with opaque continuation tokens and filter by column', async () => {
    for (let i = 0; i < 5; i++)
      await h.store.accessPolicies.upsert(policyBody(`ap-page-${i}`) as never, { actor: 'test-setup' });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await h.call('listAccessPolicies', {
        token: ada,
        query: { limit: '2', ...(token ? { continuationToken: token } : {}) },
      });
      assert.equal(res.status, 200, res.text);
      const page = res.body as { items: { id: string }[]; continuationToken?: string };
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((p) => p.id));
      token = page.continuationToken;
      pages++;
    } while (token);
    assert.ok(pages >= 3);
    assert.deepEqual(seen, [...seen].sort(), 'key order');
    assert.equal(new Set(seen).size, seen.length, 'no duplicates across pages');
    assert.equal(seen.length, await h.store.accessPolicies.count());

    const filtered = await h.call('listAccessPolicies', {
      token: ada,
      query: { principal_id: DATA_SCIENTISTS.toUpperCase(), role: 'Reader' },
    });
    const items = (filtered.body as { items: { principal_id: string; role: string }[] }).items;
    assert.ok(items.length >= 5);
    assert.ok(items.every((p) => p.principal_id === DATA_SCIENTISTS && p.role === 'Reader'));

    const foreign = await h.call('listModels', {
      token: ada,
      query: { continuationToken: Buffer.from('{"k":"access_policies","a":"x"}').toString('base64url') },
    });
    assert.equal(foreign.status, 400);
    assert.deepEqual(fields(foreign), ['continuationToken']);
    const unknown = await h.call('listAccessPolicies', { token: ada, query: { sort: 'id' } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(fields(unknown), ['sort']);
    const tooMany = await h.call('listAccessPolicies', { token: ada, query: { limit: '5000' } });
    assert.equal(tooMany.status, 400);
    assert.deepEqual(fields(tooMany), ['limit']);
  });

  test('bad input is a 400/413/415 problem naming the field; nothing changes; the attempt is audited', async () => {
    const cases: { name: string; opts: Parameters<ApiHarness['call']>[1]; status: number; fields: string[] }[] = [
      {
        name: 'unknown field',
        opts: { params: { id: 'ap-bad' }, body: policyBody('ap-bad', { is_admin: true }) },
        status: 400,
        fields: ['is_admin'],
      },
      {
        name: 'malformed JSON',
        opts: {
          params: { id: 'ap-bad' },
          rawBody: '{"id": "ap-bad",',
          headers: { 'content-type': 'application/json' },
        },
        status: 400,
        fields: ['body'],
      },
      {
        name: 'a JSON array, not an object',
        opts: { params: { id: 'ap-bad' }, body: [policyBody('ap-bad')] },
        status: 400,
        fields: [''],
      },
      {
        name: 'wrong type',
        opts: { params: { id: 'ap-bad' }, body: policyBody('ap-bad', { enabled: 'yes' }) },
        status: 400,
        fields: ['enabled'],
      },
      {
        name: 'path traversal in the id',
        opts: { params: { id: '..' }, body: policyBody('..') },
        status: 400,
        fields: ['id'],
      },
      {
        name: 'encoded traversal in the id',
        opts: { params: { id: '..%2F..%2Fetc%2Fpasswd' }, body: policyBody('x') },
        status: 400,
        fields: ['id'],
      },
      {
        name: 'body id differs from the path',
        opts: { params: { id: 'ap-bad' }, body: policyBody('ap-other') },
        status: 400,
        fields: ['id'],
      },
      {
        name: 'oversized payload',
        opts: { params: { id: 'ap-bad' }, body: policyBody('ap-bad', { justification: 'x'.repeat(5000) }) },
        status: 413,
        fields: [],
      },
      {
        name: 'wrong content type',
        opts: {
          params: { id: 'ap-bad' },
          rawBody: JSON.stringify(policyBody('ap-bad')),
          headers: { 'content-type': 'text/plain' },
        },
        status: 415,
        fields: [],
      },
      {
        name: 'role outside the managed scope allowed_roles',
        opts: { params: { id: 'ap-bad' }, body: policyBody('ap-bad', { role: 'Contributor' }) },
        status: 400,
        fields: ['role'],
      },
      {
        name: 'scope outside every managed scope',
        opts: {
          params: { id: 'ap-bad' },
          body: policyBody('ap-bad', { scope: `${SUB}/resourceGroups/rg-unmanaged` }),
        },
        status: 400,
        fields: ['scope'],
      },
      {
        name: 'the writer sets approved_by',
        opts: { params: { id: 'ap-bad' }, body: policyBody('ap-bad', { approved_by: ADA }) },
        status: 400,
        fields: ['approved_by'],
      },
    ];
    for (const c of cases) {
      const seq = await h.auditHeadSeq();
      const count = await h.store.accessPolicies.count();
      const res = await h.call('putAccessPolicies', { ...c.opts, token: ada });
      assert.equal(res.status, c.status, `${c.name}: ${res.text}`);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/, c.name);
      const p = problem(res);
      assert.equal(p.status, c.status);
      assert.match(p.type, /^urn:warden:problem:/);
      assert.ok(!res.text.includes('    at '), 'no stack');
      for (const f of c.fields)
        assert.ok(fields(res).includes(f), `${c.name}: expected ${f} in ${fields(res).join(',')}`);
      await rejectedWithoutChange(seq, count, c.fields);
    }
  });

  test('SQL-injection-looking strings are stored verbatim, as data', async () => {
    const nasty = 'Robert\'); DROP TABLE access_policies;-- " OR 1=1 /*';
    const res = await h.call('putAccessPolicies', {
      token: ada,
      params: { id: 'ap-sqli' },
      body: policyBody('ap-sqli', { justification: nasty }),
    });
    assert.equal(res.status, 201, res.text);
    const read = await h.call('getAccessPolicies', { token: ada, params: { id: 'ap-sqli' } });
    assert.equal((read.body as { justification: string }).justification, nasty);
    assert.ok((await h.store.accessPolicies.count()) > 1, 'the table is still there');
    const q = await h.call('listAccessPolicies', { token: ada, query: { role: "Reader' OR '1'='1" } });
    assert.equal(q.status, 200);
    assert.deepEqual((q.body as { items: unknown[] }).items, [], 'a filter value is a value, not SQL');
    const audit = await h.call('queryAudit', { token: ada, query: { actor: "x' OR 1=1 --" } });
    assert.deepEqual((audit.body as { items: unknown[] }).items, []);
  });

  test('break-glass principals and Warden itself are refused (403 naming the field), and audited', async () => {
    for (const principal of [BREAK_GLASS, WARDEN_MI]) {
      const seq = await h.auditHeadSeq();
      const count = await h.store.accessPolicies.count();
      const res = await h.call('putAccessPolicies', {
        token: ada,
        params: { id: 'ap-protected' },
        body: policyBody('ap-protected', { principal_id: principal, principal_type: 'User' }),
      });
      assert.equal(res.status, 403, res.text);
      assert.ok(['BREAK_GLASS', 'WARDEN_IDENTITY'].includes(problem(res).code));
      assert.deepEqual(fields(res), ['principal_id']);
      await rejectedWithoutChange(seq, count, ['principal_id']);
    }
    // Removing a break-glass principal from its managed scope is refused too.
    const scope = await h.call('getManagedScopes', { token: ada, params: { scope: RG.slice(1) } });
    assert.equal(scope.status, 200, scope.text);
    const body = { ...(scope.body as Record<string, unknown>), break_glass: [] };
    const res = await h.call('putManagedScopes', {
      token: ada,
      params: { scope: RG.slice(1) },
      body,
      headers: { 'if-match': scope.headers.etag! },
    });
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(fields(res), ['break_glass']);
  });

  test('managed scopes are addressed by ARM id; dot segments are refused', async () => {
    const bad = await h.call('getManagedScopes', { token: ada, params: { scope: `${RG.slice(1)}/../../x` } });
    assert.equal(bad.status, 400);
    assert.deepEqual(fields(bad), ['scope']);
    const missing = await h.call('getManagedScopes', {
      token: ada,
      params: { scope: `${SUB.slice(1)}/resourceGroups/none` },
    });
    assert.equal(missing.status, 404);
  });

  test('a privileged role is stored unapproved with a pending approval request and a notification', async () => {
    const res = await h.call('putAccessPolicies', {
      token: ada,
      params: { id: 'ap-owner' },
      body: policyBody('ap-owner', { role: 'Owner', principal_type: 'Group' }),
      headers: { 'x-correlation-id': 'corr-owner' },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal((res.body as { approved_by: unknown }).approved_by, null);
    const approvalId = res.headers['x-warden-approval'];
    assert.ok(approvalId);
    const approval = await h.store.approvals.require(approvalId);
    assert.equal(approval.decision, null);
    assert.equal(approval.target, 'access_policies/ap-owner');
    assert.equal(approval.requested_by, `${ADA} (Ada Lovelace)`);
    const n = h.notifications.find((x) => x.subject === `approvals/${approvalId}`);
    assert.equal(n?.type, 'Warden.Approval.Requested');
    assert.equal(n?.correlationId, 'corr-owner');
    const audited = await h.store.audit.list({ correlationId: 'corr-owner' });
    assert.deepEqual(audited.map((e) => e.action).sort(), ['access_policies.insert', 'approvals.insert']);
  });

  test('an exemption must be approved by someone other than its writer', async () => {
    const res = await h.call('putExemptions', {
      token: ada,
      params: { id: 'ex-self' },
      body: {
        id: 'ex-self',
        target: RG,
        kind: 'access',
        reason: 'migration',
        expires_at: '2027-01-01T00:00:00Z',
        approved_by: ADA,
      },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(fields(res), ['approved_by']);
  });

  test('a secret value in a secret reference is refused by its schema', async () => {
    const res = await h.call('putSecretReferences', {
      token: ada,
      params: { id: 'sr-leak' },
      body: {
        id: 'sr-leak',
        name: 'leak',
        vault_uri: 'https://kv-fraud-ml.vault.azure.net/',
        secret_name: 'leak',
        rotator: 'random',
        rotator_config: { password: 'hunter2' },
        interval_days: 30,
      },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(fields(res), ['rotator_config.password']);
    assert.ok(!res.text.includes('hunter2'), 'the value is not echoed');
    const last = (await h.auditAfter((await h.auditHeadSeq()) - 1))[0];
    assert.ok(!JSON.stringify(last).includes('hunter2'), 'nor audited');
  });
});
