// warden plane <METHOD> <path> — passthrough to the local emulator's admin API (docs/emulator.md "Admin API").
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { type CommandSpec, str } from '../args';
import { type Ctx, defaultEmulatorState } from '../context';
import { CliError, EXIT, type ExitCode, usageError } from '../errors';
import { emulatorAdmin, readEmulatorEndpoints } from '../http';
import { loadSession } from '../session';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The exit code of an admin API answer. */
export function exitOfStatus(status: number): ExitCode {
  if (status >= 200 && status < 300) return EXIT.ok;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 400 || status === 415 || status === 422) return EXIT.usage;
  if (status === 501) return EXIT.notAvailable;
  return EXIT.failure;
}

/** `--data`: JSON text, or `@file` holding JSON; malformed → exit 2. */
export function readData(data: string | undefined, cwd: string): unknown {
  if (data === undefined) return undefined;
  let text = data;
  let from = '--data';
  if (data.startsWith('@')) {
    const file = path.resolve(cwd, data.slice(1));
    if (!existsSync(file)) throw usageError(`--data ${data}: no such file`);
    text = readFileSync(file, 'utf8');
    from = `--data ${data}`;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw usageError(`${from} is not valid JSON: ${(e as Error).message}`);
  }
}

export const PLANE_COMMANDS: CommandSpec<Ctx>[] = [
  {
    words: ['plane'],
    args: '<METHOD> <path>',
    positionals: [2, 2],
    summary: "Call the local emulator's admin API (out-of-band changes, tokens, Event Grid, clock): /admin + path",
    options: {
      data: { type: 'string', short: 'd', value: 'json|@file', description: 'the JSON body' },
      as: { type: 'string', value: 'object id', description: 'the out-of-band change’s actor (x-emulator-caller)' },
      'emulator-state': {
        type: 'string',
        value: 'dir',
        description: "the emulator's state dir (default: the session's, $WARDEN_EMULATOR_STATE or .warden/emulator)",
      },
    },
    help: `Local stack only (the emulator is the local Azure; on Azure there is no admin API). The admin key is read
from the emulator's state dir each time; it is never stored or printed. The answer is printed as JSON.

Examples:
  warden plane GET /principals
  warden plane POST /arm/resources/public-network-access -d '{"resourceId":"…/stfraudraw","value":"Enabled"}'
  warden plane POST /arm/role-assignments --as <object id> -d @grant.json`,
    run: async (ctx, p) => {
      const method = p.positionals[0]!.toUpperCase();
      if (!METHODS.includes(method))
        throw usageError(`METHOD must be one of ${METHODS.join(', ')}, got '${p.positionals[0]}'`);
      let adminPath = p.positionals[1]!;
      if (!adminPath.startsWith('/')) adminPath = `/${adminPath}`;
      adminPath = adminPath.replace(/^\/admin(?=\/|$)/, '');
      const body = readData(str(p, 'data'), ctx.io.cwd);
      const flag = str(p, 'emulator-state');
      const fromSession = flag ? undefined : loadSession(ctx.configDir, ctx.profile)?.local?.emulatorState;
      const endpoints = readEmulatorEndpoints(fromSession ?? defaultEmulatorState(ctx.io, flag));
      const as = str(p, 'as');
      const res = await emulatorAdmin(endpoints, method, adminPath, body, as ? { 'x-emulator-caller': as } : {});
      ctx.io.out(
        res.body === undefined
          ? ''
          : `${typeof res.body === 'string' ? res.body : JSON.stringify(res.body, null, 2)}\n`,
      );
      const code = exitOfStatus(res.status);
      if (code !== EXIT.ok) {
        const err = new CliError(`${method} /admin${adminPath} answered HTTP ${res.status}.`, code);
        ctx.io.err(`warden: ${err.message}\n`);
      }
      return code;
    },
  },
];
