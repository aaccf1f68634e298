import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { SharedClock } from '../../../runtime/clock/shared-clock';
import type { RuntimeLogger } from '../../../runtime/host/runtime-services';
import { type RunningRuntime, startRuntime } from '../../../runtime/runtime';
import { parseNcrontab } from '../../../runtime/timer/ncrontab';
import {
  adminCall,
  eventually,
  makeTriggersApp,
  readRecords,
  TRIGGERS_APP_MAIN,
} from '../../fixtures/apps/triggers-app/test-support/harness';

const app = makeTriggersApp({ values: { SWEEP_FAIL_TIMES: '1' } });
const quiet: RuntimeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
let runtime: RunningRuntime | undefined;

after(async () => {
  await runtime?.stop();
  app.cleanup();
});

function start(env: Record<string, string> = {}): Promise<RunningRuntime> {
  return startRuntime({
    appDir: app.appDir,
    main: TRIGGERS_APP_MAIN,
    port: 0,
    stateDir: app.stateDir,
    logger: quiet,
    printTable: false,
    env,
  });
}

const sweeps = () => readRecords(app.logFile).filter((r) => r.fn === 'sweep');

test('the timer fires when the clock is advanced through the admin API, retries on the clock, and a missed occurrence runs once after a restart', async () => {
  runtime = await start();
  const rt = runtime;
  const clock = new SharedClock(app.clockFile, true);
  const next = parseNcrontab('0 0 * * * *').next(clock.now())!;
  const advance = async (ms: number) => {
    const r = await adminCall(rt.baseUrl, rt.keys.masterKey, 'POST', '/admin/clock/advance', { ms });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  };
  await advance(next - clock.now() + 50);
  await eventually(() => sweeps().length === 1, 'the first, failing attempt');
  const [first] = sweeps();
  assert.equal(first?.retryCount, 0);
  assert.equal(first?.isPastDue, false);
  const status = first?.scheduleStatus as { last: string; next: string; lastUpdated: string };
  assert.equal(status.last, '0001-01-01T00:00:00', 'the library camel-cases the host payload');
  assert.equal(Date.parse(status.next), next);
  await advance(60_000); // the retry policy's delay (1 minute) on the shared clock
  await eventually(() => sweeps().length === 2, 'the retry');
  assert.equal(sweeps()[1]?.retryCount, 1);

  await rt.stop();
  runtime = undefined;
  const missed = parseNcrontab('0 0 * * * *').next(clock.now())!;
  clock.advance(3 * 3_600_000); // three occurrences pass while the runtime is down

  runtime = await start({ SWEEP_FAIL_TIMES: '0' });
  await eventually(() => sweeps().length === 3, 'the past-due run');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const all = sweeps();
  assert.equal(all.length, 3, 'the missed occurrences run once');
  assert.equal(all[2]?.isPastDue, true);
  assert.equal(Date.parse((all[2]?.scheduleStatus as { next: string }).next), missed);
});
