/**
 * The CLI's sessions: one JSON file per profile in the config dir (`WARDEN_CONFIG_DIR`, default
 * `~/.config/warden`), the dir 0700 and every file 0600. A session holds the API's URL, how to get a token again and
 * the current access token with its expiry — never a client secret or an admin key (those are read from their files
 * or environment variables each time).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CliError, EXIT } from './errors';

export type LoginMode = 'local' | 'client-credentials' | 'device-code';

export interface Session {
  readonly api: string;
  readonly mode: LoginMode;
  /** Who the token is for (object id and name from its claims), for messages. */
  readonly principal: { readonly id: string; readonly name: string; readonly roles: readonly string[] };
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresOn: number;
  /** Local: the emulator state dir and the principal (or client) the emulator mints tokens for. */
  readonly local?: { readonly emulatorState: string; readonly principalId?: string; readonly clientId?: string };
  /** Azure: what a new token needs (the secret's source, never the secret). */
  readonly azure?: {
    readonly tenantId: string;
    readonly clientId: string;
    readonly scope: string;
    readonly authorityHost?: string;
    readonly secretEnv?: string;
    readonly secretFile?: string;
  };
}

export function configDir(env: NodeJS.ProcessEnv): string {
  return env.WARDEN_CONFIG_DIR || path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'warden');
}

const PROFILE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function sessionFile(dir: string, profile: string): string {
  if (!PROFILE.test(profile))
    throw new CliError(
      `--profile must be letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(profile)}`,
      EXIT.usage,
    );
  return path.join(dir, `session.${profile}.json`);
}

export function saveSession(dir: string, profile: string, session: Session): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = sessionFile(dir, profile);
  writeFileSync(file, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function loadSession(dir: string, profile: string): Session | undefined {
  const file = sessionFile(dir, profile);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CliError(`The session file ${file} is not valid JSON; run \`warden login\` again.`, EXIT.auth);
  }
  const s = parsed as Partial<Session>;
  if (
    typeof s.api !== 'string' ||
    typeof s.accessToken !== 'string' ||
    typeof s.expiresOn !== 'number' ||
    typeof s.mode !== 'string' ||
    typeof s.principal !== 'object'
  )
    throw new CliError(`The session file ${file} is incomplete; run \`warden login\` again.`, EXIT.auth);
  return s as Session;
}

export function removeSession(dir: string, profile: string): boolean {
  const file = sessionFile(dir, profile);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}

/** The claims of a JWT (no verification: the API verifies; the CLI only shows who it is). */
export function tokenClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function principalOf(token: string): Session['principal'] {
  const c = tokenClaims(token);
  const id = typeof c.oid === 'string' ? c.oid : typeof c.sub === 'string' ? c.sub : 'unknown';
  const name =
    typeof c.name === 'string'
      ? c.name
      : typeof c.appid === 'string'
        ? `app ${c.appid}`
        : typeof c.azp === 'string'
          ? `app ${c.azp}`
          : id;
  const roles = Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === 'string') : [];
  return { id, name, roles };
}
