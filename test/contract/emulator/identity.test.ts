/**
 * Contract: the emulator's Entra ID and managed identity endpoints, driven through @azure/identity exactly as the
 * app uses it, and the tokens checked with jose against the published JWKS.
 *
 * TLS trust: in-process clients get `tlsOptions: { ca }` (Node reads NODE_EXTRA_CA_CERTS only at start); the managed
 * identity test runs the credential in a child process started with NODE_EXTRA_CA_CERTS, IDENTITY_ENDPOINT and
 * IDENTITY_HEADER — exactly the environment the launcher gives the app.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { ClientSecretCredential, UsernamePasswordCredential } from '@azure/identity';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { probeModule, request, tempStateDir, testWorld } from './core-helpers';

const world = testWorld();
const TID = world.tenantId;
const PIPELINE_APP = 'c1668f6c-5b42-4098-a44a-b87b56c1e998';
const PIPELINE_SP = 'a35e1e22-b578-47e3-ab2a-efc3f7322b15';
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';

describe('emulator: Entra ID and managed identity', () => {
  let emu: RunningEmulator;
  let state: ReturnType<typeof tempStateDir>;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  let secret: string;

  before(async () => {
    state = tempStateDir();
    emu = await startEmulator({
      port: 0,
      stateDir: state.dir,
      world,
      modules: [probeModule()],
      testClock: true,
      clockFile: path.join(state.dir, 'clock.json'),
    });
    const keys = await request(emu.baseUrl, emu.caCert, 'GET', `/${TID}/discovery/v2.0/keys`);
    jwks = createLocalJWKSet(keys.json as JSONWebKeySet);
    const s = await emu.admin('POST', `/admin/apps/${PIPELINE_APP}/secrets`, { displayName: 'contract test' });
    assert.equal(s.status, 201);
    secret = (s.body as { secret: string }).secret;
  });
  after(async () => {
    await emu.stop();
    state.cleanup();
  });

  const credOpts = () => ({
    authorityHost: emu.baseUrl,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: emu.caCert },
  });

  test('OpenID configuration v2 and v1 carry what MSAL and resource servers need', async () => {
    const v2 = (await request(emu.baseUrl, emu.caCert, 'GET', `/${TID}/v2.0/.well-known/openid-configuration`))
      .json as Record<string, string>;
    for (const k of ['authorization_endpoint', 'token_endpoint', 'issuer', 'jwks_uri']) assert.ok(v2[k], k);
    assert.equal(v2.issuer, `${emu.baseUrl}/${TID}/v2.0`);
    const v1 = (await request(emu.baseUrl, emu.caCert, 'GET', `/${TID}/.well-known/openid-configuration`))
      .json as Record<string, string>;
    assert.equal(v1.issuer, `https://sts.windows.net/${TID}/`);
    assert.equal(v1.jwks_uri, `${emu.baseUrl}/${TID}/discovery/keys`);
    const k1 = (await request(emu.baseUrl, emu.caCert, 'GET', `/${TID}/discovery/keys`)).json as {
      keys: Array<Record<string, unknown>>;
    };
    assert.equal(k1.keys[0]!.kty, 'RSA');
    assert.equal(k1.keys[0]!.kid, k1.keys[0]!.x5t);
    assert.ok(Array.isArray(k1.keys[0]!.x5c));
    const bad = await request(emu.baseUrl, emu.caCert, 'GET', '/not-a-tenant/v2.0/.well-known/openid-configuration');
    assert.equal(bad.status, 400);
    assert.match((bad.json as { error_description: string }).error_description, /^AADSTS90002/);
  });

  test('ClientSecretCredential gets an ARM token with the claims Azure issues, verifiable with jose', async () => {
    const cred = new ClientSecretCredential(TID, PIPELINE_APP, secret, credOpts());
    const t = await cred.getToken('https://management.azure.com/.default');
    assert.ok(t.expiresOnTimestamp > Date.now());
    const { payload, protectedHeader } = await jwtVerify(t.token, jwks, {
      issuer: `https://sts.windows.net/${TID}/`,
      audience: 'https://management.azure.com',
      currentDate: new Date(emu.emulator.clock.now()),
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.ver, '1.0');
    assert.equal(payload.tid, TID);
    assert.equal(payload.oid, PIPELINE_SP);
    assert.equal(payload.sub, PIPELINE_SP);
    assert.equal(payload.appid, PIPELINE_APP);
    assert.equal(payload.appidacr, '1');
    assert.equal(payload.idtyp, 'app');
    for (const k of ['iat', 'nbf', 'exp']) assert.equal(typeof payload[k], 'number');
    // the token is accepted by ctx.authenticate with the ARM audiences
    const who = await request(emu.baseUrl, emu.caCert, 'GET', '/test/whoami', {
      headers: { authorization: `Bearer ${t.token}` },
    });
    assert.equal(who.status, 200);
    assert.deepEqual(who.json, { oid: PIPELINE_SP, appid: PIPELINE_APP, principalType: 'ServicePrincipal' });
  });

  test('bad credentials get Entra error bodies', async () => {
    const wrong = new ClientSecretCredential(TID, PIPELINE_APP, 'not-the-secret', credOpts());
    await assert.rejects(wrong.getToken('https://management.azure.com/.default'), /AADSTS7000215/);
    const unknown = new ClientSecretCredential(TID, '11111111-2222-3333-4444-555555555555', 'x', credOpts());
    await assert.rejects(unknown.getToken('https://management.azure.com/.default'), /AADSTS700016/);
    const form = (fields: Record<string, string>) => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const r = await request(
      emu.baseUrl,
      emu.caCert,
      'POST',
      `/${TID}/oauth2/v2.0/token`,
      form({
        grant_type: 'client_credentials',
        client_id: PIPELINE_APP,
        client_secret: 'nope',
        scope: 'https://management.azure.com/.default',
      }),
    );
    assert.equal(r.status, 401);
    const body = r.json as Record<string, unknown>;
    assert.equal(body.error, 'invalid_client');
    assert.deepEqual(body.error_codes, [7000215]);
    for (const k of ['error_description', 'timestamp', 'trace_id', 'correlation_id'])
      assert.equal(typeof body[k], 'string', k);
    const scope = await request(
      emu.baseUrl,
      emu.caCert,
      'POST',
      `/${TID}/oauth2/v2.0/token`,
      form({
        grant_type: 'client_credentials',
        client_id: PIPELINE_APP,
        client_secret: secret,
        scope: 'https://nowhere.example/.default',
      }),
    );
    assert.equal(scope.status, 400);
    assert.equal((scope.json as { error: string }).error, 'invalid_resource');
    const grant = await request(
      emu.baseUrl,
      emu.caCert,
      'POST',
      `/${TID}/oauth2/v2.0/token`,
      form({ grant_type: 'authorization_code', client_id: PIPELINE_APP }),
    );
    assert.equal((grant.json as { error: string }).error, 'unsupported_grant_type');
    const json = await request(emu.baseUrl, emu.caCert, 'POST', `/${TID}/oauth2/v2.0/token`, {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(json.status, 400);
    assert.equal((json.json as { error: string }).error, 'invalid_request');
  });

  test('the v1 token endpoint answers resource= requests with v1 fields', async () => {
    const r = await request(emu.baseUrl, emu.caCert, 'POST', `/${TID}/oauth2/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: PIPELINE_APP,
        client_secret: secret,
        resource: 'https://vault.azure.net',
      }).toString(),
    });
    assert.equal(r.status, 200);
    const b = r.json as Record<string, string>;
    assert.equal(b.resource, 'https://vault.azure.net');
    assert.match(b.expires_on!, /^\d+$/);
    assert.equal(decodeJwt(b.access_token!).aud, 'https://vault.azure.net');
  });

  test('a seeded user signs in with the password grant and gets the Warden app roles', async () => {
    const creds = JSON.parse(readFileSync(emu.endpoints.credentialsPath, 'utf8')) as { users: Record<string, string> };
    const password = creds.users['ada@contoso.example'];
    assert.ok(password);
    const cred = new UsernamePasswordCredential(
      TID,
      world.warden!.cli!.appId,
      'ada@contoso.example',
      password,
      credOpts(),
    );
    const t = await cred.getToken('api://warden/.default');
    const { payload } = await jwtVerify(t.token, jwks, {
      issuer: `https://sts.windows.net/${TID}/`,
      audience: 'api://warden',
      currentDate: new Date(emu.emulator.clock.now()),
    });
    assert.equal(payload.oid, ADA);
    assert.equal(payload.upn, 'ada@contoso.example');
    assert.equal(payload.name, 'Ada Lovelace');
    assert.equal(payload.appid, world.warden!.cli!.appId);
    assert.equal(payload.appidacr, '0');
    assert.deepEqual([...(payload.roles as string[])].sort(), [
      'Warden.Operator',
      'Warden.PolicyAdmin',
      'Warden.Reader',
    ]);
    const bad = new UsernamePasswordCredential(
      TID,
      world.warden!.cli!.appId,
      'ada@contoso.example',
      'wrong',
      credOpts(),
    );
    await assert.rejects(bad.getToken('api://warden/.default'), /AADSTS50126/);
  });

  test('the action-group app gets an api://warden token with ActionGroupsSecureWebhook; v2 apps get the app id as aud', async () => {
    const r = await emu.admin('POST', '/admin/tokens', {
      clientId: '461e8683-5575-4561-ac7f-899cc907d62a',
      resource: 'api://warden',
    });
    assert.equal(r.status, 200);
    const claims = decodeJwt((r.body as { access_token: string }).access_token);
    assert.equal(claims.aud, 'api://warden');
    assert.equal(claims.appid, '461e8683-5575-4561-ac7f-899cc907d62a');
    assert.deepEqual(claims.roles, ['ActionGroupsSecureWebhook']);
    const appId = '0e7d1c5a-8f34-4f0c-9a77-3c2d7f4b1a10';
    assert.equal(
      (
        await emu.admin('PUT', `/admin/apps/${appId}`, {
          displayName: 'v2 api',
          identifierUris: ['api://v2api'],
          appRoles: ['Things.Read'],
          tokenVersion: 2,
        })
      ).status,
      200,
    );
    assert.equal(
      (await emu.admin('POST', '/admin/appRoleAssignments', { principalId: PIPELINE_SP, appId, role: 'Things.Read' }))
        .status,
      201,
    );
    const cred = new ClientSecretCredential(TID, PIPELINE_APP, secret, credOpts());
    const t = await cred.getToken('api://v2api/.default');
    const { payload } = await jwtVerify(t.token, jwks, {
      issuer: `${emu.baseUrl}/${TID}/v2.0`,
      audience: appId,
      currentDate: new Date(emu.emulator.clock.now()),
    });
    assert.equal(payload.ver, '2.0');
    assert.equal(payload.azp, PIPELINE_APP);
    assert.deepEqual(payload.roles, ['Things.Read']);
  });

  test('ctx.authenticate refuses missing, malformed, wrong-audience and expired tokens with ARM 401 bodies', async () => {
    const whoami = (auth?: string) =>
      request(emu.baseUrl, emu.caCert, 'GET', '/test/whoami', auth ? { headers: { authorization: auth } } : {});
    const none = await whoami();
    assert.equal(none.status, 401);
    assert.equal((none.json as { error: { code: string } }).error.code, 'AuthenticationFailed');
    assert.match(String(none.headers['www-authenticate']), /^Bearer authorization_uri=".*", error="invalid_token"/);
    const junk = await whoami('Bearer abc.def.ghi');
    assert.equal((junk.json as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');
    const vault = (
      await emu.admin('POST', '/admin/tokens', { clientId: PIPELINE_APP, resource: 'https://vault.azure.net' })
    ).body as { access_token: string };
    const aud = await whoami(`Bearer ${vault.access_token}`);
    assert.equal(aud.status, 401);
    assert.equal((aud.json as { error: { code: string } }).error.code, 'InvalidAuthenticationTokenAudience');
    const arm = (
      await emu.admin('POST', '/admin/tokens', { principalId: ADA, resource: 'https://management.azure.com/' })
    ).body as { access_token: string };
    assert.equal((await whoami(`Bearer ${arm.access_token}`)).status, 200);
    // a token signed by another key is refused
    const [h, p] = arm.access_token.split('.');
    const forged = await whoami(`Bearer ${h}.${p}.${Buffer.from('x'.repeat(256)).toString('base64url')}`);
    assert.equal((forged.json as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');
    // advance the shared clock past exp
    const adv = await emu.admin('POST', '/admin/clock/advance', { hours: 2 });
    assert.equal(adv.status, 200);
    const expired = await whoami(`Bearer ${arm.access_token}`);
    assert.equal(expired.status, 401);
    assert.equal((expired.json as { error: { code: string } }).error.code, 'ExpiredAuthenticationToken');
    const clockFile = JSON.parse(readFileSync(path.join(state.dir, 'clock.json'), 'utf8')) as { offsetMs: number };
    assert.ok(clockFile.offsetMs >= 2 * 3600_000);
  });

  test('ManagedIdentityCredential and DefaultAzureCredential work unchanged via IDENTITY_ENDPOINT/IDENTITY_HEADER', async () => {
    const script = `
      const { ManagedIdentityCredential, DefaultAzureCredential } = require('@azure/identity');
      (async () => {
        const mi = await new ManagedIdentityCredential().getToken('https://management.azure.com/.default');
        const dac = await new DefaultAzureCredential().getToken('https://vault.azure.net/.default');
        const claims = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
        process.stdout.write(JSON.stringify({ mi: claims(mi.token), dac: claims(dac.token), exp: mi.expiresOnTimestamp }));
      })().catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1); });`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_EXTRA_CA_CERTS: emu.caCertPath,
      IDENTITY_ENDPOINT: emu.endpoints.managedIdentity.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: emu.endpoints.managedIdentity.IDENTITY_HEADER,
      AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      cwd: findRepoRoot(__dirname),
      env,
      timeout: 60_000,
    });
    const out = JSON.parse(stdout) as { mi: Record<string, unknown>; dac: Record<string, unknown>; exp: number };
    assert.equal(out.mi.aud, 'https://management.azure.com');
    assert.equal(out.mi.oid, world.warden!.principalId);
    assert.equal(out.mi.appid, world.warden!.appId);
    assert.equal(out.mi.appidacr, '2');
    assert.equal(out.dac.aud, 'https://vault.azure.net');
    assert.equal(out.dac.oid, world.warden!.principalId);
    assert.ok(out.exp > Date.now());
    // the clock was advanced 2 h above: the exp claim is on the emulator clock, while expires_on (what the SDK's
    // cache compares with the real clock) is real time + lifetime
    assert.ok(out.exp <= Date.now() + 3600_000 + 60_000, 'expires_on is on the client clock');
    assert.ok((out.mi.exp as number) * 1000 > Date.now() + 2 * 3600_000, 'exp claim is on the emulator clock');
  });

  test('the managed identity endpoint refuses a missing or wrong x-identity-header and bad parameters', async () => {
    const p = `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com')}`;
    assert.equal((await request(emu.baseUrl, emu.caCert, 'GET', p)).status, 401);
    assert.equal(
      (await request(emu.baseUrl, emu.caCert, 'GET', p, { headers: { 'x-identity-header': 'wrong' } })).status,
      401,
    );
    const h = { headers: { 'x-identity-header': emu.endpoints.managedIdentity.IDENTITY_HEADER } };
    const ok = await request(emu.baseUrl, emu.caCert, 'GET', p, h);
    assert.equal(ok.status, 200);
    const b = ok.json as Record<string, string>;
    assert.deepEqual(Object.keys(b).sort(), ['access_token', 'client_id', 'expires_on', 'resource', 'token_type']);
    assert.equal((await request(emu.baseUrl, emu.caCert, 'GET', p.replace('2019-08-01', '2017-09-01'), h)).status, 400);
    assert.equal((await request(emu.baseUrl, emu.caCert, 'GET', `${p}&client_id=${PIPELINE_APP}`, h)).status, 400);
    assert.equal(
      (
        await request(
          emu.baseUrl,
          emu.caCert,
          'GET',
          '/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fnowhere.example',
          h,
        )
      ).status,
      400,
    );
  });
});
