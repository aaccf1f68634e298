// End to end: the `warden` CLI as a child process (its own config dir) against the local runtime running the real
// app (a child trusting the emulator's CA) and the emulator (Entra tokens minted through its admin API, ARM).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { freePort, type NodeChild } from '../../../lib/node-child';
import { openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { API_APP_ID, startAppRuntime } from '../../support/app-runtime';
import { callApi, mintApiTokens } from '../../support/warden-api-client';

const SUB = '748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml`;
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const MALLORY = 'bf92cd29-2eee-4e3b-9d96-85a7d1118887';
const PIPELINE_SP = 'a35e1e22-b578-47e3-ab2a-efc3f7322b15';
const OWNER_GUID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Assignment {
  name?: string;
  properties?: { scope?: string; principalId?: string; roleDefinitionId?: string };
}

describe('warden CLI end to end: login, metadata, plan, apply, four-eyes approval, status, audit', () => {
  const root = findRepoRoot(__dirname);
  const build = path.resolve(__dirname, '..', '..', '..');
  const cliMain = path.join(build, 'cli', 'main.js');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-cli-e2e-'));
  const configDir = path.join(tmp, 'config');
  const emulatorState = path.join(tmp, 'emulator');
  const db = path.join(tmp, 'metadata.db');
  let emulator: RunningEmulator;
  let runtime: NodeChild | undefined;
  let base = '';

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      stateDir: emulatorState,
      world: path.join(root, 'demo', 'world.json'),
      pollIntervalMs: 50,
      deferDrifts: true,
      log: () => undefined,
    });
    // What `npm start`'s emulator writes and `warden login --local` reads.
    emulator.emulator.writeEndpointsFile();
    const store = openSqliteMetadataStore({ file: db });
    await seedDemoWorld(store, JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')));
    await store.close();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    runtime = await startAppRuntime({
      emulator,
      root,
      build,
      port,
      stateDir: path.join(tmp, 'runtime'),
      noSettingsFile: path.join(tmp, 'no-local-settings.json'),
      metadataDb: db,
      taskHub: 'wardenclie2e',
      env: {
        WARDEN_HOST_OVERRIDES: JSON.stringify(emulator.endpoints.origins ?? {}),
        WARDEN_NOTIFIER: 'none',
        WARDEN_CLOCK_FILE: path.join(tmp, 'clock.json'),
        WARDEN_APP_VERSION: '0.0.0-cli-e2e',
        // The one-minute enforcement sweep plans and reverts every scope: off here, so a drift stays until the
        // CLI's own plan/apply (as the Functions host's AzureWebJobs.<name>.Disabled setting does on Azure).
        'AzureWebJobs.sweepEnforcement.Disabled': 'true',
      },
    });
  });

  after(async () => {
    await runtime?.stop();
    await emulator?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** `node .build/…/cli/main.js <args>` with its own config dir, from a cwd without .warden/. */
  function warden(...args: string[]): Promise<CliRun> {
    return wardenWith({}, ...args);
  }

  function wardenWith(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliMain, ...args], {
        cwd: tmp,
        env: {
          PATH: process.env.PATH ?? '',
          WARDEN_CONFIG_DIR: configDir,
          WARDEN_EMULATOR_STATE: emulatorState,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const show = (r: CliRun) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

  async function ownersAt(scope: string): Promise<string[]> {
    const r = await warden('plane', 'GET', '/arm/role-assignments', '--json');
    assert.equal(r.code, 0, show(r));
    const body = JSON.parse(r.stdout) as Assignment[] | { value?: Assignment[] };
    const list = Array.isArray(body) ? body : (body.value ?? []);
    return list
      .filter(
        (a) =>
          (a.properties?.scope ?? '').toLowerCase() === scope.toLowerCase() &&
          (a.properties?.roleDefinitionId ?? '').endsWith(OWNER_GUID),
      )
      .map((a) => a.properties?.principalId ?? '');
  }

  test('without a login: exit 3 and how to log in', async () => {
    const r = await warden('policies', 'list');
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /Not logged in/);
  });

  test('an unknown flag: exit 2 naming it', async () => {
    const r = await warden('policies', 'list', '--bogus');
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--bogus/);
  });

  test('login as Ada against the local stack: session 0600, roles shown, the token never printed', async () => {
    const r = await warden('login', '--local', '--user', 'ada', '--api', base);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Logged in to .* as Ada Lovelace \(6690be11-5387-4f81-9be0-9eba69a0dd12\)/);
    assert.match(r.stdout, /Warden\.PolicyAdmin/);
    const file = path.join(configDir, 'session.default.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { accessToken: string }).accessToken;
    assert.ok(token.length > 100);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the token is never printed');
    const who = await warden('whoami', '--json');
    assert.equal((JSON.parse(who.stdout) as { principal: { id: string } }).principal.id, ADA);
  });

  test('an unknown local user: exit 4 listing the users', async () => {
    const r = await warden('login', '--local', '--user', 'nobody', '--api', base, '--profile', 'nobody');
    assert.equal(r.code, 4, show(r));
    assert.match(r.stderr, /Ada Lovelace/);
  });

  test('list policies: a table for people, --json parsed back', async () => {
    const human = await warden('policies', 'list');
    assert.equal(human.code, 0, show(human));
    assert.match(human.stdout, /^ID\s+PRINCIPAL_TYPE\s+PRINCIPAL_ID\s+ROLE/m);
    assert.match(human.stdout, /^ap-ada-reader\s+User\s+6690be11-5387-4f81-9be0-9eba69a0dd12\s+Reader/m);
    const json = await warden('policies', 'list', '--json', '--where', 'principal_type=User');
    assert.equal(json.code, 0, show(json));
    const items = (JSON.parse(json.stdout) as { items: { id: string; principal_type: string }[] }).items;
    assert.ok(items.some((p) => p.id === 'ap-ada-reader'));
    assert.ok(items.every((p) => p.principal_type === 'User'));
    const missing = await warden('policies', 'get', 'ap-does-not-exist');
    assert.equal(missing.code, 4, show(missing));
  });

  test('a malformed file: exit 2 naming the file, nothing written', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(bad, 'principal_id: [unclosed\n');
    const r = await warden('policies', 'set', 'ap-cli-bad', '--file', bad);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /bad\.yaml is not valid YAML/);
    assert.equal((await warden('policies', 'get', 'ap-cli-bad')).code, 4);
  });

  test('set with a conflict: a stale file is refused (412 → exit 5) and the current version named', async () => {
    const created = await warden(
      'policies',
      'set',
      'ap-cli-reader',
      '--json',
      '--set',
      'principal_id=95d764b4-de42-46a3-bb72-8b382714c04a',
      '--set',
      'principal_type=Group',
      '--set',
      'role=Reader',
      '--set',
      `scope=${RG}`,
      '--set',
      'justification=CLI end-to-end test',
    );
    assert.equal(created.code, 0, show(created));
    assert.equal((JSON.parse(created.stdout) as { version: number }).version, 1);
    const read = await warden('policies', 'get', 'ap-cli-reader', '--json');
    const file = path.join(tmp, 'ap-cli-reader.json');
    writeFileSync(file, read.stdout);
    const other = await warden('policies', 'set', 'ap-cli-reader', '--set', 'justification=Changed by someone else');
    assert.equal(other.code, 0, show(other));
    assert.match(other.stdout, /Replaced access policy 'ap-cli-reader' \(version 2\)/);
    const stale = await warden('policies', 'set', 'ap-cli-reader', '--file', file);
    assert.equal(stale.code, 5, show(stale));
    assert.match(
      stale.stderr,
      /changed since version 1 was read — it is now version 2, last written by 6690be11-.*\(Ada Lovelace\)/,
    );
    const now = JSON.parse((await warden('policies', 'get', 'ap-cli-reader', '--json')).stdout) as {
      version: number;
      justification: string;
    };
    assert.deepEqual([now.version, now.justification], [2, 'Changed by someone else']);
  });

  /**
   * Until the runs the metadata writes started have finished (the SQL trigger reconciles the scope after each policy
   * write; a run planning after the drift below would revert it before the CLI plans it). The trigger polls once a
   * second and may pick the two writes up in separate polls, so the first run can finish after the last write while
   * the second has not started yet: settled means no run, an outcome after the last write, and nothing new for three
   * polling intervals.
   */
  async function settle(): Promise<void> {
    const [token] = Object.values(await mintApiTokens(emulator, { ada: ADA }));
    const deadline = Date.now() + 60_000;
    const page = async (p: string) =>
      ((await callApi(base, 'GET', p, { token })).body as { items: { seq: number }[] }).items;
    let quietSince: { seq: number; at: number } | undefined;
    for (;;) {
      const writes = await page('audit?target=access_policies%2Fap-cli-reader&limit=200');
      const lastWrite = Math.max(0, ...writes.map((e) => e.seq));
      const outcomes = await page(`audit?action=access.outcome&target=${encodeURIComponent(RG)}&limit=200`);
      const lastOutcome = Math.max(0, ...outcomes.map((e) => e.seq));
      const running = await page('orchestrations?runtimeStatus=Running,Pending,ContinuedAsNew');
      if (running.length > 0 || lastOutcome < lastWrite) quietSince = undefined;
      else if (quietSince?.seq !== lastOutcome) quietSince = { seq: lastOutcome, at: Date.now() };
      else if (Date.now() - quietSince.at >= 3_000) return;
      if (Date.now() > deadline) assert.fail(`the runs did not settle:\n${runtime?.output.join('').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  test('plan shows an out-of-band Owner as a "-" line; apply removes it and follows the run to Completed', async () => {
    await settle();
    const grant = await warden(
      'plane',
      'POST',
      '/arm/role-assignments',
      '--as',
      ADA,
      '--data',
      JSON.stringify({ scope: RG, principalId: MALLORY, role: 'Owner', principalType: 'User' }),
    );
    assert.equal(grant.code, 0, show(grant));
    assert.ok((await ownersAt(RG)).includes(MALLORY));
    const plan = await warden('plan', RG);
    assert.equal(plan.code, 0, show(plan));
    assert.match(plan.stdout, new RegExp(`^- Owner for ${MALLORY} \\(User\\) at ${RG}$`, 'm'));
    assert.match(plan.stdout, /0 to create, 1 to delete; would be applied by `warden apply`\./);
    const planJson = JSON.parse((await warden('plan', RG, '--json')).stdout) as {
      dryRun: boolean;
      plan: { steps: { action: string; principalId: string }[] };
    };
    assert.equal(planJson.dryRun, true);
    assert.deepEqual(
      planJson.plan.steps.map((s) => [s.action, s.principalId]),
      [['delete', MALLORY]],
    );
    assert.ok((await ownersAt(RG)).includes(MALLORY), 'a plan changes nothing');
    const applied = await warden('apply', RG);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /reconcileAccess \S+: Completed/);
    assert.match(applied.stdout, /access\.step\.applied .* by 6690be11-.*\(Ada Lovelace\)/);
    assert.ok(!(await ownersAt(RG)).includes(MALLORY), 'the out-of-band Owner is gone');
  });

  test('a gated plan: Ada asks for Owner, cannot approve herself (exit 6), Grace approves, status follows the grant', async () => {
    const ownerFile = path.join(tmp, 'owner.yaml');
    writeFileSync(
      ownerFile,
      [
        `principal_id: ${PIPELINE_SP}`,
        'principal_type: ServicePrincipal',
        'role: Owner',
        `scope: ${RG}`,
        'justification: The training pipeline deploys its own endpoints this quarter',
        '',
      ].join('\n'),
    );
    const set = await warden('policies', 'set', 'ap-cli-pipeline-owner', '-f', ownerFile);
    assert.equal(set.code, 0, show(set));
    const approvalId = /approval (apr-[0-9a-f-]+)\./.exec(set.stdout)?.[1];
    assert.ok(approvalId, show(set));
    const plan = await warden('plan', RG);
    assert.match(
      plan.stdout,
      new RegExp(
        `^\\+ Owner for ${PIPELINE_SP} \\(ServicePrincipal\\) at ${RG} \\[policy ap-cli-pipeline-owner\\]$`,
        'm',
      ),
    );
    assert.match(plan.stdout, new RegExp(`^    awaits approval ${approvalId}`, 'm'));
    const pending = JSON.parse((await warden('approvals', 'list', '--json')).stdout) as { items: { id: string }[] };
    assert.ok(pending.items.some((a) => a.id === approvalId));

    const self = await warden('approvals', 'approve', approvalId, '-m', 'my own');
    assert.equal(self.code, 6, show(self));
    assert.match(self.stderr, /four eyes/);
    assert.ok(!(await ownersAt(RG)).includes(PIPELINE_SP), 'not granted before the approval');

    const grace = await warden('login', '--local', '--user', 'grace', '--api', base, '--profile', 'grace');
    assert.equal(grace.code, 0, show(grace));
    const approved = await warden('approvals', 'approve', approvalId, '--profile', 'grace', '-m', 'reviewed', '--json');
    assert.equal(approved.code, 0, show(approved));
    const decision = JSON.parse(approved.stdout) as {
      approval: { decision: string; decided_by: string };
      remediation: { started: boolean; instanceId?: string };
    };
    assert.equal(decision.approval.decision, 'approved');
    assert.match(decision.approval.decided_by, new RegExp(GRACE));
    assert.equal(decision.remediation.started, true);
    const status = await warden('status', decision.remediation.instanceId!, '--profile', 'grace');
    assert.equal(status.code, 0, show(status));
    assert.match(status.stdout, /reconcileAccess \S+: Completed/);
    assert.ok((await ownersAt(RG)).includes(PIPELINE_SP), 'granted after the approval');
    const again = await warden('approvals', 'approve', approvalId, '--profile', 'grace');
    assert.equal(again.code, 5, show(again));
  });

  test('audit tail: lines for people, --json entries naming who did what', async () => {
    const human = await warden('audit', 'tail', '-n', '5');
    assert.equal(human.code, 0, show(human));
    const lines = human.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5, human.stdout);
    for (const l of lines) assert.match(l, /^#\d+ \d{4}-\d\d-\d\dT\S+ \S+ \S+ by /);
    const json = await warden('audit', 'tail', '-n', '200', '--json');
    const entries = JSON.parse(json.stdout) as { seq: number; action: string; target: string; actor: string }[];
    assert.ok(entries.length > 0);
    assert.deepEqual(
      entries.map((e) => e.seq),
      [...entries.map((e) => e.seq)].sort((a, b) => a - b),
      'in seq order',
    );
    assert.ok(
      entries.some((e) => e.target === 'access_policies/ap-cli-pipeline-owner' && /Ada Lovelace/.test(e.actor)),
      'the policy write by Ada',
    );
    assert.ok(
      entries.some((e) => e.action === 'access.step.applied' && /Grace Hopper/.test(e.actor)),
      "the grant on Grace's approval",
    );
    const events = JSON.parse((await warden('events', 'tail', '-n', '200', '--json')).stdout) as { action: string }[];
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => !/\.(insert|update|delete)$/.test(e.action) && e.action !== 'api.rejected'));
  });

  test('audit verify: Ada lacks Warden.Auditor (exit 3, the role named); Grace verifies the chain', async () => {
    const ada = await warden('audit', 'verify');
    assert.equal(ada.code, 3, show(ada));
    assert.match(ada.stderr, /needs the app role Warden\.Auditor, which Ada Lovelace/);
    const grace = await warden('audit', 'verify', '--profile', 'grace', '--json');
    assert.equal(grace.code, 0, show(grace));
    assert.equal((JSON.parse(grace.stdout) as { ok: boolean }).ok, true);
  });

  test('client credentials (the Azure path, @azure/identity against the local Entra): a Reader app reads; a write names Warden.PolicyAdmin', async () => {
    const appId = 'c1668f6c-5b42-4098-a44a-b87b56c1e998'; // sp-fraud-training-pipeline
    const assigned = await emulator.admin('POST', '/admin/appRoleAssignments', {
      principalId: PIPELINE_SP,
      appId: API_APP_ID,
      role: 'Warden.Reader',
    });
    assert.ok(assigned.status < 300, JSON.stringify(assigned.body));
    const secret = await emulator.admin('POST', `/admin/apps/${appId}/secrets`, { displayName: 'cli e2e' });
    assert.ok(secret.status < 300, JSON.stringify(secret.body));
    const secretFile = path.join(tmp, 'pipeline-secret');
    writeFileSync(secretFile, (secret.body as { secret: string }).secret, { mode: 0o600 });
    const trust = { NODE_EXTRA_CA_CERTS: emulator.caCertPath };
    const login = await wardenWith(
      trust,
      'login',
      '--api',
      base,
      '--tenant',
      emulator.endpoints.tenantId,
      '--client-id',
      appId,
      '--client-secret-file',
      secretFile,
      '--authority-host',
      emulator.endpoints.entraAuthorityHost,
      '--profile',
      'pipeline',
    );
    assert.equal(login.code, 0, show(login));
    assert.match(login.stdout, new RegExp(`as app ${appId} \\(${PIPELINE_SP}\\)`));
    const session = readFileSync(path.join(configDir, 'session.pipeline.json'), 'utf8');
    assert.ok(!session.includes((secret.body as { secret: string }).secret), 'the secret is not stored');
    const list = await wardenWith(trust, 'policies', 'list', '--profile', 'pipeline', '--json');
    assert.equal(list.code, 0, show(list));
    assert.ok((JSON.parse(list.stdout) as { items: unknown[] }).items.length > 0);
    const write = await wardenWith(trust, 'policies', 'delete', 'ap-cli-reader', '--profile', 'pipeline');
    assert.equal(write.code, 3, show(write));
    assert.match(write.stderr, new RegExp(`needs the app role Warden\\.PolicyAdmin, which app ${appId}`));
  });

  test('device code (the Azure path against the local Entra): the code on stderr, completed as Ada, then a read with that session', async () => {
    const world = JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')) as {
      warden: { cli: { appId: string } };
    };
    const args = [
      'login',
      '--device-code',
      '--api',
      base,
      '--tenant',
      emulator.endpoints.tenantId,
      '--client-id',
      world.warden.cli.appId,
      '--authority-host',
      emulator.endpoints.entraAuthorityHost,
      '--profile',
      'device',
    ];
    const child = spawn(process.execPath, [cliMain, ...args], {
      cwd: tmp,
      env: { PATH: process.env.PATH ?? '', WARDEN_CONFIG_DIR: configDir, NODE_EXTRA_CA_CERTS: emulator.caCertPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const closed = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    // The person reads the code the CLI printed on stderr and "types it in the browser" (the admin endpoint).
    const userCode = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /enter the code ([A-Z0-9]+) to authenticate/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      void closed.then((code) => reject(new Error(`login ended (exit ${code}) before printing a code:\n${stderr}`)));
    });
    const completed = await emulator.admin('POST', '/admin/entra/devicecode/complete', {
      user_code: userCode,
      user: 'ada@contoso.example',
    });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    const login: CliRun = { code: await closed, stdout, stderr };
    assert.equal(login.code, 0, show(login));
    assert.match(login.stdout, new RegExp(`as Ada Lovelace \\(${ADA}\\)`));
    assert.match(login.stdout, /device-code/);
    const session = JSON.parse(readFileSync(path.join(configDir, 'session.device.json'), 'utf8')) as {
      mode: string;
      accessToken: string;
      principal: { id: string; roles: string[] };
    };
    assert.equal(session.mode, 'device-code');
    assert.equal(session.principal.id, ADA);
    assert.ok(session.principal.roles.includes('Warden.PolicyAdmin'));
    assert.ok(!login.stdout.includes(session.accessToken) && !login.stderr.includes(session.accessToken));
    const list = await wardenWith(
      { NODE_EXTRA_CA_CERTS: emulator.caCertPath },
      'policies',
      'list',
      '--profile',
      'device',
      '--json',
    );
    assert.equal(list.code, 0, show(list));
    assert.ok((JSON.parse(list.stdout) as { items: { id: string }[] }).items.some((p) => p.id === 'ap-ada-reader'));
  });

  test('rotate, quarantine and release say "not available" (exit 7) exactly when the deployment lacks the route', async () => {
    const [ada] = Object.values(await mintApiTokens(emulator, { ada: ADA }));
    const doc = (await callApi(base, 'GET', 'openapi.json', { token: ada })).body as {
      paths: Record<string, { post?: unknown }>;
    };
    const cases: [string, string, string][] = [
      ['rotate', 'secrets', 'sec-does-not-exist'],
      ['quarantine', 'models', 'model-does-not-exist'],
      ['release', 'models', 'model-does-not-exist'],
    ];
    for (const [verb, collection, id] of cases) {
      const has = Object.entries(doc.paths).some(
        ([p, ops]) => new RegExp(`^/api/${collection}/\\{[A-Za-z0-9_]+\\}/${verb}$`).test(p) && ops.post,
      );
      const r = await warden(verb, id, '--no-wait');
      if (has) assert.notEqual(r.code, 7, show(r));
      else {
        assert.equal(r.code, 7, show(r));
        assert.match(r.stderr, /not available in this Warden deployment/);
      }
    }
  });
});
