#!/usr/bin/env node
// `warden`: Warden's command line. Every command goes through Warden's HTTP API (docs/cli.md); `plane` alone talks
// to the local emulator's admin API.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { findRepoRoot } from '../lib/find-repo-root';
import { commandHelp, type CommandSpec, overviewHelp, resolveCommand } from './args';
import { APPROVAL_COMMANDS } from './commands/approvals';
import { AUDIT_COMMANDS } from './commands/audit';
import { ENFORCEMENT_COMMANDS } from './commands/enforcement';
import { LOGIN_COMMANDS } from './commands/login';
import { METADATA_COMMANDS } from './commands/metadata';
import { PLANE_COMMANDS } from './commands/plane';
import { POISON_COMMANDS } from './commands/poison';
import { type CliIo, createContext, type Ctx } from './context';
import { CliError, EXIT } from './errors';

export const COMMANDS: readonly CommandSpec<Ctx>[] = [
  ...LOGIN_COMMANDS,
  ...METADATA_COMMANDS,
  ...ENFORCEMENT_COMMANDS,
  ...APPROVAL_COMMANDS,
  ...AUDIT_COMMANDS,
  ...POISON_COMMANDS,
  ...PLANE_COMMANDS,
];

function version(): string {
  try {
    const pkg = path.join(findRepoRoot(__dirname), 'package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs one command line and returns its exit code (errors are printed to stderr, never thrown). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const r = resolveCommand(argv, COMMANDS);
    if (r.kind === 'version') {
      io.out(`warden ${version()}\n`);
      return EXIT.ok;
    }
    if (r.kind === 'help') {
      io.out(r.command ? commandHelp(r.command) : overviewHelp(COMMANDS, r.topic));
      return EXIT.ok;
    }
    return await r.command.run(createContext(io, r.parsed.values), r.parsed);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`warden: ${e.message}\n${e.details.map((d) => `  ${d}\n`).join('')}`);
      return e.exitCode;
    }
    io.err(`warden: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.failure;
  }
}

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    stdoutIsTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

if (require.main === module) {
  void run(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}
