/**
 * Contract: the emulator's OAuth 2.0 device authorization grant — `POST /{tid}/oauth2/v2.0/devicecode`, the v2 token
 * endpoint's `urn:ietf:params:oauth:grant-type:device_code` grant with Entra's polling errors, and the admin endpoint
 * that completes a code as a person would in the browser — over raw HTTP and through @azure/identity's
 * `DeviceCodeCredential` built as on Azure (only the authority host and the CA differ).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DeviceCodeCredential, type DeviceCodeInfo } from '@azure/identity';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { probeModule, type RawResponse, request, tempStateDir, testWorld } from './core-helpers';

const world = testWorld();
const TID = world.tenantId;
const CLI_APP = world.warden!.cli!.appId;
const PIPELINE_APP = 'c1668f6c-5b42-4098-a44a-b87b56c1e998'; // a confidential client (no public client flows)
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface DeviceAuthorization {
  user_code: string;
  device_code: string;
  verification_uri: string;
  expires_in: number;
  interval: number;
  message: string;
}

interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
}

describe('emulator: Entra device authorization grant', () => {
  let emu: RunningEmulator;
  let state: ReturnType<typeof tempStateDir>;
  let jwks: ReturnType<typeof createLocalJWKSet>;

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
  });
  after(async () => {
    await emu.stop();
    state.cleanup();
  });

  const post = (p: string, fields: Record<string, string>): Promise<RawResponse> =>
    request(emu.baseUrl, emu.caCert, 'POST', p, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const start = async (
    fields: Record<string, string> = {
      client_id: CLI_APP,
      scope: 'api://warden/.default openid profile offline_access',
    },
  ): Promise<DeviceAuthorization> => {
    const r = await post(`/${TID}/oauth2/v2.0/devicecode`, fields);
    assert.equal(r.status, 200, r.text);
    return r.json as DeviceAuthorization;
  };
  const poll = (deviceCode: string, clientId = CLI_APP): Promise<RawResponse> =>
    post(`/${TID}/oauth2/v2.0/token`, {
      grant_type: DEVICE_GRANT,
      client_id: clientId,
      device_code: deviceCode,
      scope: 'api://warden/.default openid profile offline_access',
      client_info: '1',
    });
  const complete = (body: unknown) => emu.admin('POST', '/admin/entra/devicecode/complete', body);
  const assertEntraError = (r: RawResponse, status: number, error: string, code: number) => {
    assert.equal(r.status, status, r.text);
    const b = r.json as EntraErrorBody;
    assert.equal(b.error, error);
    assert.deepEqual(b.error_codes, [code]);
    assert.match(b.error_description, new RegExp(`^AADSTS${code}: `));
    assert.match(b.trace_id, /^[0-9a-f-]{36}$/);
    assert.match(b.correlation_id, /^[0-9a-f-]{36}$/);
    assert.match(b.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  };
  const verifyAccessToken = async (token: string) =>
    (
      await jwtVerify(token, jwks, {
        issuer: `https://sts.windows.net/${TID}/`,
        audience: 'api://warden',
        currentDate: new Date(emu.emulator.clock.now()),
      })
    ).payload;

  test('the device authorization response has Entra fields; the OpenID document names the endpoint', async () => {
    const openid = (await request(emu.baseUrl, emu.caCert, 'GET', `/${TID}/v2.0/.well-known/openid-configuration`))
      .json as { device_authorization_endpoint: string; token_endpoint: string };
    assert.equal(openid.device_authorization_endpoint, `${emu.baseUrl}/${TID}/oauth2/v2.0/devicecode`);
    // MSAL derives the device code endpoint from the token endpoint
    assert.equal(openid.token_endpoint.replace('/token', '/devicecode'), openid.device_authorization_endpoint);
    const d = await start();
    assert.deepEqual(Object.keys(d).sort(), [
      'device_code',
      'expires_in',
      'interval',
      'message',
      'user_code',
      'verification_uri',
    ]);
    assert.match(d.user_code, /^[A-Z2-9]{9}$/);
    assert.ok(d.device_code.length >= 100);
    assert.equal(d.expires_in, 900);
    assert.equal(d.interval, 5);
    assert.equal(d.verification_uri, `${emu.baseUrl}/devicelogin`);
    assert.equal(
      d.message,
      `To sign in, use a web browser to open the page ${d.verification_uri} and enter the code ${d.user_code} to authenticate.`,
    );
    const page = await request(emu.baseUrl, emu.caCert, 'GET', '/devicelogin');
    assert.equal(page.status, 200);
    assert.match(page.text, /\/admin\/entra\/devicecode\/complete/);
  });

  test('pending until Ada completes the code; then one delegated token with her roles; reuse refused', async () => {
    const d = await start();
    assertEntraError(await poll(d.device_code), 400, 'authorization_pending', 70016);
    assertEntraError(await poll(d.device_code), 400, 'authorization_pending', 70016);

    // the code as a person types it: lower case, with a dash
    const typed = `${d.user_code.slice(0, 4).toLowerCase()}-${d.user_code.slice(4)}`;
    const done = await complete({ user_code: typed, user: 'ADA@contoso.example' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const doneBody = done.body as { state: string; user: { id: string }; clientId: string; resource: string };
    assert.equal(doneBody.state, 'approved');
    assert.equal(doneBody.user.id, ADA);
    assert.equal(doneBody.clientId, CLI_APP);
    assert.equal(doneBody.resource, 'api://warden');
    assert.ok(!JSON.stringify(done.body).includes(d.device_code), 'the device code is not echoed');

    const r = await poll(d.device_code);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store, no-cache');
    const t = r.json as Record<string, unknown>;
    assert.equal(t.token_type, 'Bearer');
    assert.equal(t.scope, 'api://warden/user_impersonation openid profile');
    assert.equal(typeof t.expires_in, 'number');
    assert.equal(t.refresh_token, undefined, 'no refresh token: the emulator serves no refresh-token grant');
    const claims = await verifyAccessToken(t.access_token as string);
    assert.equal(claims.oid, ADA);
    assert.equal(claims.sub, ADA);
    assert.equal(claims.tid, TID);
    assert.equal(claims.upn, 'ada@contoso.example');
    assert.equal(claims.name, 'Ada Lovelace');
    assert.equal(claims.scp, 'user_impersonation');
    assert.equal(claims.appid, CLI_APP);
    assert.equal(claims.appidacr, '0');
    assert.deepEqual([...(claims.roles as string[])].sort(), [
      'Warden.Operator',
      'Warden.PolicyAdmin',
      'Warden.Reader',
    ]);
    const { payload: id } = await jwtVerify(t.id_token as string, jwks, {
      issuer: `${emu.baseUrl}/${TID}/v2.0`,
      audience: CLI_APP,
      currentDate: new Date(emu.emulator.clock.now()),
    });
    assert.equal(id.oid, ADA);
    assert.equal(id.preferred_username, 'ada@contoso.example');
    assert.deepEqual(JSON.parse(Buffer.from(t.client_info as string, 'base64url').toString('utf8')), {
      uid: ADA,
      utid: TID,
    });

    assertEntraError(await poll(d.device_code), 400, 'invalid_grant', 54005);
    const again = await complete({ user_code: d.user_code, user: ADA });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.match(JSON.stringify(again.body), /DeviceCodeAlreadyCompleted/);
  });

  test('a declined code answers authorization_declined, and keeps answering it', async () => {
    const d = await start();
    const denied = await complete({ user_code: d.user_code, user: GRACE, deny: true });
    assert.equal(denied.status, 200, JSON.stringify(denied.body));
    assert.equal((denied.body as { state: string }).state, 'declined');
    assertEntraError(await poll(d.device_code), 400, 'authorization_declined', 65004);
    assertEntraError(await poll(d.device_code), 400, 'authorization_declined', 65004);
  });

  test('unknown, confidential and mismatched clients, bad scopes and unknown device codes get Entra errors', async () => {
    const dc = `/${TID}/oauth2/v2.0/devicecode`;
    assertEntraError(
      await post(dc, { client_id: '11111111-2222-3333-4444-555555555555', scope: 'api://warden/.default' }),
      400,
      'unauthorized_client',
      700016,
    );
    assertEntraError(
      await post(dc, { client_id: PIPELINE_APP, scope: 'api://warden/.default' }),
      401,
      'invalid_client',
      7000218,
    );
    assertEntraError(
      await post(dc, { client_id: world.warden!.appId, scope: 'api://warden/.default' }),
      400,
      'unauthorized_client',
      700016,
    ); // a managed identity is no client
    assertEntraError(await post(dc, { client_id: CLI_APP }), 400, 'invalid_request', 900144);
    assertEntraError(
      await post(dc, { client_id: CLI_APP, scope: 'api://nothing-here/.default' }),
      400,
      'invalid_resource',
      500011,
    );
    assertEntraError(
      await post(`/not-a-tenant/oauth2/v2.0/devicecode`, { client_id: CLI_APP, scope: 'api://warden/.default' }),
      400,
      'invalid_tenant',
      90002,
    );
    assertEntraError(await poll('not-a-device-code'), 400, 'bad_verification_code', 70018);
    const d = await start();
    assertEntraError(await poll(d.device_code, PIPELINE_APP), 400, 'bad_verification_code', 70018);
    assertEntraError(
      await post(`/${TID}/oauth2/v2.0/token`, { grant_type: DEVICE_GRANT, client_id: CLI_APP }),
      400,
      'invalid_request',
      900144,
    );
    // the v1 endpoint does not serve this grant
    assertEntraError(
      await post(`/${TID}/oauth2/token`, { grant_type: DEVICE_GRANT, client_id: CLI_APP, device_code: d.device_code }),
      400,
      'unsupported_grant_type',
      70003,
    );
    // the code is untouched by the failed attempts
    assertEntraError(await poll(d.device_code), 400, 'authorization_pending', 70016);
  });

  test('the admin endpoint refuses bad input, unknown codes and users, and callers without the key', async () => {
    const d = await start();
    const cases: [unknown, number, RegExp][] = [
      [{}, 400, /user_code/],
      [{ user_code: d.user_code }, 400, /'user'.*required/],
      [{ user_code: d.user_code, user: ADA, extra: 1 }, 400, /InvalidRequestContent/],
      [{ user_code: d.user_code, user: ADA, deny: 'yes' }, 400, /deny/],
      [{ user_code: 'ZZZZZZZZZ', user: ADA }, 404, /DeviceCodeNotFound/],
      [{ user_code: d.user_code, user: 'nobody@contoso.example' }, 404, /PrincipalNotFound/],
      [{ user_code: d.user_code, user: '95d764b4-de42-46a3-bb72-8b382714c04a' }, 404, /PrincipalNotFound/], // a group
    ];
    for (const [body, status, message] of cases) {
      const r = await complete(body);
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body), message);
    }
    const noKey = await request(emu.baseUrl, emu.caCert, 'POST', '/admin/entra/devicecode/complete', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_code: d.user_code, user: ADA }),
    });
    assert.equal(noKey.status, 401);
    assertEntraError(await poll(d.device_code), 400, 'authorization_pending', 70016);
  });

  test('DeviceCodeCredential (as the CLI builds it) prints the code, waits for the person, and gets the token', async () => {
    let prompted: DeviceCodeInfo | undefined;
    let completion: Promise<{ status: number; body: unknown }> | undefined;
    const credential = new DeviceCodeCredential({
      tenantId: TID,
      clientId: CLI_APP,
      authorityHost: emu.baseUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.caCert },
      userPromptCallback: (info) => {
        prompted = info;
        completion = complete({ user_code: info.userCode, user: ADA });
      },
    });
    const t = await credential.getToken('api://warden/.default');
    assert.ok(prompted, 'the prompt callback ran');
    assert.match(prompted.message, new RegExp(`enter the code ${prompted.userCode} to authenticate`));
    assert.equal(prompted.verificationUri, `${emu.baseUrl}/devicelogin`);
    assert.equal((await completion!).status, 200);
    const claims = await verifyAccessToken(t.token);
    assert.equal(claims.oid, ADA);
    assert.equal(claims.appid, CLI_APP);
    assert.ok((claims.roles as string[]).includes('Warden.PolicyAdmin'));
    assert.ok(t.expiresOnTimestamp > Date.now());
  });

  test('DeviceCodeCredential fails with the declined code when the person declines', async () => {
    const credential = new DeviceCodeCredential({
      tenantId: TID,
      clientId: CLI_APP,
      authorityHost: emu.baseUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.caCert },
      userPromptCallback: (info) => void complete({ user_code: info.userCode, user: ADA, deny: true }),
    });
    await assert.rejects(credential.getToken('api://warden/.default'), /authorization_declined/);
  });

  // Last: it moves the shared emulator clock on by a quarter of an hour.
  test('a code expires on the emulator clock: expired_token, and it can no longer be completed', async () => {
    const d = await start();
    const approved = await start();
    assert.equal((await complete({ user_code: approved.user_code, user: ADA })).status, 200);
    const moved = await emu.admin('POST', '/admin/clock/advance', { seconds: d.expires_in + 1 });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assertEntraError(await poll(d.device_code), 400, 'expired_token', 70019);
    // approved but not redeemed in time: expired as well
    assertEntraError(await poll(approved.device_code), 400, 'expired_token', 70019);
    const late = await complete({ user_code: d.user_code, user: ADA });
    assert.equal(late.status, 400, JSON.stringify(late.body));
    assert.match(JSON.stringify(late.body), /DeviceCodeExpired/);
    // a new code works on the moved clock
    const fresh = await start();
    assertEntraError(await poll(fresh.device_code), 400, 'authorization_pending', 70016);
  });
});
