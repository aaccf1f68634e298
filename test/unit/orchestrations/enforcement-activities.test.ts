/**
 * The enforcement activities on their real dependencies: the Azure adapters against the emulator (seeded from the
 * demo world, drifts applied) and a SQLite metadata store seeded from the same world. What the orchestrators
 * sequence is tested by replay; here: plan, apply (idempotent), verify, audit, approvals, fights, bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createArmClients } from '../../../shared/cloud/azure/arm-clients';
import { AzureResourceNetwork } from '../../../shared/cloud/azure/resource-network';
import { AzureRoleAssignments } from '../../../shared/cloud/azure/role-assignments';
import type { Notification, Notifier } from '../../../shared/cloud/ports/notifier';
import type { AccessPlan } from '../../../shared/domain/access/plan-role-assignments';
import { fixedClock } from '../../../shared/domain/clock';
import { ValidationError } from '../../../shared/domain/errors';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { createAccessActivities, planAccessForScope } from '../../../shared/orchestrations/access/access-activities';
import { ACTIVITIES, type StepOutcome, type VerifyResult } from '../../../shared/orchestrations/catalog';
import { DEFAULT_ENFORCEMENT_SETTINGS, type EnforcementDeps } from '../../../shared/orchestrations/enforcement-deps';
import {
  createNetworkActivities,
  planNetworkForResource,
} from '../../../shared/orchestrations/network/network-activities';
import { createRemediationActivities } from '../../../shared/orchestrations/remediation-activities';
import { type ArmTestBed, startArmTestBed } from '../../contract/emulator/arm-helpers';

const MALLORY = 'bf92cd29-2eee-4e3b-9d96-85a7d1118887';
const GROUP = '95d764b4-de42-46a3-bb72-8b382714c04a';

describe('enforcement activities against the emulator and a SQLite store', () => {
  let bed: ArmTestBed;
  let store: MetadataStore;
  let dir: string;
  let deps: EnforcementDeps;
  let access: ReturnType<typeof createAccessActivities>;
  let net: ReturnType<typeof createNetworkActivities>;
  let shared: ReturnType<typeof createRemediationActivities>;
  const sent: Notification[] = [];
  let failNotify = false;
  const clock = fixedClock('2026-11-25T12:00:00.000Z');
  const now = () => clock.now();
  let rg: string;
  let storage: string;

  before(async () => {
    bed = await startArmTestBed();
    rg = bed.rg;
    storage = `${rg}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-enf-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'metadata.db'), clock });
    const seeded = await seedDemoWorld(store, bed.world);
    assert.ok(seeded, 'seeded');
    const clients = createArmClients({
      credential: bed.mintedCredential(bed.world.warden!.principalId),
      subscriptionId: bed.sub,
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      maxRetries: 0,
    });
    const notifier: Notifier = {
      publish: (n) => {
        if (failNotify) return Promise.reject(new Error('topic unavailable'));
        sent.push(...n);
        return Promise.resolve();
      },
    };
    deps = {
      roleAssignments: new AzureRoleAssignments(clients.authorization, { retry: { attempts: 2, delayMs: 1 } }),
      network: new AzureResourceNetwork(clients.resources, clients.storage, { pollIntervalMs: 10 }),
      store,
      notifier,
      clock,
      settings: {
        ...DEFAULT_ENFORCEMENT_SETTINGS,
        fight: { threshold: 3, windowMs: 60_000 },
        wardenPrincipalIds: [bed.world.warden!.principalId],
        rawDataStores: [storage],
        wardenDependencies: [
          {
            resourceId: `${rg}/providers/Microsoft.KeyVault/vaults/kv-fraud-ml`,
            path: 'private-endpoint',
            privateEndpoint: 'pe-kv',
          },
        ],
      },
    };
    access = createAccessActivities(deps);
    net = createNetworkActivities(deps);
    shared = createRemediationActivities(deps);
  });
  after(async () => {
    await store?.close();
    await bed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const applyAccess = (step: AccessPlan['steps'][number], correlationId = 'corr-a') =>
    access[ACTIVITIES.applyAccessStep.name]!({
      scope: rg,
      step,
      correlationId,
      actor: 'demo-seed',
    }) as Promise<StepOutcome>;

  test('the demo world: the out-of-band Owner is removed, the inference policy granted; break-glass and Warden untouched', async () => {
    const { plan } = await planAccessForScope(deps, rg, now());
    assert.deepEqual(plan.steps.map((s) => [s.action, s.principalId, s.roleName, s.needsApproval]).sort(), [
      ['create', GROUP, 'AzureML Online Endpoint Scorer', false],
      ['delete', MALLORY, 'Owner', false],
    ]);
    assert.ok(
      plan.notes.some((n) => n.kind === 'inherited' && /Owner/.test(n.reason)),
      'break-glass Owner inherited from the subscription',
    );
    assert.ok(
      plan.notes.some((n) => n.kind === 'warden-identity'),
      "Warden's own grants at the scope",
    );

    for (const step of plan.steps) assert.equal((await applyAccess(step)).status, 'applied', step.key);
    for (const step of plan.steps) assert.equal((await applyAccess(step)).status, 'unchanged', `${step.key} again`);
    const verify = (await access[ACTIVITIES.verifyAccess.name]!({ scope: rg, steps: plan.steps })) as VerifyResult;
    assert.deepEqual(verify.mismatched, []);
    assert.equal(verify.verified.length, 2);
    assert.deepEqual((await planAccessForScope(deps, rg, now())).plan.steps, [], 'converged');

    const entries = (await store.audit.list({ correlationId: 'corr-a' })).filter(
      (e) => e.action === 'access.step.applied',
    );
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.actor === 'demo-seed' && e.target === rg));
    assert.match(
      entries.find((e) => (e.after as { action: string }).action === 'delete')?.reason ?? '',
      /exclusive scope/,
    );
  });

  test('fight detection: the same drift re-applied and reverted 3 times stops enforcement on it and asks a human once', async () => {
    // The first test reverted the out-of-band Owner once; two more rounds reach the threshold of 3.
    for (let i = 0; i < 2; i++) {
      const oob = await bed.admin('POST', '/admin/arm/role-assignments', {
        scope: rg,
        principalId: MALLORY,
        role: 'Owner',
        principalType: 'User',
      });
      assert.ok(oob.status < 300, JSON.stringify(oob.body));
      const { plan, newFights } = await planAccessForScope(deps, rg, now());
      assert.deepEqual(newFights, []);
      const del = plan.steps.find((s) => s.action === 'delete');
      assert.ok(del, `round ${i}`);
      assert.equal((await applyAccess(del, `corr-f${i}`)).status, 'applied');
    }
    await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: rg,
      principalId: MALLORY,
      role: 'Owner',
      principalType: 'User',
    });
    const tripped = await planAccessForScope(deps, rg, now());
    assert.deepEqual(tripped.plan.steps, []);
    assert.equal(tripped.plan.notes.find((n) => n.kind === 'fight-stopped')?.kind, 'fight-stopped');
    assert.equal(tripped.newFights.length, 1);
    const rec = {
      kind: 'access',
      target: rg,
      steps: [{ key: `fight:${tripped.newFights[0]!.driftKey}`, summary: 'fight', gate: 'fight' }],
      fights: [tripped.newFights[0]!.driftKey],
      requestedBy: 'warden (sweep)',
      correlationId: 'corr-fight',
    };
    const first = (await shared[ACTIVITIES.recordApproval.name]!(rec)) as { approvalId: string; created: boolean };
    assert.equal(first.created, true);
    assert.deepEqual(await shared[ACTIVITIES.recordApproval.name]!(rec), {
      approvalId: first.approvalId,
      created: false,
    });
    const row = await store.approvals.get(first.approvalId);
    assert.equal(row?.kind, 'access');
    assert.equal(row?.decision, null);
    const held = await planAccessForScope(deps, rg, now());
    assert.deepEqual(held.newFights, [], 'a pending fight approval is not requested again');
    assert.ok(held.plan.notes.some((n) => n.kind === 'fight-stopped'));
  });

  test('network: the drifted raw-data account is planned, applied once, verified, audited; the IR switch is undone', async () => {
    const { plan } = await planNetworkForResource(deps, storage, now());
    assert.deepEqual(
      plan.steps.map((s) => s.aspect),
      ['public-network-access', 'firewall'],
    );
    assert.ok(
      plan.steps.every((s) => !s.needsApproval),
      'the consumer has an approved private endpoint',
    );
    const input = { resourceId: storage, steps: plan.steps, correlationId: 'corr-n', actor: 'warden (event e-1)' };
    const out = (await net[ACTIVITIES.applyNetwork.name]!(input)) as StepOutcome[];
    assert.deepEqual(
      out.map((o) => o.status),
      ['applied', 'applied'],
    );
    assert.deepEqual(
      ((await net[ACTIVITIES.applyNetwork.name]!(input)) as StepOutcome[]).map((o) => o.status),
      ['unchanged', 'unchanged'],
    );
    const v = (await net[ACTIVITIES.verifyNetwork.name]!({ resourceId: storage, steps: plan.steps })) as VerifyResult;
    assert.equal(v.verified.length, 2);
    assert.deepEqual((await planNetworkForResource(deps, storage, now())).plan.steps, []);
    const audited = (await store.audit.list({ correlationId: 'corr-n' })).filter(
      (e) => e.action === 'network.step.applied',
    );
    assert.equal(audited.length, 2);

    const ls = `${rg}/providers/Microsoft.DataFactory/factories/adf-fraud/linkedservices/ls-onprem-transactions`;
    await bed.admin('POST', '/admin/arm/linked-services/azure-integration-runtime', { resourceId: ls });
    const irPlan = (await planNetworkForResource(deps, ls, now())).plan;
    assert.deepEqual(
      irPlan.steps.map((s) => s.aspect),
      ['integration-runtime'],
    );
    const irOut = (await net[ACTIVITIES.applyNetwork.name]!({
      resourceId: ls,
      steps: irPlan.steps,
      correlationId: 'corr-ir',
      actor: 'warden',
    })) as StepOutcome[];
    assert.equal(irOut[0]?.status, 'applied');
    assert.equal((await deps.network.read(ls))?.integrationRuntime?.name, 'shir-onprem');
  });

  test('Warden lacking a right: the network step is refused and audited, not retried', async () => {
    const app = await bed.newApp('reader-only-enforcer');
    await bed.admin('POST', '/admin/arm/role-assignments', {
      scope: rg,
      principalId: app.principalId,
      role: 'Reader',
      principalType: 'ServicePrincipal',
    });
    const c = createArmClients({
      credential: app.credential,
      subscriptionId: bed.sub,
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      maxRetries: 0,
    });
    const weak = createNetworkActivities({ ...deps, network: new AzureResourceNetwork(c.resources, c.storage) });
    await bed.admin('POST', '/admin/arm/resources/public-network-access', { resourceId: storage, value: 'Enabled' });
    const { plan } = await planNetworkForResource(deps, storage, now());
    const out = (await weak[ACTIVITIES.applyNetwork.name]!({
      resourceId: storage,
      steps: plan.steps,
      correlationId: 'corr-r',
      actor: 'warden',
    })) as StepOutcome[];
    assert.deepEqual(
      out.map((o) => o.status),
      ['refused'],
    );
    assert.match(out[0]?.detail ?? '', /Microsoft\.Storage\/storageAccounts\/write/);
    const refused = (await store.audit.list({ correlationId: 'corr-r' })).filter(
      (e) => e.action === 'network.step.refused',
    );
    assert.equal(refused.length, 1);
  });

  test('unmanaged scopes and ungoverned resources plan nothing, saying why', async () => {
    const other = `/subscriptions/${bed.sub}/resourceGroups/rg-other`;
    const a = await planAccessForScope(deps, other, now());
    assert.equal(a.plan.apply, false);
    assert.match(a.plan.notApplyingReason ?? '', /not a managed scope/);
    const n = (await planNetworkForResource(deps, `${rg}/providers/Microsoft.Sql/servers/sql-onprem-mirror`, now()))
      .plan;
    assert.match(n.notApplyingReason ?? '', /no network rule governs/);
  });

  test('malformed activity inputs are validation errors naming the field', async () => {
    await assert.rejects(
      access[ACTIVITIES.planAccess.name]!({ scope: 'x', now: 'y', correlationId: 'c' }),
      (e: unknown) => e instanceof ValidationError && /scope/.test(e.message) && /now/.test(e.message),
    );
    await assert.rejects(
      access[ACTIVITIES.applyAccessStep.name]!({ scope: rg, correlationId: 'c', actor: 'a' }),
      (e: unknown) => e instanceof ValidationError && /step/.test(e.message),
    );
    await assert.rejects(
      net[ACTIVITIES.applyNetwork.name]!({ resourceId: storage, steps: [], correlationId: 'c', actor: 'a' }),
      ValidationError,
    );
    await assert.rejects(shared[ACTIVITIES.notify.name]!({ type: 'x' }), ValidationError);
  });

  test('a notification that cannot be published is recorded, never thrown', async () => {
    failNotify = true;
    const r = await shared[ACTIVITIES.notify.name]!({
      type: 'Warden.Remediation.Outcome',
      subject: rg,
      data: {},
      correlationId: 'corr-x',
    });
    failNotify = false;
    assert.deepEqual(r, { sent: false });
    const e = (await store.audit.list({ correlationId: 'corr-x' }))[0];
    assert.equal(e?.action, 'notification.failed');
    assert.ok(
      await shared[ACTIVITIES.notify.name]!({ type: 'T', subject: 's', data: { a: 1 }, correlationId: 'corr-y' }),
    );
    assert.equal(sent.at(-1)?.type, 'T');
  });
});
