// Child-process entry for the durable integration tests: the real runtime (startRuntime) with the durable component,
// on an ephemeral port, so a test can kill -9 it and start it again on the same state directory.
import { existsSync } from 'node:fs';
import path from 'node:path';

import { createDurableComponent } from '../../../../runtime/durable/durable-component';
import { createLogger } from '../../../../runtime/logging/runtime-logger';
import { startRuntime } from '../../../../runtime/runtime';

async function main(): Promise<void> {
  const stateDir = process.env.DURABLE_TEST_STATE_DIR;
  if (!stateDir) throw new Error('DURABLE_TEST_STATE_DIR is required');
  // The app directory is the source one (host.json lives there, tsc does not copy it); main is the compiled entry.
  const compiledApp = path.resolve(__dirname, '../../../fixtures/apps/durable-app');
  let repo = compiledApp;
  while (!existsSync(path.join(repo, 'package.json')) && path.dirname(repo) !== repo) repo = path.dirname(repo);
  const appDir = path.join(repo, 'test', 'fixtures', 'apps', 'durable-app');
  const runtime = await startRuntime({
    appDir,
    main: path.relative(appDir, path.join(compiledApp, 'index.js')),
    port: 0,
    stateDir,
    localSettingsPath: null,
    printTable: false,
    logger: createLogger({ sink: process.stderr, json: true, level: 'warn' }),
    components: [
      createDurableComponent({
        maxConcurrentActivities: Number(process.env.DURABLE_TEST_ACTIVITIES ?? 16),
        maxBodyBytes: 64 * 1024,
      }),
    ],
  });
  process.stdout.write(`READY ${runtime.baseUrl} ${runtime.keys.masterKey}\n`);
  const stop = (): void => {
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stdout.write(`FAILED ${(e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(3);
});
