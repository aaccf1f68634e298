import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { SharedClock } from '../../../runtime/clock/shared-clock';
import type { RuntimeLogger } from '../../../runtime/host/runtime-services';
import { type RunningRuntime, startRuntime } from '../../../runtime/runtime';
import { parseNcrontab } from '../../../runtime/timer/ncrontab';
import {
  adminCall,
  makeTriggersApp,
  readRecords,
  TRIGGERS_APP_MAIN,
} from '../../fixtures/apps/triggers-app/test-support/harness';

const app = makeTriggersApp();
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

test('AzureWebJobs.<name>.Disabled switches a timer and an HTTP route off, as the Functions host does', async () => {
  runtime = await startRuntime({
    appDir: app.appDir,
    main: TRIGGERS_APP_MAIN,
    port: 0,
    stateDir: app.stateDir,
    logger: quiet,
    printTable: false,
    env: { 'AzureWebJobs.sweep.Disabled': 'true', 'AzureWebJobs.publish.Disabled': '1' },
  });
  const rt = runtime;
  assert.match(rt.functions.find((f) => f.name === 'sweep')?.source ?? '', /\(disabled\)$/, 'the table says so');
  assert.doesNotMatch(rt.functions.find((f) => f.name === 'ordered')?.source ?? '', /disabled/);

  const res = await fetch(`${rt.baseUrl}/api/publish`, { method: 'POST', body: '[]' });
  assert.equal(res.status, 404, 'a disabled HTTP function has no route');

  // The sweep timer's next occurrence passes (and two more): nothing fires.
  const clock = new SharedClock(app.clockFile, true);
  const next = parseNcrontab('0 0 * * * *').next(clock.now())!;
  const r = await adminCall(rt.baseUrl, rt.keys.masterKey, 'POST', '/admin/clock/advance', {
    ms: next - clock.now() + 2 * 3_600_000 + 50,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(readRecords(app.logFile).filter((rec) => rec.fn === 'sweep').length, 0, 'the disabled timer never ran');
});
