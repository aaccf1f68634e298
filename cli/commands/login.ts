// warden login / logout / whoami
import type { CommandSpec } from '../args';
import { bool, str } from '../args';
import { clientCredentialsToken, credentialToken, type Ctx, defaultEmulatorState, mintLocalToken } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import { emulatorAdmin, readEmulatorEndpoints, WardenApi } from '../http';
import { keyValues } from '../render';
import { principalOf, removeSession, saveSession, type Session, sessionFile } from '../session';

const DEFAULT_LOCAL_API = 'http://127.0.0.1:7071';
const DEFAULT_SCOPE = 'api://warden/.default';

interface DirectoryPrincipal {
  id: string;
  type?: string;
  displayName?: string;
  userPrincipalName?: string;
  appId?: string;
}

/**
 * The directory principal a `--user` value names: its object id, its UPN (or the part before `@`), its display name
 * or the display name's first word (`ada` → Ada Lovelace), case-insensitively.
 */
export function matchPrincipal(wanted: string, principals: readonly DirectoryPrincipal[]): DirectoryPrincipal {
  const w = wanted.trim().toLowerCase();
  const people = principals.filter((p) => p.type !== 'Group');
  const tests: ((p: DirectoryPrincipal) => boolean)[] = [
    (p) => p.id.toLowerCase() === w,
    (p) => (p.userPrincipalName ?? '').toLowerCase() === w,
    (p) => (p.displayName ?? '').toLowerCase() === w,
    (p) => (p.userPrincipalName ?? '').toLowerCase().split('@')[0] === w,
    (p) => (p.displayName ?? '').toLowerCase().split(/\s+/)[0] === w,
  ];
  for (const test of tests) {
    const found = people.filter(test);
    if (found.length === 1) return found[0]!;
    if (found.length > 1)
      throw usageError(
        `--user '${wanted}' matches ${found.length} principals: ${found.map((p) => `${p.displayName} (${p.id})`).join(', ')}; use the object id.`,
      );
  }
  const users = people.filter((p) => p.type === 'User').map((p) => `${p.displayName ?? p.id} (${p.id})`);
  throw new CliError(
    `No user or service principal '${wanted}' in the local directory. Users: ${users.join(', ') || '(none)'}.`,
    EXIT.notFound,
  );
}

async function loginLocal(ctx: Ctx, p: Parameters<CommandSpec<Ctx>['run']>[1]): Promise<Session> {
  const user = str(p, 'user');
  const client = str(p, 'client-id');
  if (!user && !client)
    throw usageError('warden login --local needs --user <name|object id> (or --client-id <app id>).');
  if (user && client) throw usageError('Give --user or --client-id, not both.');
  const emulatorState = defaultEmulatorState(ctx.io, str(p, 'emulator-state'));
  const resource = (str(p, 'scope') ?? DEFAULT_SCOPE).replace(/\/\.default$/, '');
  let who: { principalId?: string; clientId?: string };
  if (user) {
    const endpoints = readEmulatorEndpoints(emulatorState);
    const listed = await emulatorAdmin(endpoints, 'GET', '/principals');
    if (listed.status !== 200)
      throw new CliError(`The local emulator did not list its principals (HTTP ${listed.status}).`, EXIT.failure);
    const principal = matchPrincipal(user, (listed.body as { value?: DirectoryPrincipal[] }).value ?? []);
    who = { principalId: principal.id };
  } else who = { clientId: client! };
  const token = await mintLocalToken(emulatorState, who, resource);
  return {
    api: str(p, 'api') ?? ctx.io.env.WARDEN_API_URL ?? DEFAULT_LOCAL_API,
    mode: 'local',
    principal: principalOf(token.accessToken),
    ...token,
    local: { emulatorState, ...who },
  };
}

async function loginAzure(ctx: Ctx, p: Parameters<CommandSpec<Ctx>['run']>[1]): Promise<Session> {
  const api = str(p, 'api') ?? ctx.io.env.WARDEN_API_URL;
  const tenantId = str(p, 'tenant') ?? ctx.io.env.AZURE_TENANT_ID;
  const clientId = str(p, 'client-id') ?? ctx.io.env.WARDEN_CLI_CLIENT_ID;
  if (!api || !tenantId || !clientId)
    throw usageError(
      'warden login on Azure needs --api <url>, --tenant <tenant id> and --client-id <app id> (or WARDEN_API_URL, AZURE_TENANT_ID, WARDEN_CLI_CLIENT_ID); for the local stack use `warden login --local --user <name>`.',
    );
  const scope = str(p, 'scope') ?? ctx.io.env.WARDEN_SCOPE ?? DEFAULT_SCOPE;
  const authorityHost = str(p, 'authority-host') ?? ctx.io.env.AZURE_AUTHORITY_HOST;
  const secretFile = str(p, 'client-secret-file');
  const secretEnv = str(p, 'client-secret-env') ?? (ctx.io.env.AZURE_CLIENT_SECRET ? 'AZURE_CLIENT_SECRET' : undefined);
  const base = { tenantId, clientId, scope, ...(authorityHost ? { authorityHost } : {}) };
  if (!bool(p, 'device-code') && (secretFile || secretEnv)) {
    const azure = { ...base, ...(secretFile ? { secretFile } : { secretEnv: secretEnv! }) };
    const token = await clientCredentialsToken(ctx.io, azure);
    return { api, mode: 'client-credentials', principal: principalOf(token.accessToken), ...token, azure };
  }
  const { DeviceCodeCredential } = await import('@azure/identity');
  const credential = new DeviceCodeCredential({
    tenantId,
    clientId,
    ...(authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {}),
    userPromptCallback: (info) => ctx.io.err(`${info.message}\n`),
  });
  const token = await credentialToken(() => credential.getToken(scope));
  return { api, mode: 'device-code', principal: principalOf(token.accessToken), ...token, azure: base };
}

export const LOGIN_COMMANDS: CommandSpec<Ctx>[] = [
  {
    words: ['login'],
    positionals: [0, 0],
    summary: 'Sign in: a configured user of the local stack, or device code / client credentials on Azure',
    options: {
      local: {
        type: 'boolean',
        description: 'sign in against the local stack (`npm start`): a token from its emulator',
      },
      user: { type: 'string', value: 'name|id', description: 'local: the user (ada, grace, a UPN or an object id)' },
      'client-id': {
        type: 'string',
        value: 'app id',
        description: 'Azure: the CLI app registration (client credentials or device code); local: an app-only token',
      },
      api: {
        type: 'string',
        value: 'url',
        description: `Warden's base URL (default $WARDEN_API_URL or ${DEFAULT_LOCAL_API} locally)`,
      },
      'emulator-state': {
        type: 'string',
        value: 'dir',
        description: 'local: the emulator state dir (default $WARDEN_EMULATOR_STATE or .warden/emulator above the cwd)',
      },
      tenant: { type: 'string', value: 'id', description: 'Azure: the Entra tenant (default $AZURE_TENANT_ID)' },
      scope: { type: 'string', value: 'scope', description: `the API scope (default ${DEFAULT_SCOPE})` },
      'client-secret-env': {
        type: 'string',
        value: 'VAR',
        description:
          'Azure: client credentials, the secret in this environment variable (default AZURE_CLIENT_SECRET when set)',
      },
      'client-secret-file': {
        type: 'string',
        value: 'file',
        description: 'Azure: client credentials, the secret in this file',
      },
      'device-code': {
        type: 'boolean',
        description:
          'Azure (or the local Entra with --authority-host): sign in as a person with a device code (the default without a secret)',
      },
      'authority-host': { type: 'string', value: 'url', description: 'Azure: a non-default Entra authority host' },
    },
    help: `The session (API URL, token and how to renew it; never a secret) is saved 0600 in $WARDEN_CONFIG_DIR
(default ~/.config/warden) as session.<profile>.json. Tokens are never printed.

Examples:
  warden login --local --user ada
  warden login --local --user grace --profile grace
  warden login --api https://warden.example.net --tenant <tenant> --client-id <cli app> --device-code
  NODE_EXTRA_CA_CERTS=.warden/emulator/ca.pem warden login --device-code --api http://127.0.0.1:7071 \\
    --tenant <tenantId> --client-id <cli app> --authority-host <entraAuthorityHost>   # the local Entra (endpoints.json)
  AZURE_CLIENT_SECRET=… warden login --api https://warden.example.net --tenant <tenant> --client-id <pipeline app>`,
    run: async (ctx, p) => {
      const local = bool(p, 'local') || (str(p, 'user') !== undefined && str(p, 'tenant') === undefined);
      const session = local ? await loginLocal(ctx, p) : await loginAzure(ctx, p);
      // Check the session against the API (a 403 still proves the token is accepted).
      const api = new WardenApi(session.api, () => Promise.resolve(session.accessToken), ctx.io.fetch);
      await api.request('GET', 'status', { accept: [403] });
      const file = saveSession(ctx.configDir, ctx.profile, session);
      ctx.print(
        {
          api: session.api,
          mode: session.mode,
          principal: session.principal,
          expiresOn: new Date(session.expiresOn).toISOString(),
          profile: ctx.profile,
          sessionFile: file,
        },
        () =>
          `Logged in to ${session.api} as ${session.principal.name} (${session.principal.id})\n` +
          `  roles: ${session.principal.roles.join(', ') || '(none)'}\n` +
          `  session: ${file} (profile ${ctx.profile}, ${session.mode}; renewed automatically${session.mode === 'device-code' ? ' until it expires' : ''})\n`,
      );
      return EXIT.ok;
    },
  },
  {
    words: ['logout'],
    positionals: [0, 0],
    summary: "Forget this profile's session",
    options: {},
    run: (ctx) => {
      const removed = removeSession(ctx.configDir, ctx.profile);
      ctx.print({ removed, profile: ctx.profile }, () =>
        removed ? `Logged out (profile ${ctx.profile}).\n` : `No session for profile ${ctx.profile}.\n`,
      );
      return Promise.resolve(EXIT.ok);
    },
  },
  {
    words: ['whoami'],
    positionals: [0, 0],
    summary: 'Who this profile is signed in as, its roles and where',
    options: {},
    run: (ctx) => {
      const s = ctx.session();
      const expires = new Date(s.expiresOn).toISOString();
      ctx.print({ api: s.api, mode: s.mode, principal: s.principal, expiresOn: expires, profile: ctx.profile }, () =>
        keyValues([
          ['profile', ctx.profile],
          ['api', s.api],
          ['signed in as', `${s.principal.name} (${s.principal.id})`],
          ['roles', s.principal.roles.join(', ') || '(none)'],
          ['mode', s.mode],
          ['token expires', expires],
          ['session file', sessionFile(ctx.configDir, ctx.profile)],
        ]),
      );
      return Promise.resolve(EXIT.ok);
    },
  },
];
