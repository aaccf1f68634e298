// End to end: the emulator (ARM, Entra, Event Grid system topic subscribed to the runtime's webhook) and the local
// runtime running the real app (functions/index.ts) as a child process trusting the emulator's CA. One stack is
// shared by the scenarios; each uses its own principals or resources.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { freePort, type NodeChild } from '../../../lib/node-child';
import { openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { startAppRuntime, WARDEN_MI } from '../../support/app-runtime';
import { settleRuns, waitUntil } from '../../support/e2e-wait';
import { type ApiAnswer, type ApiCallOptions, callApi, mintApiTokens } from '../../support/warden-api-client';

const SUB = '748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml`;
const RAW = `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const BREAK_GLASS = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';
const MALLORY = 'bf92cd29-2eee-4e3b-9d96-85a7d1118887';
const PIPELINE_SP = 'a35e1e22-b578-47e3-ab2a-efc3f7322b15';
const DATA_SCIENTISTS = '95d764b4-de42-46a3-bb72-8b382714c04a';
const OWNER_GUID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const READER_GUID = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const NETWORK_ENFORCER_GUID = 'f96d3e34-f8a0-421e-80ea-f4e3ee81d442';

interface Assignment {
  id?: string;
  name?: string;
  scope?: string;
  principalId?: string;
  roleDefinitionId?: string;
  properties?: { scope?: string; principalId?: string; roleDefinitionId?: string };
}

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  target: string;
  after: string | null;
  reason: string | null;
}

describe('enforcement end to end: emulator ARM + Event Grid, local runtime running the app', () => {
  const root = findRepoRoot(__dirname);
  const build = path.resolve(__dirname, '..', '..', '..');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-enforcement-e2e-'));
  const db = path.join(tmp, 'metadata.db');
  let emulator: RunningEmulator;
  let runtime: NodeChild | undefined;
  let base = '';
  let output: string[] = [];
  const tokens: Record<string, string> = {};
  let audit: DatabaseSync;
  let webhook = '';

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      stateDir: path.join(tmp, 'emulator'),
      world: path.join(root, 'demo', 'world.json'),
      pollIntervalMs: 50,
      deferDrifts: true,
      log: () => undefined,
    });
    const store = openSqliteMetadataStore({ file: db });
    await seedDemoWorld(store, JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')));
    await store.close();
    Object.assign(tokens, await mintApiTokens(emulator, { ada: ADA, grace: GRACE }));

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const stateDir = path.join(tmp, 'runtime');
    runtime = await startAppRuntime({
      emulator,
      root,
      build,
      port,
      stateDir,
      noSettingsFile: path.join(tmp, 'no-local-settings.json'),
      metadataDb: db,
      taskHub: 'wardene2e',
      env: {
        WARDEN_NOTIFIER: 'none',
        WARDEN_CLOCK_FILE: path.join(tmp, 'clock.json'),
        // The fight detector as the issue states it: the same drift re-applied five times within a minute.
        WARDEN_BREAKER_MAX_REVERTS: '5',
        // A small blast radius, so scenario (d) needs three deletes (every other scenario plans one at a time).
        WARDEN_BLAST_MAX_DELETES: '2',
        WARDEN_BREAKER_WINDOW_MINUTES: '1',
      },
    });
    output = runtime.output;
    // The ARM events of the subscription → the app's Event Grid function (as infra/event-subscriptions.json says).
    const keys = JSON.parse(readFileSync(path.join(stateDir, 'keys.json'), 'utf8')) as {
      systemKeys: { eventgrid_extension: string };
    };
    const spec = (
      JSON.parse(readFileSync(path.join(root, 'infra', 'event-subscriptions.json'), 'utf8')) as {
        subscriptions: { name: string; function: string; topic: string; includedEventTypes: string[] }[];
      }
    ).subscriptions[0]!;
    webhook = `${base}/runtime/webhooks/eventgrid?functionName=onResourceEvent&code=${encodeURIComponent(keys.systemKeys.eventgrid_extension)}`;
    const sub = await emulator.admin('PUT', `/admin/eventgrid/subscriptions/${spec.name}`, {
      topic: spec.topic.replace('{subscriptionId}', SUB),
      endpointUrl: `${base}/runtime/webhooks/eventgrid?functionName=${spec.function}&code=${encodeURIComponent(keys.systemKeys.eventgrid_extension)}`,
      includedEventTypes: spec.includedEventTypes,
    });
    assert.ok(sub.status < 300, JSON.stringify(sub.body));
    audit = new DatabaseSync(db, { readOnly: true });
    // The seeded rows' changes reach the SQL triggers at start-up (on behalf of the seed): let their runs finish
    // first, so each scenario's runs are its own.
    const seeded = ['managed_scopes', 'access_policies', 'network_rules'];
    await waitFor('the seed changes handled', () =>
      seeded.every((t) =>
        output.join('').includes(`\\"event\\":\\"enforcement.metadata-change\\",\\"table\\":\\"${t}\\"`),
      )
        ? true
        : undefined,
    );
    await settle();
  });

  after(async () => {
    if (process.env.WARDEN_E2E_LOG)
      (await import('node:fs')).writeFileSync(process.env.WARDEN_E2E_LOG, output.join(''));
    audit?.close();
    await runtime?.stop();
    await emulator?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const api = (method: string, p: string, o: ApiCallOptions = {}): Promise<ApiAnswer> => callApi(base, method, p, o);

  const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000) =>
    waitUntil(what, probe, ms, () => output.join(''));

  /** Until no remediation runs (a run busy when a row changes plans the change itself, on its requester's behalf). */
  const settle = (): Promise<void> => settleRuns(base, tokens.ada!, () => output.join(''));

  function maxSeq(): number {
    return (audit.prepare('SELECT max(seq) AS m FROM audit_log').get() as { m: number | null }).m ?? 0;
  }

  async function assignmentsAt(scope: string): Promise<{ name: string; principalId: string; role: string }[]> {
    const r = await emulator.admin('GET', '/admin/arm/role-assignments');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const body = r.body as Assignment[] | { value?: Assignment[]; items?: Assignment[] };
    const list = Array.isArray(body) ? body : (body.value ?? body.items ?? []);
    return list
      .map((a) => ({
        name: a.name ?? a.id?.split('/').pop() ?? '',
        scope: a.properties?.scope ?? a.scope ?? '',
        principalId: a.properties?.principalId ?? a.principalId ?? '',
        role: (a.properties?.roleDefinitionId ?? a.roleDefinitionId ?? '').split('/').pop() ?? '',
      }))
      .filter((a) => a.scope.toLowerCase() === scope.toLowerCase());
  }

  function auditRows(where: string, ...args: (string | number)[]): AuditRow[] {
    return audit
      .prepare(`SELECT seq, actor, action, target, after, reason FROM audit_log WHERE ${where} ORDER BY seq`)
      .all(...args) as unknown as AuditRow[];
  }

  async function publicAccess(): Promise<string | undefined> {
    const r = await emulator.admin('GET', '/admin/arm/resources?type=Microsoft.Storage/storageAccounts');
    const list = r.body as { id: string; properties?: { publicNetworkAccess?: string } }[] | { value: [] };
    const items = Array.isArray(list) ? list : (list.value ?? []);
    return (items as { id: string; properties?: { publicNetworkAccess?: string } }[]).find(
      (x) => x.id.toLowerCase() === RAW.toLowerCase(),
    )?.properties?.publicNetworkAccess;
  }

  test('(c) public network access enabled on the raw-data storage account → disabled again', async () => {
    const r = await emulator.admin('POST', '/admin/arm/resources/public-network-access', {
      resourceId: RAW,
      value: 'Enabled',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    assert.equal(await publicAccess(), 'Enabled');
    await waitFor('public network access disabled again', async () => (await publicAccess()) === 'Disabled');
    await waitFor('the revert audited', () =>
      auditRows(`action = 'network.step.applied' AND lower(target) = lower(?)`, RAW).length > 0 ? true : undefined,
    );
  });

  test('(b) out-of-band Owner on the exclusive scope → Event Grid → removed and audited; break-glass untouched', async () => {
    const before = await assignmentsAt(RG);
    const breakGlass = before.filter((a) => a.principalId === BREAK_GLASS);
    const r = await emulator.admin('POST', '/admin/arm/role-assignments', {
      scope: RG,
      principalId: MALLORY,
      role: 'Owner',
      principalType: 'User',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    assert.ok((await assignmentsAt(RG)).some((a) => a.principalId === MALLORY && a.role === OWNER_GUID));
    await waitFor('the Owner grant removed', async () =>
      (await assignmentsAt(RG)).every((a) => a.principalId !== MALLORY) ? true : undefined,
    );
    const deleted = auditRows(`action = 'access.step.applied' AND target = ? AND after LIKE ?`, RG, `%${MALLORY}%`);
    assert.ok(deleted.length >= 1, 'the removal is audited');
    assert.deepEqual(
      (await assignmentsAt(RG)).filter((a) => a.principalId === BREAK_GLASS),
      breakGlass,
      'break-glass untouched',
    );
  });

  test('(a) a policy row inserted through the API → the role assignment appears, audited with the row’s actor', async () => {
    await settle();
    const created = await api('PUT', 'metadata/access_policies/ap-e2e-pipeline-reader', {
      token: tokens.ada,
      body: {
        principal_id: PIPELINE_SP,
        principal_type: 'ServicePrincipal',
        role: 'Reader',
        scope: RG,
        justification: 'Enforcement end-to-end test',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { updated_by: actor } = audit
      .prepare('SELECT updated_by FROM access_policies WHERE id = ?')
      .get('ap-e2e-pipeline-reader') as { updated_by: string };
    await waitFor('the Reader assignment for the pipeline', async () =>
      (await assignmentsAt(RG)).some((a) => a.principalId === PIPELINE_SP && a.role !== OWNER_GUID) ? true : undefined,
    );
    const entries = await waitFor('the audited create', () => {
      const rows = auditRows(`action = 'access.step.applied' AND target = ? AND after LIKE ?`, RG, `%${PIPELINE_SP}%`);
      return rows.length > 0 ? rows : undefined;
    });
    assert.deepEqual(
      entries.map((e) => e.actor),
      [actor],
      `the create is audited once, on behalf of the row's writer: ${JSON.stringify(entries)}`,
    );
  });

  test('(e) the same event three times and out of order changes the world once', async () => {
    // A second out-of-band grant; its event is replayed three times, and an older event for the scope after it.
    const r = await emulator.admin('POST', '/admin/arm/role-assignments', {
      scope: RG,
      principalId: DATA_SCIENTISTS,
      role: 'Owner',
      principalType: 'Group',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    const name = (r.body as { name?: string; id?: string }).name ?? (r.body as { id: string }).id.split('/').pop()!;
    const id = 'e2e-dup-event-1';
    const event = {
      id,
      topic: `/subscriptions/${SUB}`,
      subject: `${RG}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      eventTime: new Date().toISOString(),
      data: {
        resourceUri: `${RG}/providers/Microsoft.Authorization/roleAssignments/${name}`,
        operationName: 'Microsoft.Authorization/roleAssignments/write',
        status: 'Succeeded',
      },
      dataVersion: '',
    };
    const older = { ...event, id: 'e2e-dup-event-0', eventTime: new Date(Date.now() - 60_000).toISOString() };
    for (const e of [event, event, older, event]) {
      const p = await emulator.admin('POST', '/admin/eventgrid/events', [e]);
      assert.ok(p.status < 300, JSON.stringify(p.body));
    }
    await waitFor('the duplicated grant removed', async () =>
      (await assignmentsAt(RG)).every((a) => !(a.principalId === DATA_SCIENTISTS && a.role === OWNER_GUID))
        ? true
        : undefined,
    );
    // Give any extra run the chance to show itself, then count: exactly one delete of that assignment.
    await settle();
    const deletes = auditRows(
      `action = 'access.step.applied' AND target = ? AND after LIKE ? AND after LIKE '%"delete"%'`,
      RG,
      `%${name}%`,
    );
    assert.equal(deletes.length, 1, JSON.stringify(deletes));
  });

  test('(i) a policy for Owner is stored but granted only after a second operator approves', async () => {
    await settle();
    const created = await api('PUT', 'metadata/access_policies/ap-e2e-pipeline-owner', {
      token: tokens.ada,
      body: {
        principal_id: PIPELINE_SP,
        principal_type: 'ServicePrincipal',
        role: 'Owner',
        scope: RG,
        justification: 'Enforcement end-to-end test: a privileged grant',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const approvalId = created.headers.get('x-warden-approval');
    assert.ok(approvalId, 'a privileged policy waits for an approval');
    const ownerOfPipeline = async () =>
      (await assignmentsAt(RG)).some((a) => a.principalId === PIPELINE_SP && a.role === OWNER_GUID);
    // The change's run plans the grant as waiting for the approval and grants nothing.
    await waitFor('the stored policy planned as awaiting approval', async () => {
      const dry = await api('POST', 'access/reconcile?dryRun=true', { token: tokens.ada, body: { scope: RG } });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      const steps = (dry.body as { plan: { steps: { policyId: string | null; gate?: string }[] } }).plan.steps;
      return steps.some((x) => x.policyId === 'ap-e2e-pipeline-owner') ? true : undefined;
    });
    await settle();
    assert.equal(await ownerOfPipeline(), false, 'not granted before the approval');
    const selfApproval = await api('POST', `approvals/${approvalId}/approve`, {
      token: tokens.ada,
      body: { comment: 'my own' },
    });
    assert.equal(selfApproval.status, 403, JSON.stringify(selfApproval.body));
    const approved = await api('POST', `approvals/${approvalId}/approve`, {
      token: tokens.grace,
      body: { comment: 'reviewed' },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await waitFor('the Owner grant after the approval', async () => ((await ownerOfPipeline()) ? true : undefined));
    const again = await api('POST', `approvals/${approvalId}/approve`, { token: tokens.grace, body: { comment: 'x' } });
    assert.ok(again.status === 409 || again.status === 400, `a finished request: ${again.status}`);
  });

  test('(f) Warden lacking a right → the step is refused and audited, the run ends (no endless retry)', async () => {
    await settle();
    const enforcer = (await assignmentsAt(RG)).find(
      (a) => a.principalId === WARDEN_MI && a.role === NETWORK_ENFORCER_GUID,
    );
    assert.ok(enforcer, 'Warden holds Warden Network Enforcer on the resource group');
    const removed = await emulator.admin('DELETE', `/admin/arm/role-assignments/${enforcer.name}`);
    assert.ok(removed.status < 300, JSON.stringify(removed.body));
    // Warden holds no broad read of its own (least privilege): a Reader on the account lets the run read and plan,
    // so it is the write that is refused.
    const reader = await emulator.admin('POST', '/admin/arm/role-assignments', {
      scope: RAW,
      principalId: WARDEN_MI,
      role: 'Reader',
      principalType: 'ServicePrincipal',
    });
    assert.ok(reader.status < 300, JSON.stringify(reader.body));
    try {
      const mark = maxSeq();
      const r = await emulator.admin('POST', '/admin/arm/resources/public-network-access', {
        resourceId: RAW,
        value: 'Enabled',
      });
      assert.ok(r.status < 300, JSON.stringify(r.body));
      const refused = await waitFor('the refused step audited', () => {
        const rows = auditRows(`action = 'network.step.refused' AND lower(target) = lower(?) AND seq > ?`, RAW, mark);
        return rows.length > 0 ? rows : undefined;
      });
      assert.match(refused[0]!.reason ?? '', /refused/);
      await settle();
      assert.equal(await publicAccess(), 'Enabled', 'nothing changed without the right');
      // One refusal per run: the run finished instead of retrying the 403.
      assert.ok(
        auditRows(`action = 'network.step.refused' AND lower(target) = lower(?) AND seq > ?`, RAW, mark).length <= 2,
      );
      const failed = await api('GET', 'orchestrations?runtimeStatus=Failed', { token: tokens.ada });
      assert.equal((failed.body as { items: unknown[] }).items.length, 0, JSON.stringify(failed.body));
    } finally {
      const dropped = await emulator.admin(
        'DELETE',
        `/admin/arm/role-assignments/${(reader.body as { name: string }).name}`,
      );
      assert.ok(dropped.status < 300, JSON.stringify(dropped.body));
      const back = await emulator.admin('POST', '/admin/arm/role-assignments', {
        scope: RG,
        principalId: WARDEN_MI,
        role: 'Warden Network Enforcer',
        principalType: 'ServicePrincipal',
      });
      assert.ok(back.status < 300, JSON.stringify(back.body));
    }
    const again = await api('POST', 'network/enforce', { token: tokens.ada, body: { resourceId: RAW } });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await waitFor('public access disabled once the right is back', async () =>
      (await publicAccess()) === 'Disabled' ? true : undefined,
    );
  });

  test('(h) a drift re-applied five times in a minute trips the fight detector', async () => {
    await settle();
    const grant = async () => {
      const r = await emulator.admin('POST', '/admin/arm/role-assignments', {
        scope: RG,
        principalId: GRACE,
        role: 'Reader',
        principalType: 'User',
      });
      assert.ok(r.status < 300, JSON.stringify(r.body));
    };
    const graceReader = async () =>
      (await assignmentsAt(RG)).some((a) => a.principalId === GRACE && a.role === READER_GUID);
    for (let i = 0; i < 5; i++) {
      await grant();
      await waitFor(`revert ${i + 1}`, async () => ((await graceReader()) ? undefined : true));
    }
    const mark = maxSeq();
    await grant();
    await waitFor('the fight recorded for approval', async () => {
      const pending = await api('GET', 'approvals?state=pending', { token: tokens.ada });
      const items = (pending.body as { items: { target: string; plan: unknown }[] }).items;
      return items.some((a) => a.target === RG && JSON.stringify(a.plan).includes('fight')) ? true : undefined;
    });
    await settle();
    assert.equal(await graceReader(), true, 'the sixth application stays: Warden stops fighting and asks');
    assert.equal(
      auditRows(`action = 'access.step.applied' AND target = ? AND seq > ? AND after LIKE ?`, RG, mark, `%${GRACE}%`)
        .length,
      0,
    );
  });

  test('(d) over the blast radius → recorded for approval, other drift still reverted, applied once approved', async () => {
    await settle();
    const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
    const crowd = [MALLORY, GRACE, DATA_SCIENTISTS];
    // An exemption holds the scope still while three out-of-band grants land; its deletion plans them together.
    const ex = await api('PUT', 'metadata/exemptions/ex-e2e-blast', {
      token: tokens.ada,
      body: {
        target: RG,
        kind: 'access',
        reason: 'Enforcement end-to-end test: hold the scope',
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        approved_by: GRACE,
      },
    });
    assert.equal(ex.status, 201, JSON.stringify(ex.body));
    await waitFor('the exemption in force', async () => {
      const dry = await api('POST', 'access/reconcile?dryRun=true', { token: tokens.ada, body: { scope: RG } });
      return JSON.stringify(dry.body).includes('ex-e2e-blast') || dry.status !== 200 ? true : undefined;
    });
    for (const principalId of crowd) {
      const r = await emulator.admin('POST', '/admin/arm/role-assignments', {
        scope: RG,
        principalId,
        role: 'Storage Blob Data Reader',
        principalType: principalId === DATA_SCIENTISTS ? 'Group' : 'User',
      });
      assert.ok(r.status < 300, JSON.stringify(r.body));
    }
    const crowdGrants = async () =>
      (await assignmentsAt(RG)).filter((a) => crowd.includes(a.principalId) && a.role === BLOB_READER).length;
    const gone = await api('DELETE', 'metadata/exemptions/ex-e2e-blast', {
      token: tokens.ada,
      headers: { 'if-match': '"1"' },
    });
    assert.equal(gone.status, 204, JSON.stringify(gone.body));
    const approval = await waitFor('the over-limit deletes recorded for approval', async () => {
      const pending = await api('GET', 'approvals?state=pending', { token: tokens.ada });
      const items = (pending.body as { items: { id: string; target: string; plan: unknown }[] }).items;
      return items.find((a) => a.target === RG && crowd.every((p) => JSON.stringify(a.plan).includes(p)));
    });
    await settle();
    assert.equal(await crowdGrants(), 3, 'nothing over the limit is deleted before the approval');
    // Drift elsewhere on the scope is still reverted meanwhile.
    const other = await emulator.admin('POST', '/admin/arm/role-assignments', {
      scope: RG,
      principalId: PIPELINE_SP,
      role: 'Storage Blob Data Reader',
      principalType: 'ServicePrincipal',
    });
    assert.ok(other.status < 300, JSON.stringify(other.body));
    await waitFor('the other drift reverted while the approval is pending', async () =>
      (await assignmentsAt(RG)).some((a) => a.principalId === PIPELINE_SP && a.role === BLOB_READER) ? undefined : true,
    );
    assert.equal(await crowdGrants(), 3);
    const approved = await api('POST', `approvals/${approval.id}/approve`, {
      token: tokens.grace,
      body: { comment: 'these three go' },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await waitFor('the approved deletes applied', async () => ((await crowdGrants()) === 0 ? true : undefined));
  });

  test('bad input: unknown types, no subject, foreign ids → acknowledged, recorded or dismissed, nothing changes', async () => {
    const before = await assignmentsAt(RG);
    const events = [
      { id: 'e2e-bad-1', topic: `/subscriptions/${SUB}`, subject: RG, eventType: 'Contoso.Unknown', data: {} },
      {
        id: 'e2e-bad-2',
        topic: `/subscriptions/${SUB}`,
        subject: '',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        data: {},
      },
      {
        id: 'e2e-bad-3',
        topic: `/subscriptions/${SUB}`,
        subject: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/elsewhere',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        data: { resourceUri: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/elsewhere' },
      },
    ];
    // Straight to the webhook, as an unfiltered subscription would deliver them: each is answered 2xx (a 4xx/5xx
    // would make Event Grid retry or dead-letter an event that can never succeed).
    for (const e of events) {
      const res = await fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify([{ eventTime: new Date().toISOString(), dataVersion: '', metadataVersion: '1', ...e }]),
      });
      assert.ok(res.status < 300, `${JSON.stringify(e)} → ${res.status} ${await res.text()}`);
    }
    const poison = audit.prepare(`SELECT reason FROM poison_messages WHERE message_id = 'e2e-bad-2'`).all();
    assert.equal(poison.length, 1, 'the event without a subject is recorded as poison');
    assert.deepEqual(await assignmentsAt(RG), before);
    // A malformed policy row is refused at the door with the fields named; nothing is stored or started.
    const malformed = await api('PUT', 'metadata/access_policies/ap-e2e-malformed', {
      token: tokens.ada,
      body: { principal_id: 'not-a-guid', principal_type: 'Robot', role: '', scope: 'rg-fraud-ml' },
    });
    assert.equal(malformed.status, 400, JSON.stringify(malformed.body));
    const fields = ((malformed.body as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path);
    assert.ok(fields.includes('principal_id') && fields.includes('scope'), JSON.stringify(fields));
    assert.equal((await api('GET', 'metadata/access_policies/ap-e2e-malformed', { token: tokens.ada })).status, 404);
    // Malformed dry-run input is a 400 naming the field.
    const bad = await api('POST', 'access/reconcile?dryRun=true', { token: tokens.ada, body: { scope: 'not-an-id' } });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const unknown = await api('POST', 'approvals/does-not-exist/approve', {
      token: tokens.grace,
      body: { comment: 'no such request' },
    });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
  });

  test('HTTP: dry run returns the plan and starts nothing; otherwise 202 with the instance', async () => {
    const dry = await api('POST', 'network/enforce?dryRun=true', { token: tokens.ada, body: { resourceId: RAW } });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal((dry.body as { plan: { kind: string } }).plan.kind, 'network');
    const started = await api('POST', 'access/reconcile', { token: tokens.ada, body: { scope: RG } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const b = started.body as { instanceId: string; statusQueryGetUri: string };
    assert.ok(b.instanceId);
    assert.equal(started.headers.get('location'), b.statusQueryGetUri);
    assert.equal((await api('POST', 'access/reconcile', { body: { scope: RG } })).status, 401);
  });

  test('(g) a report-only scope only plans', async () => {
    await settle();
    const path_ = `metadata/managed_scopes/${RG.slice(1)}`;
    const current = await api('GET', path_, { token: tokens.ada });
    assert.equal(current.status, 200, JSON.stringify(current.body));
    const row = current.body as Record<string, unknown>;
    const body = Object.fromEntries(
      Object.entries(row).filter(([k]) => !['version', 'created_at', 'updated_at', 'updated_by', 'scope'].includes(k)),
    );
    const put = await api('PUT', path_, {
      token: tokens.ada,
      headers: { 'if-match': current.headers.get('etag') ?? '' },
      body: { ...body, enforcement: 'report-only' },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const lastSeq = (): number =>
      (audit.prepare('SELECT max(seq) AS m FROM audit_log').get() as { m: number | null }).m ?? 0;
    await waitFor('a report-only plan', () =>
      auditRows(`action = 'access.plan.report-only' AND target = ?`, RG).length > 0 ? true : undefined,
    );
    const mark = lastSeq();
    const r = await emulator.admin('POST', '/admin/arm/role-assignments', {
      scope: RG,
      principalId: MALLORY,
      role: 'Reader',
      principalType: 'User',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await waitFor('the drift planned, report-only', () =>
      auditRows(`action = 'access.plan.report-only' AND target = ? AND seq > ?`, RG, mark).length > 0
        ? true
        : undefined,
    );
    await settle();
    assert.ok(
      (await assignmentsAt(RG)).some((a) => a.principalId === MALLORY),
      'the out-of-band grant stays: report-only changes nothing',
    );
    assert.equal(auditRows(`action = 'access.step.applied' AND target = ? AND seq > ?`, RG, mark).length, 0);
  });
});
