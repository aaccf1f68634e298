// `npm start`: until the local runtime and emulator are wired in, migrate the local metadata store, seed the demo
// world into it if empty, and print a summary. The steps are functions (prepareLocalMetadata, describeMetadata) so a
// bigger launcher can call them before it starts the emulator and the runtime.
import path from 'node:path';

import { loadSettings } from '../shared/config/load-settings';
import { readLocalSettingsValues, withLocalSettings } from '../shared/config/local-settings-file';
import { clockFromSettings } from '../shared/config/settings-clock';
import { SettingsError } from '../shared/config/settings-error';
import { describeMetadata } from '../shared/metadata/metadata-summary';
import { findRepoRoot } from '../shared/metadata/seed/find-repo-root';
import { prepareLocalMetadata } from '../shared/metadata/seed/prepare-local-metadata';
import { readDemoWorld } from '../shared/metadata/seed/seed-demo-world';

/** Principal display names from the demo world, for a readable summary. */
function principalNames(world: unknown): Map<string, string> {
  const names = new Map<string, string>();
  const w = world as {
    principals?: { id?: unknown; displayName?: unknown }[];
    warden?: { principalId?: unknown; displayName?: unknown };
  };
  for (const p of w.principals ?? [])
    if (typeof p.id === 'string' && typeof p.displayName === 'string') names.set(p.id.toLowerCase(), p.displayName);
  if (typeof w.warden?.principalId === 'string' && typeof w.warden.displayName === 'string')
    names.set(w.warden.principalId.toLowerCase(), w.warden.displayName);
  return names;
}

export async function main(write: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const root = findRepoRoot(__dirname);
  const local = readLocalSettingsValues(root);
  const settings = loadSettings(withLocalSettings(process.env, local.values), root);
  if (settings.metadata.dialect !== 'sqlite')
    throw new Error(
      'npm start runs the local system on SQLite: set WARDEN_METADATA_DB to a file path (Azure SQL is for Azure).',
    );
  const { store, file, seed } = await prepareLocalMetadata({
    file: settings.metadata.file,
    root,
    clock: clockFromSettings(settings),
  });
  try {
    write(
      `Warden metadata store: ${path.relative(root, file) || file} (settings from ${path.basename(local.file) || 'the environment'})\n`,
    );
    write(
      seed.seeded
        ? `Seeded the demo world (demo/world.json): ${Object.values(seed.rows).reduce((a, b) => a + b, 0)} rows.\n\n`
        : `Not seeded: ${seed.reason}; showing what is there.\n\n`,
    );
    write(`${await describeMetadata(store, principalNames(readDemoWorld(root)))}\n`);
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof SettingsError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
