/**
 * The access cut of an AADToken online endpoint and its restore on release, on real dependencies: the model
 * activities with the Azure ML and role-assignment adapters (as Warden's managed identity, with the demo world's
 * grants) against the emulator, and a SQLite metadata store seeded from the same world. A second endpoint with
 * `authMode: AADToken` is PUT through the emulator's ARM in the Azure ML REST shape; score grants are made at its
 * scope and at the workspace above it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';

import { createArmClients } from '../../../shared/cloud/azure/arm-clients';
import { AzureModelRegistry } from '../../../shared/cloud/azure/model-registry';
import { AzureRoleAssignments } from '../../../shared/cloud/azure/role-assignments';
import type { RoleAssignmentsPort } from '../../../shared/cloud/ports/role-assignments.port';
import { roleAssignmentName } from '../../../shared/domain/access/role-assignment-name';
import { fixedClock } from '../../../shared/domain/clock';
import { TransientCloudError } from '../../../shared/domain/errors';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { planAccessForScope } from '../../../shared/orchestrations/access/access-activities';
import { DEFAULT_ENFORCEMENT_SETTINGS, type EnforcementDeps } from '../../../shared/orchestrations/enforcement-deps';
import { createModelActivities } from '../../../shared/orchestrations/models/model-activities';
import { MODEL_ACTIVITIES, type RestoreAccessOutcome } from '../../../shared/orchestrations/models/model-catalog';
import type { ModelDeps } from '../../../shared/orchestrations/models/model-deps';
import { ADA, BREAK_GLASS, type MlBed, startMlBed } from '../../contract/emulator/ml-monitor-helpers';

const GROUP = '95d764b4-de42-46a3-bb72-8b382714c04a';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const MALLORY = 'bf92cd29-2eee-4e3b-9d96-85a7d1118887';
const PIPELINE_SP = 'a35e1e22-b578-47e3-ab2a-efc3f7322b15';
const DATA_SCIENTIST = 'f6c7c914-8db3-469d-8ca1-694a8f32e121';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const MODEL_ID = 'm-fraud-aad-3';

interface AuditAfter {
  [k: string]: unknown;
}

describe('access cut of an AADToken endpoint (activities, adapters against the emulator)', () => {
  let bed: MlBed;
  let store: MetadataStore;
  let dir: string;
  let deps: ModelDeps;
  let activities: ReturnType<typeof createModelActivities>;
  let owner: AuthorizationManagementClient;
  let wardenRoles: AzureRoleAssignments;
  let endpointId: string;
  let scorerGuid: string;
  const clock = fixedClock('2026-11-25T12:00:00.000Z');

  /** A grant made by the break-glass Owner (out of band as far as Warden knows: a random name). */
  async function grant(
    scope: string,
    principalId: string,
    principalType: 'User' | 'Group' | 'ServicePrincipal',
    roleGuid: string,
  ): Promise<string> {
    const a = await owner.roleAssignments.create(scope, randomUUID(), {
      roleDefinitionId: `/subscriptions/${bed.sub}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
      principalId,
      principalType,
    });
    assert.ok(a.id);
    return a.id;
  }
  const atEndpoint = async () =>
    (await wardenRoles.listForScope(endpointId))
      .filter((a) => a.relation === 'at')
      .map((a) => `${a.principalId}|${a.roleDefinitionGuid}`)
      .sort();
  const audit = async (action: string) =>
    (await store.audit.list({ target: endpointId, limit: 1000 })).filter((e) => e.action === action);
  const cut = (approvalId: string, d: ModelDeps = deps) =>
    createModelActivities(d)[MODEL_ACTIVITIES.cutAccess.name]!({
      modelId: MODEL_ID,
      approvalId,
      correlationId: `corr-${approvalId}`,
      actor: 'ada@contoso.example',
    }) as Promise<{ status: string; detail: string }>;
  const restore = (modelId = MODEL_ID) =>
    activities[MODEL_ACTIVITIES.restoreAccess.name]!({
      modelId,
      correlationId: 'corr-release',
      actor: 'ada@contoso.example',
    }) as Promise<RestoreAccessOutcome>;

  before(async () => {
    bed = await startMlBed();
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-aadcut-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'metadata.db'), clock });
    assert.ok(await seedDemoWorld(store, bed.world), 'seeded');
    const scorer = (bed.world as unknown as { customRoles: { id: string; roleName: string }[] }).customRoles.find(
      (r) => r.roleName === 'AzureML Online Endpoint Scorer',
    );
    assert.ok(scorer);
    scorerGuid = scorer.id;

    // The AADToken endpoint, PUT in the Azure ML REST shape, with a deployment serving version 3.
    const ml = new AzureMachineLearningWorkspaces(bed.credential(BREAK_GLASS), bed.sub, {
      endpoint: bed.endpoint,
      credentialScopes: ['https://management.azure.com/.default'],
      tlsOptions: { ca: bed.ca },
    });
    const poll = { updateIntervalInMs: 10 };
    const location = bed.world.location ?? 'westeurope';
    await ml.modelVersions.createOrUpdate(bed.rgName, 'mlw-fraud', 'fraud-detector-aad', '3', {
      properties: { modelType: 'custom_model', tags: { 'warden.stage': 'Quarantined' } },
    });
    const ep = await ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      bed.rgName,
      'mlw-fraud',
      'fraud-scoring-aad',
      { location, properties: { authMode: 'AADToken' } },
      poll,
    );
    assert.equal(ep.properties.authMode, 'AADToken');
    endpointId = `${bed.workspaceId}/onlineEndpoints/fraud-scoring-aad`;
    await ml.onlineDeployments.beginCreateOrUpdateAndWait(
      bed.rgName,
      'mlw-fraud',
      'fraud-scoring-aad',
      'blue',
      {
        location,
        properties: {
          endpointComputeType: 'Managed',
          model: `${bed.workspaceId}/models/fraud-detector-aad/versions/3`,
        },
      },
      poll,
    );
    await ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      bed.rgName,
      'mlw-fraud',
      'fraud-scoring-aad',
      { location, properties: { authMode: 'AADToken', traffic: { blue: 100 } } },
      poll,
    );
    await store.models.upsert(
      {
        id: MODEL_ID,
        name: 'fraud-detector-aad',
        model_version: '3',
        endpoint: endpointId,
        deployment: 'blue',
        stage: 'Quarantined',
        last_good_version: null,
        next_check_at: null,
        owner: GROUP,
      },
      { actor: 'test', reason: 'an AADToken endpoint', correlationId: 'setup' },
    );

    // The demo's inference policy, for the AADToken endpoint: the access planner must not grant it back while cut.
    await store.accessPolicies.upsert(
      {
        id: 'ap-ds-fraud-aad-inference',
        principal_id: GROUP,
        principal_type: 'Group',
        role: 'AzureML Online Endpoint Scorer',
        scope: endpointId,
        data_access: 'inference-only',
        expires_at: null,
        justification: 'Fraud data scientists score the AADToken endpoint',
        approved_by: GRACE,
        enabled: true,
      },
      { actor: 'test', reason: 'policy backing the group score grant', correlationId: 'setup' },
    );

    owner = new AuthorizationManagementClient(bed.credential(BREAK_GLASS), bed.sub, {
      endpoint: bed.endpoint,
      credentialScopes: ['https://management.azure.com/.default'],
      tlsOptions: { ca: bed.ca },
    });
    const warden = bed.world.warden!.principalId;
    const clients = createArmClients({
      credential: bed.credential(warden),
      subscriptionId: bed.sub,
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      maxRetries: 0,
    });
    wardenRoles = new AzureRoleAssignments(clients.authorization, { retry: { attempts: 2, delayMs: 1 } });
    const unused = () => Promise.reject(new Error('not used by the access cut'));
    deps = {
      registry: new AzureModelRegistry({
        credential: bed.credential(warden),
        endpoint: bed.endpoint,
        tlsCa: bed.ca,
        pollIntervalMs: 10,
      }),
      roleAssignments: wardenRoles,
      metrics: { queryMetric: unused, queryLogs: unused },
      alertRules: { upsert: unused, delete: unused, candidateIds: () => [] },
      store,
      notifier: { publish: () => Promise.resolve() },
      clock,
      settings: {
        actionGroupId: undefined,
        breaker: { maxQuarantines: 3, windowMinutes: 60 },
        approvalValidityMs: 3_600_000,
        recheckMs: 3_600_000,
        killSwitch: false,
      },
    };
    activities = createModelActivities(deps);
  });
  after(async () => {
    await store?.close();
    await bed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the cut removes the score grants at the endpoint (audited each), leaves inherited and non-score ones, traffic 0%', async () => {
    await grant(endpointId, GROUP, 'Group', scorerGuid);
    await grant(endpointId, GRACE, 'User', DATA_SCIENTIST);
    await grant(endpointId, MALLORY, 'User', READER);
    const inherited = await grant(bed.workspaceId, PIPELINE_SP, 'ServicePrincipal', scorerGuid);

    const r = await cut('apr-cut-1');
    assert.equal(r.status, 'applied', r.detail);
    assert.match(r.detail, /2 score role assignment\(s\) at the endpoint removed/);
    assert.match(r.detail, /2 inherited score grant\(s\) left/, 'the workspace Scorer and the break-glass Owner');

    assert.deepEqual(await atEndpoint(), [`${MALLORY}|${READER}`], 'only the Reader grant stays at the endpoint');
    assert.ok(await wardenRoles.get(inherited), 'the workspace grant is not Warden’s to cut here');
    assert.deepEqual((await deps.registry.getEndpoint(endpointId))?.traffic, { blue: 0 });

    const removed = await audit('model.access.score-role.removed');
    assert.deepEqual(removed.map((e) => (e.after as AuditAfter).principalId).sort(), [GROUP, GRACE].sort());
    for (const e of removed) {
      const a = e.after as AuditAfter;
      assert.match(String(a.assignmentId), /\/providers\/Microsoft\.Authorization\/roleAssignments\//);
      assert.ok(['AzureML Online Endpoint Scorer', 'AzureML Data Scientist'].includes(String(a.roleName)));
      assert.equal(a.approvalId, 'apr-cut-1');
    }
    const [entry] = await audit('model.access.cut');
    const after = entry!.after as AuditAfter & {
      rolesRemoved: unknown[];
      left: { scope: string; principalId: string; roleName: string }[];
    };
    assert.equal(after.authMode, 'AADToken');
    assert.equal(after.keysRegenerated, false);
    assert.equal(after.refused, null);
    assert.equal(after.rolesRemoved.length, 2);
    assert.deepEqual(
      after.left.map((g) => [g.principalId, g.roleName, g.scope]).sort(),
      [
        [BREAK_GLASS, 'Owner', `/subscriptions/${bed.sub}`],
        [PIPELINE_SP, 'AzureML Online Endpoint Scorer', bed.workspaceId],
      ].sort(),
    );
    assert.doesNotMatch(JSON.stringify(entry), /access_token|Bearer|primaryKey/i);
  });

  test('idempotent: a second run deletes nothing, audits no removal and succeeds', async () => {
    const removedBefore = (await audit('model.access.score-role.removed')).length;
    const r = await cut('apr-cut-1');
    assert.equal(r.status, 'applied');
    assert.match(r.detail, /0 score role assignment\(s\) at the endpoint removed/);
    assert.equal((await audit('model.access.score-role.removed')).length, removedBefore);
    assert.deepEqual(await atEndpoint(), [`${MALLORY}|${READER}`]);
  });

  /** The access planner's steps and hold notes for the AADToken endpoint. */
  async function accessPlanAtEndpoint() {
    const enforcement = {
      roleAssignments: wardenRoles,
      store,
      clock,
      settings: {
        ...DEFAULT_ENFORCEMENT_SETTINGS,
        wardenPrincipalIds: [bed.world.warden!.principalId],
        rawDataStores: [],
        wardenDependencies: [],
      },
    } as unknown as EnforcementDeps;
    const { plan } = await planAccessForScope(enforcement, bed.rg, clock.now());
    return {
      creates: plan.steps.filter((st) => st.action === 'create' && st.scope === endpointId).map((st) => st.principalId),
      holds: plan.notes.filter((n) => n.kind === 'quarantine-hold'),
    };
  }

  test('while cut, reconcileAccess does not grant the removed score role back, though a policy desires it', async () => {
    const { creates, holds } = await accessPlanAtEndpoint();
    assert.deepEqual(creates, [], 'no create at the cut endpoint');
    assert.equal(holds.length, 1);
    assert.match(
      holds[0]!.reason,
      new RegExp(`AzureML Online Endpoint Scorer' for ${GROUP} held: removed by the quarantine access cut of`),
    );
  });

  test('release restores the same assignments (principal, role, scope and name), once', async () => {
    const removed = (await audit('model.access.score-role.removed')).map(
      (e) => e.after as { assignmentId: string; principalId: string; roleDefinitionGuid: string },
    );
    const r = await restore();
    assert.equal(r.status, 'restored', r.detail);
    assert.match(r.detail, /^2 restored/);
    assert.deepEqual(
      await atEndpoint(),
      [`${GROUP}|${scorerGuid}`, `${GRACE}|${DATA_SCIENTIST}`, `${MALLORY}|${READER}`].sort(),
    );
    assert.equal(removed.length, 2);
    for (const g of removed) {
      const a = await wardenRoles.get(g.assignmentId);
      assert.ok(a, `restored as ${g.assignmentId}`);
      assert.equal(a.principalId, g.principalId);
      assert.equal(a.roleDefinitionGuid, g.roleDefinitionGuid.toLowerCase());
      assert.equal(a.description, 'warden:restored-after-quarantine');
      // Not under Warden's deterministic name: the access planner would take it for a Warden grant without policy.
      assert.notEqual(a.name, roleAssignmentName(endpointId, g.principalId, g.roleDefinitionGuid));
    }
    const [restored] = await audit('model.access.roles.restored');
    assert.equal((restored!.after as { restored: unknown[] }).restored.length, 2);
    const again = await restore();
    assert.equal(again.status, 'none', 'a second release restores nothing');
    const plan = await accessPlanAtEndpoint();
    assert.deepEqual(plan, { creates: [], holds: [] }, 'restored: nothing held, nothing to create');
  });

  test('a run that crashes between deletes loses nothing: the re-run finishes the cut, the restore gives back both', async () => {
    let deletes = 0;
    const crashing: RoleAssignmentsPort = Object.assign(Object.create(wardenRoles) as RoleAssignmentsPort, {
      delete: async (id: string) => {
        if (++deletes > 1) throw new TransientCloudError('worker lost mid-cut');
        return wardenRoles.delete(id);
      },
    });
    await assert.rejects(cut('apr-cut-2', { ...deps, roleAssignments: crashing }), TransientCloudError);
    assert.equal((await atEndpoint()).length, 2, 'one of the two grants went before the crash');
    const r = await cut('apr-cut-2');
    assert.equal(r.status, 'applied');
    assert.deepEqual(await atEndpoint(), [`${MALLORY}|${READER}`]);
    const back = await restore();
    assert.equal(back.status, 'restored');
    assert.match(back.detail, /^2 restored/, 'the grant deleted before the crash is restored too');
    assert.equal((await atEndpoint()).length, 3);
  });

  test('refused: Warden without roleAssignments/delete (a Reader here) — audited `refused`, the cut still ends at 0%', async () => {
    const readerClients = createArmClients({
      credential: bed.credential(ADA),
      subscriptionId: bed.sub,
      endpoint: bed.endpoint,
      tlsCa: bed.ca,
      maxRetries: 0,
    });
    const asReader = new AzureRoleAssignments(readerClients.authorization, { retry: { attempts: 1, delayMs: 1 } });
    await deps.registry.setTraffic(endpointId, { blue: 100 });
    const r = await cut('apr-cut-3', { ...deps, roleAssignments: asReader });
    assert.equal(r.status, 'partial');
    assert.match(r.detail, /role assignment delete refused: Microsoft\.Authorization\/roleAssignments\/delete/);
    assert.deepEqual((await deps.registry.getEndpoint(endpointId))?.traffic, { blue: 0 });
    assert.equal((await atEndpoint()).length, 3, 'nothing removed');
    const entries = await audit('model.access.cut');
    const last = entries[entries.length - 1]!.after as AuditAfter;
    assert.match(String(last.refused), /roleAssignments\/delete/);
  });

  test('restore: a grant ARM refuses for good (its principal is gone) is skipped with the reason; the rest is done', async () => {
    const ghost = randomUUID();
    await store.audit.append({
      actor: 'test',
      action: 'model.access.cut.recorded',
      target: endpointId,
      after: {
        grants: [
          {
            assignmentId: `${endpointId}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
            principalId: ghost,
            principalType: 'User',
            roleDefinitionGuid: scorerGuid,
            roleName: 'AzureML Online Endpoint Scorer',
            scope: endpointId,
          },
        ],
      },
      reason: 'a cut of a grant whose principal was deleted since',
      correlationId: 'ghost',
    });
    const r = await restore();
    assert.equal(r.status, 'restored', r.detail);
    // The two grants the refused cut recorded were never removed: already there.
    assert.equal(r.detail, '0 restored, 2 already there, 1 not restorable');
    const entries = await audit('model.access.roles.restored');
    const skipped = (entries[entries.length - 1]!.after as { skipped: { principalId: string; why: string }[] }).skipped;
    assert.deepEqual(
      skipped.map((g) => g.principalId),
      [ghost],
    );
    assert.match(skipped[0]!.why, /principal|not found|does not exist/i);
    assert.equal((await restore()).status, 'none');
  });

  test('a key-auth endpoint: the release has nothing to restore', async () => {
    const r = await restore('m-fraud-detector-3');
    assert.equal(r.status, 'none');
  });
});
