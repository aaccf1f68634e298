// `npm start`: Warden's whole local system on one machine, in one command. It migrates the local metadata store
// and seeds the demo world into it if empty (printing a summary), then starts the local Azure (emulator/) and the
// local Functions runtime (runtime/) running the app, points the app at the emulator, and stays up until Ctrl-C.
import path from 'node:path';
import { parseArgs } from 'node:util';

import { findRepoRoot } from '../lib/find-repo-root';
import { loadSettings } from '../shared/config/load-settings';
import { readLocalSettingsValues, withLocalSettings } from '../shared/config/local-settings-file';
import { clockFromSettings } from '../shared/config/settings-clock';
import { SettingsError } from '../shared/config/settings-error';
import { describeMetadata } from '../shared/metadata/metadata-summary';
import { prepareLocalMetadata } from '../shared/metadata/seed/prepare-local-metadata';
import { readDemoWorld } from '../shared/metadata/seed/seed-demo-world';
import { type LocalStack, startLocalStack } from './local-stack';

const USAGE = `Usage: npm start -- [--reset] [--test-clock] [--metadata-only] [--emulator-port N] [--runtime-port N]

  --reset            start from empty local state (.warden/): metadata, emulator and runtime state
  --test-clock       let the admin APIs advance the shared clock (day-scale schedules in seconds)
  --metadata-only    migrate, seed and print the metadata summary, then exit
  --emulator-port N  the local Azure's HTTPS port (default 7443)
  --runtime-port N   the local Functions runtime's HTTP port (default 7071)`;

interface DemoWorldIds {
  principals?: { id?: unknown; displayName?: unknown }[];
  warden?: { principalId?: unknown; displayName?: unknown; api?: { appId?: unknown; identifierUri?: unknown } };
}

/** Principal display names from the demo world, for a readable summary. */
function principalNames(world: DemoWorldIds): Map<string, string> {
  const names = new Map<string, string>();
  for (const p of world.principals ?? [])
    if (typeof p.id === 'string' && typeof p.displayName === 'string') names.set(p.id.toLowerCase(), p.displayName);
  if (typeof world.warden?.principalId === 'string' && typeof world.warden.displayName === 'string')
    names.set(world.warden.principalId.toLowerCase(), world.warden.displayName);
  return names;
}

export async function main(
  argv: string[] = process.argv.slice(2),
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<LocalStack | undefined> {
  const args = parseArgs({
    args: argv,
    options: {
      reset: { type: 'boolean' },
      'test-clock': { type: 'boolean' },
      'metadata-only': { type: 'boolean' },
      'emulator-port': { type: 'string' },
      'runtime-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
  if (args.help) {
    write(`${USAGE}\n`);
    return undefined;
  }
  const root = findRepoRoot(__dirname);
  const stateDir = path.join(root, '.warden');
  const metadataFile = path.join(stateDir, 'metadata.db');
  const local = readLocalSettingsValues(root);
  // The store lives in .warden/ with the rest of the local state (so --reset clears it too).
  const env = withLocalSettings({ ...process.env, WARDEN_METADATA_DB: metadataFile }, local.values);
  const settings = loadSettings(env, root);
  if (args.reset) {
    const { rmSync } = await import('node:fs');
    for (const f of [metadataFile, `${metadataFile}-wal`, `${metadataFile}-shm`]) rmSync(f, { force: true });
  }
  const world = readDemoWorld(root) as DemoWorldIds;
  const { store, file, seed } = await prepareLocalMetadata({
    file: metadataFile,
    root,
    clock: clockFromSettings(settings),
  });
  try {
    write(
      `Warden metadata store: ${path.relative(root, file)} (settings from ${path.basename(local.file) || 'the environment'})\n`,
    );
    write(
      seed.seeded
        ? `Seeded the demo world (demo/world.json): ${Object.values(seed.rows).reduce((a, b) => a + b, 0)} rows.\n\n`
        : `Not seeded: ${seed.reason}; showing what is there.\n\n`,
    );
    write(`${await describeMetadata(store, principalNames(world))}\n`);
  } finally {
    await store.close();
  }
  if (args['metadata-only']) return undefined;

  const port = (value: string | undefined, fallback: number, name: string): number => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number, got ${value}`);
    return n;
  };
  const appSettings: Record<string, string> = {};
  for (const [k, v] of Object.entries(local.values)) if (v !== '' && process.env[k] === undefined) appSettings[k] = v;
  if (typeof world.warden?.principalId === 'string') appSettings.WARDEN_PRINCIPAL_IDS = world.warden.principalId;
  const api = world.warden?.api;
  if (typeof api?.identifierUri === 'string' && typeof api.appId === 'string')
    appSettings.WARDEN_API_AUDIENCES = `${api.identifierUri},${api.appId}`;
  appSettings.WARDEN_METADATA_DB = metadataFile;
  if (args['test-clock']) appSettings.WARDEN_CLOCK_MODE = 'test';
  const stack = await startLocalStack({
    root,
    stateDir,
    reset: args.reset ?? false,
    testClock: args['test-clock'] ?? false,
    emulatorPort: port(args['emulator-port'], 7443, 'emulator-port'),
    runtimePort: port(args['runtime-port'], 7071, 'runtime-port'),
    appSettings,
  });
  const e = stack.emulator;
  write(
    [
      '',
      'Warden is running locally:',
      `  app (local Functions runtime)   ${stack.runtimeBaseUrl}/api/…   health: ${stack.runtimeBaseUrl}/admin/health`,
      `  runtime keys                    ${path.join(path.relative(root, stateDir), 'runtime', 'keys.json')}`,
      `  local Azure (emulator)          ${e.baseUrl}   ARM: ${e.armEndpoint}`,
      `  Entra authority                 ${e.entraAuthorityHost}/${e.tenantId}`,
      `  emulator admin API              ${e.adminBaseUrl}   (x-emulator-admin-key in ${path.relative(root, e.adminKeyPath)})`,
      `  CA certificate (trust this)     ${path.relative(root, e.caCertPath)}`,
      `  shared clock                    ${path.relative(root, stack.appSettings.WARDEN_CLOCK_FILE ?? '')}${args['test-clock'] ? ' (test mode: POST /admin/clock/advance)' : ''}`,
      '',
      'Ctrl-C stops everything (in-flight work finishes first; state stays in .warden/).',
      '',
    ].join('\n'),
  );
  return stack;
}

if (require.main === module) {
  main().then(
    (stack) => {
      if (!stack) return;
      let stopping = false;
      const stop = (): void => {
        if (stopping) process.exit(130);
        stopping = true;
        process.stdout.write('Stopping…\n');
        stack.stop().then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`Stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof SettingsError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
