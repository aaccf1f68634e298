/**
 * What every command gets: where to write, how to show things (tables or `--json`), the profile's session and a
 * {@link WardenApi} whose token is renewed when it has expired (locally from the emulator; with client credentials
 * from the secret's source) — or a clear "log in" error (exit 3).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { CliError, EXIT } from './errors';
import { emulatorAdmin, type FetchLike, readEmulatorEndpoints, WardenApi } from './http';
import type { Style } from './render';
import { configDir, loadSession, principalOf, saveSession, type Session } from './session';

/** The process around the CLI (replaced in unit tests). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly fetch: FetchLike;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Ctx {
  readonly io: CliIo;
  readonly json: boolean;
  readonly style: Style;
  readonly profile: string;
  readonly configDir: string;
  /** The profile's session; throws "not logged in" (exit 3) when there is none. */
  session(): Session;
  /** The API as the logged-in caller. */
  api(): WardenApi;
  /** `--json` → the value as JSON; otherwise the human text. */
  print(value: unknown, human: () => string): void;
}

const EXPIRY_MARGIN_MS = 60_000;

export function createContext(io: CliIo, values: Record<string, unknown>): Ctx {
  const json = values.json === true;
  const profile = typeof values.profile === 'string' ? values.profile : io.env.WARDEN_PROFILE || 'default';
  const dir = configDir(io.env);
  const style: Style = { color: io.stdoutIsTTY && !json && values['no-color'] !== true && !io.env.NO_COLOR };
  let cached: Session | undefined;
  const session = (): Session => {
    if (cached) return cached;
    const s = loadSession(dir, profile);
    if (!s)
      throw new CliError(
        `Not logged in${profile === 'default' ? '' : ` (profile ${profile})`}. Run \`warden login --local --user ada\` against the local stack, or \`warden login --api <url> --tenant <tenant> --client-id <app>\` on Azure.`,
        EXIT.auth,
      );
    cached = s;
    return s;
  };
  const ctx: Ctx = {
    io,
    json,
    style,
    profile,
    configDir: dir,
    session,
    api: () => {
      const s = session();
      return new WardenApi(
        io.env.WARDEN_API_URL || s.api,
        async () => {
          const fresh = await freshToken(ctx, session());
          cached = fresh;
          return fresh.accessToken;
        },
        io.fetch,
        `${s.principal.name} (${s.principal.id})`,
      );
    },
    print: (value, human) => io.out(json ? `${JSON.stringify(value, null, 2)}\n` : human()),
  };
  return ctx;
}

/** The session with a token valid for at least another minute (renewed and saved when needed). */
async function freshToken(ctx: Ctx, s: Session): Promise<Session> {
  if (s.expiresOn - EXPIRY_MARGIN_MS > ctx.io.now()) return s;
  let token: { accessToken: string; expiresOn: number };
  if (s.mode === 'local' && s.local) token = await mintLocalToken(s.local.emulatorState, s.local, resourceOf(s));
  else if (s.mode === 'client-credentials' && s.azure) token = await clientCredentialsToken(ctx.io, s.azure);
  else
    throw new CliError(
      `Your session expired at ${new Date(s.expiresOn).toISOString()}. Run \`warden login\` again.`,
      EXIT.auth,
    );
  const renewed: Session = { ...s, ...token, principal: principalOf(token.accessToken) };
  saveSession(ctx.configDir, ctx.profile, renewed);
  return renewed;
}

function resourceOf(s: Session): string {
  return s.azure?.scope.replace(/\/\.default$/, '') ?? 'api://warden';
}

/** A token for Warden's API minted by the local emulator's admin API (`POST /admin/tokens`). */
export async function mintLocalToken(
  emulatorState: string,
  who: { principalId?: string; clientId?: string },
  resource: string,
): Promise<{ accessToken: string; expiresOn: number }> {
  const endpoints = readEmulatorEndpoints(emulatorState);
  const minted = await emulatorAdmin(endpoints, 'POST', '/tokens', {
    ...(who.clientId ? { clientId: who.clientId } : { principalId: who.principalId }),
    resource,
  });
  const body = minted.body as { access_token?: string; expires_in?: number; expires_on?: number; message?: string };
  if (minted.status !== 200 || typeof body?.access_token !== 'string') {
    const why = (minted.body as { error?: { message?: string } })?.error?.message ?? JSON.stringify(minted.body);
    throw new CliError(
      `The local emulator did not mint a token (HTTP ${minted.status}): ${why}`,
      minted.status === 404 ? EXIT.notFound : minted.status === 401 ? EXIT.auth : EXIT.failure,
    );
  }
  const expiresOn =
    typeof body.expires_on === 'number'
      ? body.expires_on * (body.expires_on < 1e12 ? 1000 : 1)
      : Date.now() + (body.expires_in ?? 3600) * 1000;
  return { accessToken: body.access_token, expiresOn };
}

/** A client-credentials token with @azure/identity (the secret read from its env var or file, never stored). */
export async function clientCredentialsToken(
  io: CliIo,
  azure: NonNullable<Session['azure']>,
): Promise<{ accessToken: string; expiresOn: number }> {
  let secret: string | undefined;
  if (azure.secretFile) {
    if (!existsSync(azure.secretFile))
      throw new CliError(`The client secret file ${azure.secretFile} does not exist.`, EXIT.auth);
    secret = readFileSync(azure.secretFile, 'utf8').trim();
  } else if (azure.secretEnv) secret = io.env[azure.secretEnv];
  if (!secret)
    throw new CliError(
      `No client secret: set ${azure.secretEnv ?? 'AZURE_CLIENT_SECRET'} or pass --client-secret-file, then \`warden login\` again.`,
      EXIT.auth,
    );
  const { ClientSecretCredential } = await import('@azure/identity');
  const credential = new ClientSecretCredential(azure.tenantId, azure.clientId, secret, {
    ...(azure.authorityHost ? { authorityHost: azure.authorityHost, disableInstanceDiscovery: true } : {}),
  });
  return credentialToken(() => credential.getToken(azure.scope));
}

export async function credentialToken(
  get: () => Promise<{ token: string; expiresOnTimestamp: number } | null>,
): Promise<{ accessToken: string; expiresOn: number }> {
  let t: { token: string; expiresOnTimestamp: number } | null;
  try {
    t = await get();
  } catch (e) {
    // @azure/identity's messages name the tenant, client and AADSTS code, never the secret.
    throw new CliError(`Signing in failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, EXIT.auth);
  }
  if (!t) throw new CliError('Signing in returned no token.', EXIT.auth);
  return { accessToken: t.token, expiresOn: t.expiresOnTimestamp };
}

/** The local emulator's state dir: the flag, $WARDEN_EMULATOR_STATE, or `.warden/emulator` above the cwd. */
export function defaultEmulatorState(io: CliIo, flag: string | undefined): string {
  if (flag) return path.resolve(io.cwd, flag);
  if (io.env.WARDEN_EMULATOR_STATE) return path.resolve(io.cwd, io.env.WARDEN_EMULATOR_STATE);
  for (let dir = io.cwd; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.warden', 'emulator');
    if (existsSync(path.join(candidate, 'endpoints.json'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  return path.join(io.cwd, '.warden', 'emulator');
}
