import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SharedClock } from '../../../../runtime/clock/shared-clock';

/** A runtime child process serving the durable test app. */
export interface DurableRuntime {
  readonly baseUrl: string;
  readonly masterKey: string;
  readonly proc: ChildProcess;
  /** SIGKILL, no drain (the crash tests). */
  kill9(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/** A state directory and shared clock file for one test file; `cleanup()` removes them. */
export class DurableTestEnv {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'warden-durable-'));
  readonly stateDir = path.join(this.dir, 'state');
  readonly clockFile = path.join(this.dir, 'clock.json');
  readonly clock = new SharedClock(this.clockFile, true);
  private readonly children = new Set<ChildProcess>();

  async start(env: Record<string, string> = {}): Promise<DurableRuntime> {
    const entry = path.join(__dirname, 'durable-runtime-child.js');
    const proc = spawn(process.execPath, ['--no-warnings', entry], {
      env: {
        ...process.env,
        DURABLE_TEST_STATE_DIR: this.stateDir,
        WARDEN_CLOCK_FILE: this.clockFile,
        WARDEN_CLOCK_MODE: 'test',
        WARDEN_LOG_LEVEL: 'warn',
        DURABLE_TEST_HUB: 'WardenTestHub',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(proc);
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
      if (process.env.DURABLE_TEST_VERBOSE) process.stderr.write(d);
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => this.children.delete(proc));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /^(READY|FAILED) .*$/m.exec(out);
        if (m) {
          proc.stdout.off('data', onData);
          proc.stdout.resume();
          resolve(m[0]);
        }
      };
      proc.stdout.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`runtime exited (${code}) before ready: ${out}\n${stderr}`)));
    });
    if (line.startsWith('FAILED')) throw new Error(line.slice('FAILED '.length));
    const [, baseUrl, masterKey] = line.split(' ');
    return {
      baseUrl: baseUrl!,
      masterKey: masterKey!,
      proc,
      kill9: async () => {
        proc.kill('SIGKILL');
        await exited;
      },
      stop: async () => {
        proc.kill('SIGTERM');
        await exited;
      },
    };
  }

  /** Kills every child still running and removes the directory. */
  async cleanup(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function http(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  history?: Record<string, unknown>[];
  historyEvents?: Record<string, unknown>[];
}

/** Client operations through the test app's ClientOp function (the real DurableClient via df.getClient). */
export class Client {
  constructor(readonly rt: DurableRuntime) {}

  async start(name: string, input?: unknown, id?: string): Promise<{ id: string; reply: Reply }> {
    const reply = await http('POST', `${this.rt.baseUrl}/api/start/${name}${id ? `/${id}` : ''}`, input);
    if (reply.status !== 202) throw new Error(`start ${name}: ${reply.status} ${reply.text}`);
    return { id: (reply.json as { id: string }).id, reply };
  }

  async op(op: string, args: Record<string, unknown>): Promise<{ status: number; result?: unknown; error?: string }> {
    const r = await http('POST', `${this.rt.baseUrl}/api/client/${op}`, args);
    const j = (r.json ?? {}) as { result?: unknown; error?: string };
    return { status: r.status, ...j };
  }

  async status(id: string, opts: Record<string, unknown> = {}): Promise<Status> {
    const r = await this.op('status', { id, ...opts });
    if (r.status !== 200) throw new Error(`status ${id}: ${r.error}`);
    return r.result as Status;
  }

  async waitStatus(
    id: string,
    statuses: string[] = ['Completed', 'Failed', 'Terminated'],
    timeoutMs = 60_000,
  ): Promise<Status> {
    return waitFor(
      `${id} to reach ${statuses.join('/')}`,
      async () => {
        const s = await this.status(id);
        return statuses.includes(s.runtimeStatus) ? s : undefined;
      },
      timeoutMs,
    );
  }

  /** Raw call to the durable HTTP API (bad-input tests). */
  webhook(method: string, pathAndQuery: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
    return http(method, `${this.rt.baseUrl}/runtime/webhooks/durabletask/${pathAndQuery}`, body, headers);
  }

  admin(pathAndQuery: string): Promise<Reply> {
    return http('GET', `${this.rt.baseUrl}/admin/durable/${pathAndQuery}`, undefined, {
      'x-functions-key': this.rt.masterKey,
    });
  }
}
