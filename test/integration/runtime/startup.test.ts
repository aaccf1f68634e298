import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { formatFunctionTable } from '../../../runtime/host/registrations';
import { FIXTURE_APP, makeAppDir, startTestRuntime, tempStateDir } from './startup-fixture';

describe('start-up: registration capture and checks', () => {
  test('every trigger type is captured and listed with its route or source', async () => {
    const rt = await startTestRuntime();
    try {
      const byName = new Map(rt.functions.map((r) => [r.name, r]));
      assert.deepEqual(byName.get('echo'), {
        name: 'echo',
        trigger: 'httpTrigger',
        source: 'GET,POST,PUT /api/echo/{id:int}/{name?} [anonymous]',
      });
      assert.equal(byName.get('secure')?.source, 'GET /api/secure [function]');
      assert.equal(byName.get('onEvent')?.trigger, 'eventGridTrigger');
      assert.equal(byName.get('onEvent')?.source, 'POST /runtime/webhooks/eventgrid?functionName=onEvent');
      assert.deepEqual(byName.get('everyFiveMinutes'), {
        name: 'everyFiveMinutes',
        trigger: 'timerTrigger',
        source: 'schedule 0 */5 * * * *',
      });
      assert.equal(byName.get('onItemChange')?.source, 'table dbo.Items (RUNTIME_APP_SQL)');
      assert.equal(byName.get('onCommand')?.source, 'queue commands');
      assert.equal(byName.get('onNotice')?.source, 'topic notices/runtime');
      assert.equal(byName.get('onNotice')?.trigger, 'serviceBusTrigger');
      assert.equal(byName.get('helloOrchestrator')?.trigger, 'orchestrationTrigger');
      assert.equal(byName.get('sayHello')?.trigger, 'activityTrigger');
      const table = formatFunctionTable(rt.functions);
      const lines = table.split('\n');
      assert.match(lines[0] ?? '', /^\s+Function\s+Trigger\s+Route or source$/);
      assert.equal(lines.length, rt.functions.length + 2);
      assert.ok(lines.some((l) => /^\s+echo\s+httpTrigger\s+GET,POST,PUT \/api\/echo/.test(l)));
    } finally {
      await rt.stop();
    }
  });

  test('no function registered: start-up fails with a clear message', async () => {
    await assert.rejects(
      startTestRuntime({ appDir: makeAppDir({ entry: path.join(FIXTURE_APP, 'bad/empty.js') }) }),
      /Start-up failed: no function registered/,
    );
  });

  test('two functions with one name: start-up fails naming it', async () => {
    await assert.rejects(
      startTestRuntime({ appDir: makeAppDir({ entry: path.join(FIXTURE_APP, 'bad/duplicate.js') }) }),
      /more than one function is named "twice"/,
    );
  });

  test('unsupported triggers and entities: start-up fails listing each offending function', async () => {
    await assert.rejects(
      startTestRuntime({ appDir: makeAppDir({ entry: path.join(FIXTURE_APP, 'bad/unsupported.js') }) }),
      (e: Error) => {
        assert.match(e.message, /2 function\(s\) cannot be served/);
        assert.match(e.message, /fromQueue: queueTrigger — no component serves this trigger type/);
        assert.match(e.message, /counter: entityTrigger — durable entities are not supported/);
        assert.doesNotMatch(e.message, /fine:/);
        return true;
      },
    );
  });

  test('a trigger without its component fails; after failures the same process starts an app again', async () => {
    await assert.rejects(startTestRuntime({ components: [] }), /onCommand: serviceBusTrigger — no component serves/);
    const rt = await startTestRuntime();
    try {
      assert.equal((await fetch(`${rt.baseUrl}/api/hello`)).status, 200);
    } finally {
      await rt.stop();
    }
  });

  test('a second runtime in the same process is refused while the first runs', async () => {
    const rt = await startTestRuntime();
    try {
      await assert.rejects(startTestRuntime(), /already running in this process; stop\(\) it first/);
      assert.equal((await fetch(`${rt.baseUrl}/api/hello`)).status, 200, 'the first one is untouched');
    } finally {
      await rt.stop();
    }
  });

  test("stop() runs appTerminate hooks (with appStart's hookData) and closes the listener", async () => {
    const rt = await startTestRuntime();
    const state = (globalThis as unknown as { __runtimeApp: { terminated: number; terminatedWith?: unknown } })
      .__runtimeApp;
    const before = state.terminated;
    await rt.stop();
    assert.equal(state.terminated, before + 1);
    assert.equal(state.terminatedWith, 'appStart', 'appStart and appTerminate share the app-level hookData');
    await assert.rejects(fetch(`${rt.baseUrl}/api/hello`));
  });
});

describe('the CLI (node dist/runtime/main.js)', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  const failedStart = async (entry: string): Promise<{ code: number | null; err: string }> => {
    const appDir = makeAppDir({ entry: path.join(FIXTURE_APP, entry) });
    const child = spawn(
      process.execPath,
      [
        path.resolve(__dirname, '../../../runtime/main.js'),
        '--app',
        appDir,
        '--port',
        '0',
        '--state-dir',
        tempStateDir(),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.resume();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    return { code, err };
  };

  test('HTTP streaming is refused at start-up with a clear message', async () => {
    const { code, err } = await failedStart('bad/streaming.js');
    assert.equal(code, 1);
    assert.match(err, /enables HTTP streaming .* does not support/);
  });

  test('a start-up failure exits 1 with the reason on stderr', async () => {
    const { code, err } = await failedStart('bad/unsupported.js');
    assert.equal(code, 1);
    assert.match(err, /counter: entityTrigger — durable entities are not supported/);
    assert.match(err, /fromQueue: queueTrigger/);
  });

  test('prints the table, serves, and on SIGTERM lets the in-flight invocation finish, runs appTerminate, exits 0', async () => {
    const appDir = makeAppDir({ entry: path.join(FIXTURE_APP, 'lifecycle.js') });
    const marker = path.join(os.tmpdir(), `warden-terminate-${process.pid}-${Date.now()}`);
    const child = spawn(
      process.execPath,
      [
        path.resolve(__dirname, '../../../runtime/main.js'),
        '--app',
        appDir,
        '--port',
        '0',
        '--state-dir',
        tempStateDir(),
      ],
      {
        env: {
          ...process.env,
          RUNTIME_APP_TERMINATE_FILE: marker,
          RUNTIME_APP_SLOW_MS: '500',
          WARDEN_LOG_LEVEL: 'debug',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let out = '';
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line; output:\n${out}`)), 20_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
    });
    assert.match(out, /Function\s+Trigger\s+Route or source/);
    assert.match(out, /slow\s+httpTrigger\s+GET \/api\/slow \[anonymous\]/);
    const health = await fetch(`${baseUrl}/admin/health`);
    assert.equal(health.status, 200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const inFlight = fetch(`${baseUrl}/api/slow`);
    // SIGTERM only once the invocation is running (the debug log says so), however slow the machine.
    const deadline = Date.now() + 20_000;
    while (!/"event":"function\.start"[^\n]*"functionName":"slow"/.test(out) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(out, /"event":"function\.start"/);
    child.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'done');
    assert.equal(await exited, 0);
    assert.ok(existsSync(marker), `appTerminate did not run; output:\n${out}`);
    assert.equal(readFileSync(marker, 'utf8'), 'terminated');
  });
});
