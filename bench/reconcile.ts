// Benchmark of access reconciliation (not a test):
//   node dist/bench/reconcile.js [--quick] [--runs=N]
//
// Workloads:
//   1. planning at scale — `planRoleAssignments` for 10,000 and 100,000 policies against as many actual assignments
//      on one exclusive managed scope (a realistic mix: satisfied grants, missing grants, out-of-band grants at the
//      scope, grants inherited from the subscription, grants below the scope, PIM activations, break-glass, Warden's
//      own grants for lapsed policies, expired/disabled/duplicate policies). Target: 100k in < 1 s, growing linearly
//      (the 100k/10k ratio is printed; 10 is linear). Median of several runs after a warm-up.
//      Baseline in the same run: building the same-size Map of grant keys from the policies and probing it with every
//      assignment's key — the floor any planner that compares desired with actual pays.
//   2. event to remediation — the emulator (ARM, Entra, Event Grid) in this process and the local runtime running the
//      real app as a child trusting the emulator's CA (as the enforcement e2e test starts them; ephemeral ports, a temp
//      state dir): out-of-band Reader grants at the exclusive managed scope, one distinct principal per grant, written
//      through the emulator's admin API at 50 per second for 60 s (`--quick`: 10 s). Latency per grant: from the
//      emulator's event time (captured by a second Event Grid subscription to a tap in this process) to the `at` of
//      the audited removal (`access.step.applied`); p50/p99 (target p99 < 500 ms) and how many were reverted. The
//      blast-radius limits are set so the load stays within them (one run may see many grants at once):
//      WARDEN_BLAST_MAX_DELETES=1000, WARDEN_BLAST_MAX_DELETE_SHARE=1.
// Prints one summary line per workload and writes bench/results/reconcile.json.
//   --only=planning | --only=events
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { startEmulator } from '../emulator/index';
import { findRepoRoot } from '../lib/find-repo-root';
import { freePort, type NodeChild, startNodeChild } from '../lib/node-child';
import { DEFAULT_BLAST_RADIUS } from '../shared/domain/access/blast-radius';
import { type AccessPlanInput, planRoleAssignments } from '../shared/domain/access/plan-role-assignments';
import type { PlannedPolicy } from '../shared/domain/access/planned-rows';
import type { PimScheduleInstance, RoleAssignment, RoleDefinition } from '../shared/domain/access/role-assignment';
import { roleAssignmentName } from '../shared/domain/access/role-assignment-name';
import { openSqliteMetadataStore } from '../shared/metadata/metadata-store';
import { seedDemoWorld } from '../shared/metadata/seed/seed-demo-world';

const RESULTS_DIR = path.join(findRepoRoot(__dirname), 'bench', 'results');
const quick = process.argv.includes('--quick');
const runsArg = process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length);
const RUNS = runsArg ? Math.max(1, Number(runsArg)) : quick ? 3 : 7;
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);

// ------------------------------------------------------------------ the data set

const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `${SUB}/resourceGroups/rg-fraud-ml`;
const WARDEN = '6872bbc9-1627-441e-a611-7ce540632cfe';
const BREAK_GLASS = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';
const NOW = '2026-11-25T12:00:00.000Z';

const def = (guid: string, roleName: string, actions: string[], dataActions: string[] = []): RoleDefinition => ({
  guid,
  roleName,
  roleType: 'BuiltInRole',
  permissions: [{ actions, notActions: [], dataActions, notDataActions: [] }],
});
const ROLE_DEFS: RoleDefinition[] = [
  def('8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'Owner', ['*']),
  def('b24988ac-6180-42a0-ab88-20f7382dd24c', 'Contributor', ['*']),
  def('acdd72a7-3385-48ef-bd42-f606fba81ae7', 'Reader', ['*/read']),
  def(
    '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    'Storage Blob Data Reader',
    ['Microsoft.Storage/storageAccounts/blobServices/containers/read'],
    ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
  ),
  def(
    '4633458b-17de-408a-b874-0445c86b69e6',
    'Key Vault Secrets User',
    [],
    ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
  ),
  def(
    'db0c8eb3-93d1-440a-b175-732be3017e0c',
    'AzureML Online Endpoint Scorer',
    ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read'],
    ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action'],
  ),
];
const ROLES: Record<string, RoleDefinition> = {};
for (const d of ROLE_DEFS) {
  ROLES[d.guid] = d;
  ROLES[d.roleName.toLowerCase()] = d;
}
const [OWNER, , READER, BLOB_READER, KV_USER, SCORER] = ROLE_DEFS.map((d) => d.guid) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const ALLOWED = [
  'Reader',
  'Storage Blob Data Reader',
  'Key Vault Secrets User',
  'AzureML Online Endpoint Scorer',
  'Owner',
];

/** Deterministic pseudo-random numbers (mulberry32), so every run plans the same world. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** A lower-case GUID from a counter and a tag (distinct per (tag, i)). */
const guid = (tag: number, i: number): string => {
  const h = (i >>> 0).toString(16).padStart(12, '0');
  return `${(0x1a2b0000 + tag).toString(16).padStart(8, '0')}-0000-4000-8000-${h}`;
};

interface World {
  readonly policies: PlannedPolicy[];
  readonly actual: RoleAssignment[];
  readonly pim: PimScheduleInstance[];
  readonly mix: Record<string, number>;
}

/**
 * `n` policies and `n` assignments on RG: 1 resource scope per 20 policies (storage accounts, vaults, endpoints)
 * plus the RG itself. Of the policies ~80 % are satisfied, ~12 % missing (creates, some privileged), ~3 % expired,
 * ~2 % disabled, ~1 % duplicates, ~2 % for break-glass/Warden or outside the scope. The assignments fill up with
 * out-of-band grants at the scope, inherited ones, grants below the scope, PIM activations, break-glass and Warden's
 * grants for the expired policies.
 */
export function buildWorld(n: number): World {
  const rand = rng(0x5eed + n);
  const resources = Math.max(1, Math.floor(n / 20));
  const kinds = [
    'Microsoft.Storage/storageAccounts/st',
    'Microsoft.KeyVault/vaults/kv',
    'Microsoft.MachineLearningServices/workspaces/mlw/onlineEndpoints/ep',
  ];
  const scopeOf = (i: number): string => {
    if (i % 4 === 0) return RG;
    const r = i % resources;
    return `${RG}/providers/${kinds[r % 3]}${r}`;
  };
  const roleFor = (s: string): string =>
    s === RG ? READER : s.includes('storageAccounts') ? BLOB_READER : s.includes('vaults') ? KV_USER : SCORER;
  const mix: Record<string, number> = {};
  const count = (k: string): void => {
    mix[k] = (mix[k] ?? 0) + 1;
  };
  const policies: PlannedPolicy[] = [];
  const actual: RoleAssignment[] = [];
  const pim: PimScheduleInstance[] = [];
  const assignmentAt = (
    scope: string,
    principalId: string,
    role: string,
    name: string,
    relation: 'at' | 'above' | 'below',
  ): RoleAssignment => ({
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    scope,
    roleDefinitionGuid: role,
    principalId,
    principalType: 'User',
    relation,
    inherited: relation === 'above',
    description: null,
    condition: null,
  });
  const base = (i: number, scope: string, principal: string, role: string): PlannedPolicy => ({
    id: `ap-${String(i).padStart(7, '0')}`,
    principal_id: principal,
    principal_type: 'User',
    role,
    scope,
    data_access: null,
    expires_at: null,
    approved_by: null,
    enabled: true,
  });
  const expiredGrants: RoleAssignment[] = [];
  for (let i = 0; i < n; i++) {
    const scope = scopeOf(i);
    const principal = guid(1, i);
    const role = roleFor(scope);
    const x = rand();
    if (x < 0.8) {
      // satisfied: half by Warden's deterministic name, half by a name someone else chose; ARM's casing varies
      policies.push(
        base(
          i,
          scope,
          principal,
          i % 3 === 0 ? `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}` : ROLES[role]!.roleName,
        ),
      );
      const name = i % 2 === 0 ? roleAssignmentName(scope, principal, role) : guid(2, i);
      actual.push(
        assignmentAt(
          i % 5 === 0 ? scope.replace('resourceGroups', 'resourcegroups') : scope,
          principal,
          role,
          name,
          scope === RG ? 'at' : 'below',
        ),
      );
      count('policy satisfied');
    } else if (x < 0.92) {
      const privileged = i % 50 === 0 && scope === RG;
      policies.push(base(i, scope, principal, privileged ? 'Owner' : ROLES[role]!.roleName));
      count(privileged ? 'policy missing (privileged, gated)' : 'policy missing');
    } else if (x < 0.95) {
      const p = { ...base(i, scope, principal, ROLES[role]!.roleName), expires_at: '2026-11-25T11:00:00Z' };
      policies.push(p);
      expiredGrants.push(
        assignmentAt(scope, principal, role, roleAssignmentName(scope, principal, role), scope === RG ? 'at' : 'below'),
      );
      count('policy expired (Warden grant revoked)');
    } else if (x < 0.97) {
      policies.push({ ...base(i, scope, principal, ROLES[role]!.roleName), enabled: false });
      count('policy disabled');
    } else if (x < 0.98) {
      policies.push(base(i, scope, guid(1, i - 1), ROLES[roleFor(scopeOf(i - 1))]!.roleName));
      policies[policies.length - 1] = { ...policies[policies.length - 1]!, scope: scopeOf(i - 1) };
      count('policy duplicate');
    } else if (x < 0.99) {
      policies.push(base(i, `${SUB}/resourceGroups/rg-other-${i % 7}`, principal, 'Reader'));
      count('policy outside scope');
    } else {
      policies.push(base(i, scope, i % 2 ? BREAK_GLASS : WARDEN, ROLES[role]!.roleName));
      count('policy for break-glass/Warden');
    }
  }
  for (const a of expiredGrants) if (actual.length < n) actual.push(a);
  let j = 0;
  while (actual.length < n) {
    const y = rand();
    const principal = guid(3, j);
    const name = guid(4, j);
    if (y < 0.35) {
      actual.push(assignmentAt(RG, principal, READER, name, 'at'));
      count('assignment out-of-band at scope (delete)');
    } else if (y < 0.6) {
      actual.push(assignmentAt(SUB, principal, j % 10 === 0 ? OWNER : READER, name, 'above'));
      count('assignment inherited');
    } else if (y < 0.85) {
      const s = scopeOf(j * 4 + 1);
      actual.push(assignmentAt(s, principal, roleFor(s), name, 'below'));
      count('assignment below scope, not Warden-made');
    } else if (y < 0.95) {
      const a = assignmentAt(RG, principal, OWNER, name, 'at');
      actual.push(a);
      pim.push({
        originRoleAssignmentId: a.id,
        principalId: principal,
        roleDefinitionGuid: OWNER,
        scope: RG,
        assignmentType: 'Activated',
        endDateTime: '2026-11-25T20:00:00Z',
      });
      count('assignment PIM activation');
    } else {
      actual.push(assignmentAt(RG, BREAK_GLASS, OWNER, name, 'at'));
      count('assignment break-glass');
    }
    j++;
  }
  // ARM lists in no particular order
  for (let i = actual.length - 1; i > 0; i--) {
    const k = Math.floor(rand() * (i + 1));
    [actual[i], actual[k]] = [actual[k]!, actual[i]!];
  }
  return { policies, actual, pim, mix };
}

export function planInput(w: World): AccessPlanInput {
  return {
    now: NOW,
    scope: { scope: RG, mode: 'exclusive', enforcement: 'enforce', allowed_roles: ALLOWED, break_glass: [BREAK_GLASS] },
    policies: w.policies,
    exemptions: [
      {
        id: 'ex-1',
        target: `${RG}/providers/Microsoft.KeyVault/vaults/kv5`,
        kind: 'access',
        reason: 'migration',
        expires_at: '2026-12-01T00:00:00Z',
      },
    ],
    actual: w.actual,
    pimInstances: w.pim,
    roles: ROLES,
    wardenPrincipalIds: [WARDEN],
    rawDataStores: [`${RG}/providers/Microsoft.Storage/storageAccounts/st0`],
    killSwitch: false,
    limits: DEFAULT_BLAST_RADIUS,
  };
}

/** The floor: the same-size Map of grant keys built from the policies and probed with every assignment's key. */
function baseline(w: World): number {
  const m = new Map<string, PlannedPolicy>();
  for (const p of w.policies) m.set(`${p.scope}|${p.principal_id}|${p.role}`, p);
  let hits = 0;
  for (const a of w.actual) if (m.has(`${a.scope}|${a.principalId}|${a.roleDefinitionGuid}`)) hits++;
  return hits;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Wall and process CPU milliseconds per run (the machine is shared: CPU time is robust to other load). */
function time(fn: () => unknown, runs: number): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

interface PlanningResult {
  workload: string;
  policies: number;
  assignments: number;
  runs: number;
  medianMs: number;
  /** Median process CPU time (user + system, incl. GC helper threads) per run. */
  cpuMedianMs: number;
  minMs: number;
  maxMs: number;
  baselineMedianMs: number;
  ratioToBaseline: number;
  steps: { create: number; delete: number; needsApproval: number };
  notes: number;
  mix: Record<string, number>;
}

function planning(n: number): PlanningResult {
  const w = buildWorld(n);
  const input = planInput(w);
  // warm-up (JIT) on this very input
  const plan = planRoleAssignments(input);
  baseline(w);
  const t = time(() => planRoleAssignments(input), RUNS);
  const ms = t.wall;
  const base = time(() => baseline(w), RUNS).wall;
  const medianMs = median(ms);
  const baselineMedianMs = median(base);
  return {
    workload: `planning ${n / 1000}k`,
    policies: w.policies.length,
    assignments: w.actual.length,
    runs: RUNS,
    medianMs,
    cpuMedianMs: median(t.cpu),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    baselineMedianMs,
    ratioToBaseline: medianMs / baselineMedianMs,
    steps: {
      create: plan.steps.filter((s) => s.action === 'create').length,
      delete: plan.steps.filter((s) => s.action === 'delete').length,
      needsApproval: plan.steps.filter((s) => s.needsApproval).length,
    },
    notes: plan.notes.length,
    mix: w.mix,
  };
}

// ------------------------------------------------------------------ event to remediation

interface EventResult {
  workload: string;
  rate: number;
  seconds: number;
  grants: number;
  written: number;
  eventsSeen: number;
  reverted: number;
  auditedRemovals: number;
  stillPresent: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  runtimeCpuSeconds: number | null;
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);

const GUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

async function eventToRemediation(rate: number, seconds: number): Promise<EventResult> {
  const root = findRepoRoot(__dirname);
  const build = path.resolve(__dirname, '..');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-reconcile-'));
  const db = path.join(tmp, 'metadata.db');
  const sub = '748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
  const world = path.join(root, 'demo', 'world.json');
  const emulator = await startEmulator({
    port: 0,
    stateDir: path.join(tmp, 'emulator'),
    world,
    pollIntervalMs: 50,
    deferDrifts: true,
    log: () => undefined,
  });
  let runtime: NodeChild | undefined;
  let tap: http.Server | undefined;
  try {
    const store = openSqliteMetadataStore({ file: db });
    await seedDemoWorld(store, JSON.parse(readFileSync(world, 'utf8')));
    await store.close();

    // the tap: a second subscription to the ARM events, recording the emulator's event time per assignment id
    const eventTime = new Map<string, number>();
    tap = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const events = JSON.parse(Buffer.concat(chunks).toString() || '[]') as {
          eventType: string;
          subject: string;
          eventTime: string;
          data?: { validationCode?: string };
        }[];
        const validation = events.find((e) => e.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent');
        if (validation) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ validationResponse: validation.data?.validationCode }));
          return;
        }
        for (const e of events)
          if (e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' && !eventTime.has(e.subject.toLowerCase()))
            eventTime.set(e.subject.toLowerCase(), Date.parse(e.eventTime));
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((r) => tap!.listen(0, '127.0.0.1', r));
    const tapUrl = `http://127.0.0.1:${(tap.address() as AddressInfo).port}/`;

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const stateDir = path.join(tmp, 'runtime');
    const mi = emulator.endpoints.managedIdentity;
    runtime = await startNodeChild({
      script: path.join(build, 'runtime', 'main.js'),
      args: [
        '--app',
        root,
        '--main',
        path.relative(root, path.join(build, 'functions', 'index.js')),
        '--port',
        String(port),
        '--state-dir',
        stateDir,
        '--settings',
        path.join(tmp, 'no-local-settings.json'),
      ],
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: emulator.caCertPath,
        IDENTITY_ENDPOINT: mi.IDENTITY_ENDPOINT,
        IDENTITY_HEADER: mi.IDENTITY_HEADER,
        AZURE_AUTHORITY_HOST: emulator.endpoints.entraAuthorityHost,
        AZURE_TENANT_ID: emulator.endpoints.tenantId,
        TASKHUB_NAME: 'wardenbench',
        WARDEN_TENANT_ID: emulator.endpoints.tenantId,
        WARDEN_AUTHORITY_HOST: emulator.endpoints.entraAuthorityHost,
        WARDEN_SUBSCRIPTION_ID: emulator.endpoints.subscriptionId,
        WARDEN_ARM_ENDPOINT: emulator.endpoints.armEndpoint,
        WARDEN_API_AUDIENCES: 'api://warden',
        WARDEN_PRINCIPAL_IDS: WARDEN,
        WARDEN_METADATA_DB: db,
        WARDEN_NOTIFIER: 'none',
        WARDEN_BLAST_MAX_DELETES: '1000',
        WARDEN_BLAST_MAX_DELETE_SHARE: '1',
        WARDEN_APP_VERSION: '0.0.0-bench',
      },
      readyUrl: `${base}/api/health`,
      timeoutMs: 60_000,
    });
    const keys = JSON.parse(readFileSync(path.join(stateDir, 'keys.json'), 'utf8')) as {
      systemKeys: { eventgrid_extension: string };
    };
    const spec = (
      JSON.parse(readFileSync(path.join(root, 'infra', 'event-subscriptions.json'), 'utf8')) as {
        subscriptions: { name: string; function: string; topic: string; includedEventTypes: string[] }[];
      }
    ).subscriptions[0]!;
    const topic = spec.topic.replace('{subscriptionId}', sub);
    const code = encodeURIComponent(keys.systemKeys.eventgrid_extension);
    for (const [name, endpointUrl] of [
      [spec.name, `${base}/runtime/webhooks/eventgrid?functionName=${spec.function}&code=${code}`],
      ['bench-tap', tapUrl],
    ] as const) {
      const r = await emulator.admin('PUT', `/admin/eventgrid/subscriptions/${name}`, {
        topic,
        endpointUrl,
        includedEventTypes: spec.includedEventTypes,
      });
      if (r.status >= 300) throw new Error(`subscription ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    }

    // the load: one out-of-band grant per event, distinct principals, paced at `rate` per second
    const total = Math.round(rate * seconds);
    const principals = Array.from({ length: total }, (_, i) => guid(7, i));
    for (let i = 0; i < total; i += 50)
      await Promise.all(
        principals.slice(i, i + 50).map(async (id, k) => {
          const r = await emulator.admin('PUT', `/admin/principals/${id}`, {
            type: 'User',
            displayName: `bench-oob-${i + k}`,
          });
          if (r.status >= 300) throw new Error(`principal ${id}: ${r.status} ${JSON.stringify(r.body)}`);
        }),
      );
    const idOf = new Map<string, string>();
    const writeErrors: string[] = [];
    let written = 0;
    const t0 = performance.now();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const principalId = principals[i]!;
      writes.push(
        emulator
          .admin('POST', '/admin/arm/role-assignments', {
            scope: RG,
            principalId,
            role: 'Reader',
            principalType: 'User',
          })
          .then((r) => {
            if (r.status >= 300) {
              writeErrors.push(`grant ${i}: ${r.status} ${JSON.stringify(r.body)}`);
              return;
            }
            const body = r.body as { id?: string; name?: string };
            idOf.set(
              principalId,
              (body.id ?? `${RG}/providers/Microsoft.Authorization/roleAssignments/${body.name}`).toLowerCase(),
            );
            written++;
          })
          .catch((err: unknown) => {
            writeErrors.push(`grant ${i}: ${String(err)}`);
          }),
      );
    }
    await Promise.all(writes);
    if (writeErrors.length > 0)
      process.stderr.write(`${writeErrors.length} grants failed to write, e.g. ${writeErrors[0]}\n`);

    // the audited removals: access.step.applied rows naming the principal
    const audit = new DatabaseSync(db, { readOnly: true });
    const removedAt = new Map<string, number>();
    const pending = new Set(principals);
    let seq = 0;
    const drainDeadline = Date.now() + 60_000;
    try {
      while (pending.size > 0 && Date.now() < drainDeadline) {
        const rows = audit
          .prepare(`SELECT seq, at, after FROM audit_log WHERE seq > ? AND action = 'access.step.applied' ORDER BY seq`)
          .all(seq) as { seq: number; at: string; after: string | null }[];
        for (const row of rows) {
          seq = row.seq;
          for (const g of row.after?.match(GUID_RE) ?? []) if (pending.delete(g)) removedAt.set(g, Date.parse(row.at));
        }
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      audit.close();
    }
    const listed = await emulator.admin('GET', '/admin/arm/role-assignments');
    const present = new Set(
      ((listed.body as { value: { properties?: { principalId?: string }; principalId?: string }[] }).value ?? []).map(
        (a) => (a.properties?.principalId ?? a.principalId ?? '').toLowerCase(),
      ),
    );
    const stillPresent = principals.filter((p) => present.has(p)).length;
    const latencies: number[] = [];
    for (const p of principals) {
      const removed = removedAt.get(p);
      const at = eventTime.get(idOf.get(p) ?? '');
      if (removed !== undefined && at !== undefined) latencies.push(removed - at);
    }
    latencies.sort((a, b) => a - b);
    const reverted = principals.filter((p) => removedAt.has(p) && !present.has(p)).length;
    return {
      workload: 'event to remediation',
      rate,
      seconds,
      grants: total,
      written,
      eventsSeen: eventTime.size,
      reverted,
      auditedRemovals: removedAt.size,
      stillPresent,
      p50ms: percentile(latencies, 50),
      p99ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] ?? NaN,
      runtimeCpuSeconds: null,
    };
  } finally {
    await runtime?.stop();
    const t = tap;
    if (t) await new Promise<void>((r) => t.close(() => r()));
    await emulator.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  if (!only || only === 'planning') {
    const small = planning(10_000);
    const large = planning(100_000);
    const ratio = large.medianMs / small.medianMs;
    for (const r of [small, large]) {
      const target = r.policies === 100_000 ? ` (target < 1000 ms, ${r.medianMs < 1000 ? 'MET' : 'MISSED'})` : '';
      process.stdout.write(
        `${r.workload}: median ${r.medianMs.toFixed(0)} ms over ${r.runs} runs${target} [min ${r.minMs.toFixed(0)}, max ${r.maxMs.toFixed(0)}; CPU median ${r.cpuMedianMs.toFixed(0)} ms] ` +
          `for ${r.policies} policies × ${r.assignments} assignments → ${r.steps.create} creates, ${r.steps.delete} deletes ` +
          `(${r.steps.needsApproval} gated), ${r.notes} notes; baseline (key Map build + probe) ${r.baselineMedianMs.toFixed(0)} ms, ` +
          `ratio to baseline ${r.ratioToBaseline.toFixed(1)}\n`,
      );
    }
    process.stdout.write(
      `planning scaling: 100k/10k = ${ratio.toFixed(1)} (linear = 10; baseline ${(large.baselineMedianMs / small.baselineMedianMs).toFixed(1)})\n`,
    );
    results.push({ ...small }, { ...large }, { workload: 'planning scaling', ratio100kTo10k: ratio });
  }
  if (!only || only === 'events') {
    const e = await eventToRemediation(50, quick ? 10 : 60);
    const ok = e.p99ms < 500 && e.reverted === e.grants ? 'MET' : 'MISSED';
    process.stdout.write(
      `${e.workload}: ${e.grants} out-of-band grants at ${e.rate}/s for ${e.seconds} s → p50 ${e.p50ms.toFixed(0)} ms, ` +
        `p99 ${e.p99ms.toFixed(0)} ms, max ${e.maxMs.toFixed(0)} ms (target p99 < 500 ms and every drift reverted, ${ok}); ` +
        `reverted ${e.reverted}/${e.grants}, audited removals ${e.auditedRemovals}, still present ${e.stillPresent}, ` +
        `events seen by the tap ${e.eventsSeen}\n`,
    );
    results.push({ ...e });
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = path.join(RESULTS_DIR, 'reconcile.json');
  writeFileSync(
    out,
    `${JSON.stringify({ at: new Date().toISOString(), node: process.version, quick, results }, null, 2)}\n`,
  );
  process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
