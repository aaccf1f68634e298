// Helpers shared by the runtime's integration tests: a temporary app directory around the compiled runtime-app
// fixture, stand-in components for the triggers other modules serve, and a logger that records instead of printing.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RuntimeComponent, RuntimeLogger } from '../../../runtime/host/runtime-services';
import { createLogger, type LogEntry } from '../../../runtime/logging/runtime-logger';
import { type RunningRuntime, startRuntime, type StartRuntimeOptions } from '../../../runtime/runtime';

/** The compiled fixture app (its index.js sits next to this file's compiled twin). */
export const FIXTURE_APP = path.resolve(__dirname, '../../fixtures/apps/runtime-app');

/** The repository root (package.json named "warden"), for non-compiled fixtures such as JSON events. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'warden') return dir;
    } catch {
      // keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
}

export function readEventFixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'test/fixtures/events', name), 'utf8'));
}

/** A temporary app directory whose package.json points at a compiled entry point. */
export function makeAppDir(
  options: {
    entry?: string;
    hostJson?: unknown;
    localSettings?: unknown;
  } = {},
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-runtime-app-'));
  const entry = options.entry ?? path.join(FIXTURE_APP, 'index.js');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'runtime-app', main: entry }));
  writeFileSync(path.join(dir, 'host.json'), JSON.stringify(options.hostJson ?? { version: '2.0' }));
  if (options.localSettings !== undefined) {
    writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify(options.localSettings));
  }
  return dir;
}

export function tempStateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-runtime-state-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Serves trigger types without doing anything (for registrations another component owns). */
export function standIn(triggerTypes: string[]): RuntimeComponent {
  return {
    name: `stand-in(${triggerTypes.join(',')})`,
    triggerTypes,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}

/** The trigger types of the fixture app that other modules serve. */
export const OTHER_TRIGGERS = [
  'timerTrigger',
  'sqlTrigger',
  'serviceBusTrigger',
  'orchestrationTrigger',
  'activityTrigger',
];

export interface TestRuntime extends RunningRuntime {
  logs: LogEntry[];
}

/** Starts the runtime on an ephemeral port with a recording logger; stand-ins serve the other modules' triggers. */
export async function startTestRuntime(options: Partial<StartRuntimeOptions> = {}): Promise<TestRuntime> {
  const logs: LogEntry[] = [];
  const logger: RuntimeLogger = createLogger({
    sink: { write: () => true },
    json: true,
    level: 'debug',
    onEntry: (e) => logs.push(e),
  });
  const runtime = await startRuntime({
    appDir: options.appDir ?? makeAppDir(),
    stateDir: options.stateDir ?? tempStateDir(),
    port: 0,
    logger,
    printTable: false,
    components: [standIn(OTHER_TRIGGERS)],
    ...options,
  });
  return Object.assign(runtime, { logs });
}
