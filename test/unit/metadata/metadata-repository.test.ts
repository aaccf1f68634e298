import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../../../shared/domain/errors';
import { METADATA_TABLE_NAMES, type MetadataTableName } from '../../../shared/domain/metadata/metadata-tables';
import { SAMPLE_CHANGES, SAMPLE_ROWS, sampleKey } from '../domain/metadata/sample-rows';
import { tempStore } from './store-fixture';

const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';

describe('optimistic concurrency, actor and audit on every metadata table', () => {
  const t = tempStore();
  after(() => t.cleanup());

  for (const table of METADATA_TABLE_NAMES) {
    test(table, async () => {
      const repo = t.store.table(table);
      const key = sampleKey(table);
      const input = SAMPLE_ROWS[table] as never;
      t.clock.set('2026-06-01T12:00:00Z');

      const created = await repo.upsert(input, { actor: ADA, reason: 'create', correlationId: 'c-1' });
      assert.equal(created.version, 1);
      assert.equal(created.updated_by, ADA);
      assert.equal(created.updated_at, '2026-06-01T12:00:00.000Z');

      await assert.rejects(
        repo.upsert(input, { actor: ADA }),
        (e: unknown) => e instanceof ConflictError && /already exists at version 1/.test(e.message),
      );

      t.clock.advance(60_000);
      const changed = { ...(input as object), ...SAMPLE_CHANGES[table] } as never;
      const updated = await repo.upsert(changed, { actor: GRACE, expectedVersion: 1 });
      assert.equal(updated.version, 2);
      assert.equal(updated.updated_by, GRACE);
      assert.equal(updated.created_at, created.created_at);
      assert.equal(updated.updated_at, '2026-06-01T12:01:00.000Z');

      const auditBefore = t.count('audit_log');
      const changesBefore = t.count('metadata_changes');
      // A stale version: nothing changes, nothing is audited or logged.
      await assert.rejects(
        repo.upsert(input, { actor: ADA, expectedVersion: 1 }),
        (e: unknown) => e instanceof PreconditionFailedError && e instanceof ConflictError && e.actualVersion === 2,
      );
      await assert.rejects(repo.delete(key, { actor: ADA, expectedVersion: 1 }), PreconditionFailedError);
      assert.deepEqual(await repo.get(key), updated);
      assert.equal(t.count('audit_log'), auditBefore);
      assert.equal(t.count('metadata_changes'), changesBefore);

      // Write back what was read: the record's own version is the expected version.
      const roundTrip = await repo.upsert(updated, { actor: ADA });
      assert.equal(roundTrip.version, 3);
      await assert.rejects(repo.upsert(updated, { actor: ADA }), PreconditionFailedError);

      const deleted = await repo.delete(key, {
        actor: GRACE,
        expectedVersion: 3,
        reason: 'cleanup',
        correlationId: 'c-9',
      });
      assert.equal(deleted.version, 3);
      assert.equal(await repo.get(key), undefined);
      await assert.rejects(repo.delete(key, { actor: GRACE, expectedVersion: 3 }), NotFoundError);
      await assert.rejects(repo.upsert(input, { actor: ADA, expectedVersion: 3 }), PreconditionFailedError);

      const audit = await t.store.audit.list({ target: `${table}/${key}` });
      assert.deepEqual(
        audit.map((e) => [e.action, e.actor]),
        [
          [`${table}.insert`, ADA],
          [`${table}.update`, GRACE],
          [`${table}.update`, ADA],
          [`${table}.delete`, GRACE],
        ],
      );
      const del = audit[3];
      assert.ok(del);
      assert.equal(del.reason, 'cleanup');
      assert.equal(del.correlation_id, 'c-9');
      assert.equal((del.before as { version: number }).version, 3);
      assert.equal(del.after, null);
      assert.equal(audit[0]?.correlation_id, 'c-1');
      assert.equal((audit[1]?.before as { version: number }).version, 1);
      assert.equal((audit[1]?.after as { version: number }).version, 2);
    });
  }
});

describe('bad input is rejected with field and problem; nothing written, no change logged', () => {
  const t = tempStore();
  after(() => t.cleanup());
  const cases: [MetadataTableName, Record<string, unknown>, string, RegExp][] = [
    ['access_policies', { scope: 'rg-fraud-ml' }, 'scope', /not an ARM resource id/],
    [
      'network_rules',
      { public_network_access: 'Enabled', allowed_ip_ranges: ['10.0.0.0/33'] },
      'allowed_ip_ranges.0',
      /prefix length/,
    ],
    ['access_policies', { expires_at: '2026-05-31T12:00:00Z' }, 'expires_at', /in the past/],
    ['exemptions', { expires_at: '2020-01-01T00:00:00Z' }, 'expires_at', /in the past/],
    ['alert_rules', { window: 'PT10M' }, 'window', /not a window Azure Monitor accepts/],
    ['alert_rules', { threshold: 'ninety percent' }, 'threshold', /must be a number/],
    ['secret_references', { rotator: 'vault-magic' }, 'rotator', /not a known rotator/],
  ];
  for (const [table, patch, field, problem] of cases) {
    test(`${table}.${field} ${JSON.stringify(patch[field.split('.')[0] ?? ''])}`, async () => {
      const input = { ...(SAMPLE_ROWS[table] as object), ...patch } as never;
      await assert.rejects(t.store.table(table).upsert(input, { actor: ADA }), (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.ok(e.message.includes(field), e.message);
        assert.match(e.issues.find((i) => i.path === field)?.message ?? '', problem);
        return true;
      });
      assert.equal(t.count(table), 0);
      assert.equal(t.count('metadata_changes'), 0);
      assert.equal(t.count('audit_log'), 0);
    });
  }

  test('an update with a bad field leaves the stored row as it was', async () => {
    const row = await t.store.accessPolicies.upsert(SAMPLE_ROWS.access_policies, { actor: ADA });
    const changes = t.count('metadata_changes');
    await assert.rejects(t.store.accessPolicies.upsert({ ...row, role: 'Owner!' }, { actor: ADA }), /role/);
    assert.deepEqual(await t.store.accessPolicies.get(row.id), row);
    assert.equal(t.count('metadata_changes'), changes);
  });

  test('an empty actor is refused', async () => {
    await assert.rejects(t.store.models.upsert(SAMPLE_ROWS.models, { actor: '' }), /actor: must not be empty/);
    assert.equal(t.count('models'), 0);
  });
});

describe('due times computed on write, and list filters', () => {
  const t = tempStore();
  after(() => t.cleanup());

  test('secret reference: next_rotation_at and next_notice_at from the clock, interval and vault expiry', async () => {
    const sr = await t.store.secretReferences.upsert(SAMPLE_ROWS.secret_references, { actor: ADA });
    assert.equal(sr.next_rotation_at, '2026-07-01T12:00:00.000Z');
    assert.equal(sr.next_notice_at, '2026-06-24T12:00:00.000Z');
    t.clock.advance(24 * 3600_000);
    const rotated = await t.store.secretReferences.upsert(
      {
        ...sr,
        last_rotated_at: '2026-06-02T12:00:00Z',
        current_expires_at: '2026-06-20T00:00:00Z',
        current_version: 'a'.repeat(32),
      },
      { actor: 'warden' },
    );
    assert.equal(rotated.next_rotation_at, '2026-06-19T00:00:00.000Z', 'the earlier vault expiry wins');
    assert.equal(rotated.next_notice_at, '2026-06-12T00:00:00.000Z');
    const due = await t.store.secretReferences.list({
      dueBy: { field: 'next_rotation_at', at: '2026-06-19T00:00:00Z' },
    });
    assert.deepEqual(
      due.map((r) => r.id),
      [sr.id],
    );
    assert.deepEqual(
      await t.store.secretReferences.list({ dueBy: { field: 'next_rotation_at', at: '2026-06-18T00:00:00Z' } }),
      [],
    );
  });

  test('model: next_check_at set when quarantined, cleared when released', async () => {
    const m = await t.store.models.upsert(SAMPLE_ROWS.models, { actor: ADA });
    assert.equal(m.next_check_at, null);
    const q = await t.store.models.upsert({ ...m, stage: 'Quarantined' } as never, { actor: 'warden' });
    assert.equal(q.next_check_at, '2026-06-02T13:00:00.000Z');
    const r = await t.store.models.upsert({ ...q, stage: 'Production', next_check_at: null } as never, { actor: ADA });
    assert.equal(r.next_check_at, null);
  });

  test('list filter openOrSince: rows whose time column is unset or not earlier than the given time', async () => {
    const decided = (id: string, at: string) => ({
      ...SAMPLE_ROWS.approvals,
      id,
      decision: 'approved' as const,
      decided_by: GRACE,
      decided_at: at,
    });
    await t.store.approvals.upsert({ ...SAMPLE_ROWS.approvals, id: 'apr-open' }, { actor: ADA });
    await t.store.approvals.upsert(decided('apr-old', '2026-01-02T00:00:00.000Z'), { actor: ADA });
    await t.store.approvals.upsert(decided('apr-recent', '2026-05-31T00:00:00.000Z'), { actor: ADA });
    await t.store.approvals.upsert(decided('apr-edge', '2026-05-01T00:00:00.000Z'), { actor: ADA });
    assert.deepEqual(
      (
        await t.store.approvals.list({
          where: { kind: 'access' },
          openOrSince: { field: 'decided_at', at: '2026-05-01T00:00:00.000Z' },
        })
      ).map((r) => r.id),
      ['apr-edge', 'apr-open', 'apr-recent'],
    );
    await assert.rejects(
      t.store.approvals.list({ openOrSince: { field: 'no_such_column' as 'decided_at', at: '' } }),
      /no_such_column/,
    );
  });

  test('list filters by column equality (booleans and nulls included) and refuses unknown columns', async () => {
    await t.store.accessPolicies.upsert(SAMPLE_ROWS.access_policies, { actor: ADA });
    await t.store.accessPolicies.upsert(
      { ...SAMPLE_ROWS.access_policies, id: 'ap-2', enabled: false, data_access: null },
      { actor: ADA },
    );
    assert.deepEqual(
      (await t.store.accessPolicies.list()).map((r) => r.id),
      ['ap-2', 'ap-ds-fraud-inference'],
    );
    assert.deepEqual(
      (await t.store.accessPolicies.list({ where: { enabled: false } })).map((r) => r.id),
      ['ap-2'],
    );
    assert.deepEqual(
      (await t.store.accessPolicies.list({ where: { data_access: null } })).map((r) => r.id),
      ['ap-2'],
    );
    assert.deepEqual(
      (await t.store.accessPolicies.list({ limit: 1 })).map((r) => r.id),
      ['ap-2'],
    );
    assert.deepEqual(
      (await t.store.accessPolicies.list({ after: 'ap-2', limit: 1 })).map((r) => r.id),
      ['ap-ds-fraud-inference'],
    );
    await assert.rejects(t.store.accessPolicies.list({ where: { 'id; drop table x': 1 } as never }), /not a column/);
  });
});
