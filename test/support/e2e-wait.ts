/**
 * Waiting in the end-to-end suites: poll a condition until it holds, and wait until the app's remediation runs have
 * settled — one copy for every suite that runs the app in the local runtime.
 */
import assert from 'node:assert/strict';

import { callApi } from './warden-api-client';

/**
 * Polls `probe` every 200 ms until it yields something other than `undefined` or `false`, and returns that; past
 * `timeoutMs` it fails naming what it waited for, with the tail of `log()` (the runtime's output).
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  log: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Until the API lists no running, pending or continued-as-new orchestration (`token` needs Warden.Reader). */
export async function settleRuns(base: string, token: string, log: () => string, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    'the runs to settle',
    async () => {
      const running = await callApi(base, 'GET', 'orchestrations?runtimeStatus=Running,Pending,ContinuedAsNew', {
        token,
      });
      assert.equal(running.status, 200, JSON.stringify(running.body));
      return (running.body as { items: unknown[] }).items.length === 0 ? true : undefined;
    },
    timeoutMs,
    log,
  );
}
