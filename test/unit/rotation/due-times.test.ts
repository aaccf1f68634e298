/**
 * Due times of secret references as the metadata store computes them on every write (interval vs vault expiry, no
 * expiry, boundaries), including the write a rotation makes when it records the new version.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { fixedClock } from '../../../shared/domain/clock';
import {
  nextNoticeAt,
  nextRotationAt,
  ROTATION_LEAD_BEFORE_EXPIRY_MS,
} from '../../../shared/domain/metadata/due-times';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';

const T0 = '2026-01-01T00:00:00.000Z';
const base = { interval_days: 30, last_rotated_at: null, created_at: T0, current_expires_at: null, status: 'active' };

describe('nextRotationAt / nextNoticeAt', () => {
  test('interval only (no expiry): interval_days after the last rotation, else after creation', () => {
    assert.equal(nextRotationAt(base), '2026-01-31T00:00:00.000Z');
    assert.equal(nextRotationAt({ ...base, last_rotated_at: '2026-01-10T08:00:00.000Z' }), '2026-02-09T08:00:00.000Z');
  });

  test('expiry vs interval: the earlier wins; equal at the boundary', () => {
    // Expiry exactly one lead after the interval's due time: both give the same instant.
    const boundary = new Date(Date.parse('2026-01-31T00:00:00.000Z') + ROTATION_LEAD_BEFORE_EXPIRY_MS).toISOString();
    assert.equal(nextRotationAt({ ...base, current_expires_at: boundary }), '2026-01-31T00:00:00.000Z');
    const oneMsEarlier = new Date(Date.parse(boundary) - 1).toISOString();
    assert.equal(nextRotationAt({ ...base, current_expires_at: oneMsEarlier }), '2026-01-30T23:59:59.999Z');
    const oneMsLater = new Date(Date.parse(boundary) + 1).toISOString();
    assert.equal(nextRotationAt({ ...base, current_expires_at: oneMsLater }), '2026-01-31T00:00:00.000Z');
  });

  test('an already expired version is due at once (in the past); disabled never; notice boundaries', () => {
    assert.ok(nextRotationAt({ ...base, current_expires_at: '2025-12-01T00:00:00.000Z' })! < T0);
    assert.equal(nextRotationAt({ ...base, status: 'disabled', current_expires_at: T0 }), null);
    assert.equal(nextNoticeAt('2026-01-31T00:00:00.000Z', 1), '2026-01-30T00:00:00.000Z');
    assert.equal(nextNoticeAt('2026-01-31T00:00:00.000Z', 0), null, 'no notice when notify_before_days is 0');
  });
});

describe('computed by the store on write', () => {
  let dir: string;
  let store: MetadataStore;
  const clock = fixedClock(T0);
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-due-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'metadata.db'), clock });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('insert, then a rotation records a version that expires before the interval is over', async () => {
    const row = await store.secretReferences.upsert(
      {
        id: 'sr-due',
        name: 'due',
        vault_uri: 'https://kv-fraud-ml.vault.azure.net/',
        secret_name: 'due',
        rotator: 'random',
        rotator_config: {},
        interval_days: 30,
        notify_before_days: 7,
      },
      { actor: 't' },
    );
    assert.equal(row.next_rotation_at, '2026-01-31T00:00:00.000Z');
    assert.equal(row.next_notice_at, '2026-01-24T00:00:00.000Z');
    clock.set('2026-01-31T00:00:00.000Z');
    const { version, ...fields } = row;
    const rotated = await store.secretReferences.upsert(
      { ...fields, last_rotated_at: clock.now().toISOString(), current_expires_at: '2026-02-15T00:00:00.000Z' },
      { actor: 't', expectedVersion: version },
    );
    assert.equal(rotated.next_rotation_at, '2026-02-14T00:00:00.000Z', 'a day before the version expires');
    assert.equal(rotated.next_notice_at, '2026-02-07T00:00:00.000Z');
  });
});
