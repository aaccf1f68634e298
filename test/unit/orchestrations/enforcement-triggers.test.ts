import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { fixedClock } from '../../../shared/domain/clock';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { readDemoWorld, seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { enforceNetworkInstanceId, reconcileAccessInstanceId } from '../../../shared/orchestrations/catalog';
import { handleResourceEvent, sweepEnforcement } from '../../../shared/orchestrations/enforcement-triggers';
import { handleMetadataChange } from '../../../shared/orchestrations/metadata-change-trigger';
import type { OrchestrationClient } from '../../../shared/orchestrations/orchestration-client';
import { RG, STORAGE } from '../../fixtures/access/access-fixtures';

describe('enforcement triggers (event handler, sweep)', () => {
  let store: MetadataStore;
  let dir: string;
  const started: { name: string; instanceId: string; input: unknown }[] = [];
  const client: OrchestrationClient = {
    getStatus: () => Promise.resolve(undefined),
    startNew: (name, o) => {
      started.push({ name, ...o });
      return Promise.resolve(o.instanceId);
    },
    raiseEvent: () => Promise.resolve(),
  };
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-trig-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'm.db'), clock: fixedClock('2026-11-25T12:00:00Z') });
    await seedDemoWorld(store, readDemoWorld(findRepoRoot(__dirname)));
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const event = (id: string, resourceUri: string, operationName: string) => ({
    id,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    subject: resourceUri,
    data: { resourceUri, operationName },
  });

  test('an out-of-band role assignment starts reconcileAccess once, however often it is delivered', async () => {
    started.length = 0;
    const ev = event(
      'e-1',
      `${RG}/providers/Microsoft.Authorization/roleAssignments/13b3a5c9-8a49-4739-852c-fd0d71ad6f11`,
      'Microsoft.Authorization/roleAssignments/write',
    );
    const first = await handleResourceEvent(store, client, ev);
    assert.equal(first.handled, 'started');
    assert.deepEqual(await handleResourceEvent(store, client, ev), { handled: 'duplicate' });
    assert.deepEqual(await handleResourceEvent(store, client, ev), { handled: 'duplicate' });
    assert.equal(started.length, 1);
    assert.equal(started[0]?.instanceId, reconcileAccessInstanceId(RG));
    assert.equal((started[0]?.input as { requestedBy: string }).requestedBy, 'warden (event e-1)');
  });

  test('a start that fails gives the receipt back, so the redelivery Event Grid makes is processed', async () => {
    started.length = 0;
    let fail = true;
    const flaky: OrchestrationClient = {
      ...client,
      startNew: (name, o) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('durable extension unreachable'));
        }
        return client.startNew(name, o);
      },
    };
    const ev = event(
      'e-flaky',
      `${RG}/providers/Microsoft.Authorization/roleAssignments/0b7e3d9c-64a4-4b36-9a53-0d1f8d6e2a11`,
      'Microsoft.Authorization/roleAssignments/write',
    );
    await assert.rejects(handleResourceEvent(store, flaky, ev), /unreachable/);
    assert.equal((await handleResourceEvent(store, flaky, ev)).handled, 'started');
    assert.deepEqual(await handleResourceEvent(store, flaky, ev), { handled: 'duplicate' });
    assert.equal(started.length, 1);
  });

  test('a write on the raw-data account starts enforceNetwork; an ungoverned resource is dismissed cheaply', async () => {
    started.length = 0;
    assert.equal(
      (await handleResourceEvent(store, client, event('e-2', STORAGE, 'Microsoft.Storage/storageAccounts/write')))
        .handled,
      'started',
    );
    assert.equal(started[0]?.instanceId, enforceNetworkInstanceId(STORAGE));
    const sql = `${RG}/providers/Microsoft.Sql/servers/sql-onprem-mirror`;
    const r = await handleResourceEvent(store, client, event('e-3', sql, 'Microsoft.Sql/servers/write'));
    assert.equal(r.handled, 'dismissed');
    assert.equal(started.length, 1);
  });

  test("Warden's own role assignment delete is dismissed with the reason, starts nothing and takes no receipt", async () => {
    started.length = 0;
    const WARDEN = '6872bbc9-1627-441e-a611-7ce540632cfe';
    const id = `${RG}/providers/Microsoft.Authorization/roleAssignments/5e0a2a6b-1c1f-4f55-9d7e-1d7c3f7b1a01`;
    const own = {
      id: 'e-own-1',
      eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
      subject: id,
      data: {
        resourceUri: id,
        operationName: 'Microsoft.Authorization/roleAssignments/delete',
        claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': WARDEN },
      },
    };
    const r = await handleResourceEvent(store, client, own, { wardenPrincipalIds: [WARDEN] });
    assert.equal(r.handled, 'dismissed');
    assert.match((r as { reason: string }).reason, /by Warden's own identity/);
    assert.equal(started.length, 0);
    // the same event from someone else (or with no principal ids configured) reconciles
    const other = {
      ...own,
      id: 'e-own-2',
      data: { ...own.data, claims: { oid: 'c1d2e3f4-0000-4000-8000-000000000001' } },
    };
    assert.equal(
      (await handleResourceEvent(store, client, other, { wardenPrincipalIds: [WARDEN] })).handled,
      'started',
    );
    assert.equal((await handleResourceEvent(store, client, own)).handled, 'started');
    assert.equal(started.length, 2);
    assert.equal(started[0]?.instanceId, reconcileAccessInstanceId(RG));
  });

  test('bad events are recorded as poison with their reason, never thrown, never acted on', async () => {
    started.length = 0;
    assert.equal((await handleResourceEvent(store, client, { eventType: 'x' })).handled, 'invalid');
    const noSubject = await handleResourceEvent(store, client, {
      id: 'e-4',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      data: {},
    });
    assert.equal(noSubject.handled, 'invalid');
    assert.equal((await handleResourceEvent(store, client, event('e-5', 'https://x', 'w'))).handled, 'invalid');
    assert.equal(
      (await handleResourceEvent(store, client, { ...event('e-6', STORAGE, 'w'), eventType: 'Contoso.Thing' })).handled,
      'dismissed',
    );
    const poison = await store.events.listPoison();
    assert.ok(poison.some((p) => p.messageId === 'e-4' && /names no resource/.test(p.reason)));
    assert.ok(poison.some((p) => p.messageId === null && /no id/.test(p.reason)));
    assert.equal(started.length, 0);
  });

  test('the sweep starts every managed scope and every governed resource once', async () => {
    started.length = 0;
    const r = await sweepEnforcement(store, client, new Date('2026-11-25T12:01:00Z'));
    assert.deepEqual(
      r.access.map((s) => s.instanceId),
      [reconcileAccessInstanceId(RG)],
    );
    assert.equal(r.network.length, 2);
    assert.ok(started.every((s) => (s.input as { requestedBy: string }).requestedBy === 'warden (sweep)'));
  });
});

describe('metadata change trigger', () => {
  let store: MetadataStore;
  let dir: string;
  const started: { name: string; instanceId: string; input: { requestedBy: string } }[] = [];
  const client: OrchestrationClient = {
    getStatus: () => Promise.resolve(undefined),
    startNew: (name, o) => {
      started.push({ name, instanceId: o.instanceId, input: o.input as { requestedBy: string } });
      return Promise.resolve(o.instanceId);
    },
    raiseEvent: () => Promise.resolve(),
  };
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-chg-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'm.db'), clock: fixedClock('2026-11-25T12:00:00Z') });
    await seedDemoWorld(store, readDemoWorld(findRepoRoot(__dirname)));
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an inserted policy reconciles its managed scope on behalf of the row’s writer', async () => {
    started.length = 0;
    await store.accessPolicies.upsert(
      {
        id: 'ap-grace-reader',
        principal_id: 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d',
        principal_type: 'User',
        role: 'Reader',
        scope: `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`,
        justification: 'audit',
      },
      { actor: 'ada (6690be11-5387-4f81-9be0-9eba69a0dd12)' },
    );
    const r = await handleMetadataChange(store, client, {
      table: 'access_policies',
      key: 'ap-grace-reader',
      correlationId: 'c1',
    });
    assert.equal(r.note, null);
    assert.deepEqual(
      started.map((s) => [s.instanceId, s.input.requestedBy]),
      [[reconcileAccessInstanceId(RG), 'ada (6690be11-5387-4f81-9be0-9eba69a0dd12)']],
    );
  });

  test('a deleted policy sweeps (its grant must go); a changed network rule enforces its resource', async () => {
    started.length = 0;
    const del = await handleMetadataChange(store, client, {
      table: 'access_policies',
      key: 'ap-gone',
      correlationId: 'c2',
    });
    assert.match(del.note ?? '', /deleted/);
    assert.equal(del.started.length, 3, 'one scope and two governed resources');
    started.length = 0;
    const nr = await handleMetadataChange(store, client, {
      table: 'network_rules',
      key: 'nr-stfraudraw',
      correlationId: 'c3',
    });
    assert.equal(nr.started[0]?.instanceId, enforceNetworkInstanceId(STORAGE));
    assert.equal(started[0]?.input.requestedBy, 'demo-seed');
  });

  test('an access exemption reconciles the scopes it touches; other tables and unknown keys start nothing they should not', async () => {
    started.length = 0;
    await store.exemptions.upsert(
      {
        id: 'ex-1',
        target: RG,
        kind: 'access',
        reason: 'migration',
        expires_at: '2026-11-26T00:00:00Z',
        approved_by: 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d',
      },
      { actor: 'ada' },
    );
    const ex = await handleMetadataChange(store, client, { table: 'exemptions', key: 'ex-1', correlationId: 'c4' });
    assert.equal(ex.started[0]?.instanceId, reconcileAccessInstanceId(RG));
    assert.match(
      (await handleMetadataChange(store, client, { table: 'models', key: 'm', correlationId: 'c5' })).note ?? '',
      /not enforcement's/,
    );
    assert.match(
      (await handleMetadataChange(store, client, { table: 'managed_scopes', key: `${RG}2`, correlationId: 'c6' }))
        .note ?? '',
      /no longer managed/,
    );
    assert.match(
      (await handleMetadataChange(store, client, { table: 'network_rules', key: 'nr-x', correlationId: 'c7' })).note ??
        '',
      /deleted/,
    );
  });
});
