/**
 * Running a Node.js script as a child process until it answers on HTTP, and stopping it the way a supervisor does
 * (SIGTERM, then SIGKILL after a grace period) — for end-to-end tests and benchmarks that run the local runtime as a
 * separate process (NODE_EXTRA_CA_CERTS is read only at process start).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for a child that must be told its port). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface NodeChild {
  readonly child: ChildProcess;
  /** Everything the child printed (stdout and stderr), for failure messages. */
  readonly output: string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node <script> <args>` with exactly `env` (the caller decides what the child inherits) and resolves once
 * `readyUrl` answers 200; rejects with the child's last output when it exits or `timeoutMs` passes first.
 */
export async function startNodeChild(options: {
  script: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  readyUrl: string;
  timeoutMs?: number;
}): Promise<NodeChild> {
  const child = spawn(process.execPath, [options.script, ...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const handle: NodeChild = { child, output, stop: (graceMs = 5000) => stopChild(child, graceMs) };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    try {
      if ((await fetch(options.readyUrl)).status === 200) return handle;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await handle.stop();
      throw new Error(
        `${options.script} did not become ready at ${options.readyUrl}:\n${output.join('').slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}
