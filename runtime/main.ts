#!/usr/bin/env node
// The local Functions runtime's command line: node dist/runtime/main.js --app <dir> [--main <file>] [--port N] [--state-dir DIR]
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startRuntime } from './runtime';

const USAGE = `Usage: node dist/runtime/main.js [--app DIR] [--main FILE] [--port N] [--host ADDR] [--state-dir DIR] [--settings FILE] [--show-keys]

  --app DIR        the function app directory (package.json, host.json, local.settings.json); default: cwd
  --main FILE      entry point relative to the app (default: package.json "main")
  --port N         HTTP port (default: local.settings.json Host.LocalHttpPort, else 7071; 0 = any free port)
  --host ADDR      interface to listen on (default 127.0.0.1)
  --state-dir DIR  keys and component state (default: <app>/.warden/runtime)
  --settings FILE  local.settings.json to inject (default: <app>/local.settings.json)
  --show-keys      print the key store's location, master key and Event Grid key at start-up`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        app: { type: 'string' },
        main: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'state-dir': { type: 'string' },
        settings: { type: 'string' },
        'show-keys': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const appDir = path.resolve(args.app ?? process.cwd());
  const port = args.port === undefined ? undefined : Number(args.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be an integer 0-65535, got ${args.port}\n`);
    process.exit(2);
  }
  const runtime = await startRuntime({
    appDir,
    stateDir: path.resolve(args['state-dir'] ?? path.join(appDir, '.warden', 'runtime')),
    ...(port !== undefined ? { port } : {}),
    ...(args.main !== undefined ? { main: args.main } : {}),
    ...(args.host !== undefined ? { hostname: args.host } : {}),
    ...(args.settings !== undefined ? { localSettingsPath: path.resolve(args.settings) } : {}),
  });
  process.stdout.write(
    `Local Functions runtime listening on ${runtime.baseUrl} (health: ${runtime.baseUrl}/admin/health)\n`,
  );
  process.stdout.write(
    `Keys: ${runtime.keys.file} (GET ${runtime.baseUrl}/admin/keys with x-functions-key: <masterKey>)\n`,
  );
  if (args['show-keys']) {
    process.stdout.write(`  master key (_master):      ${runtime.keys.masterKey}\n`);
    process.stdout.write(`  eventgrid_extension key:   ${runtime.keys.systemKey('eventgrid_extension')}\n`);
  }
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled++;
    if (signalled > 1) {
      process.stderr.write(`${signal} again: exiting without waiting.\n`);
      process.exit(130);
    }
    process.stdout.write(`${signal}: stopping (in-flight invocations finish first)…\n`);
    runtime.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`Stop failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  // For an entry point that threw, its own stack is what the developer needs.
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause instanceof Error && cause.stack) process.stderr.write(`${cause.stack}\n`);
  process.exit(1);
});
