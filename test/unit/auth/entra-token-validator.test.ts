import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

import { AuthError } from '../../../shared/auth/auth-error';
import { EntraTokenValidator } from '../../../shared/auth/entra-token-validator';
import { ACTION_GROUP_APP_ID } from '../../../shared/auth/principal';

const TENANT = '45286771-0821-4e88-a404-d87ec2f39f1a';
const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';
const AUDIENCE = 'api://warden';
const CLIENT_ID = 'e1b0cd8b-2bb2-47e1-9cfa-9bc7e16af6de';
const NOW = Date.parse('2026-11-25T12:00:00Z');

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

describe('EntraTokenValidator', () => {
  let server: http.Server;
  let base = '';
  let keys: KeyPair;
  let rogue: KeyPair;
  let publicJwk: JWK;
  let jwksFetches = 0;

  before(async () => {
    keys = await generateKeyPair('RS256', { extractable: true });
    rogue = await generateKeyPair('RS256', { extractable: true });
    publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (url === `/${TENANT}/v2.0/.well-known/openid-configuration`) {
        res.end(
          JSON.stringify({ issuer: `${base}/${TENANT}/v2.0`, jwks_uri: `${base}/${TENANT}/discovery/v2.0/keys` }),
        );
      } else if (url === `/${TENANT}/.well-known/openid-configuration`) {
        res.end(
          JSON.stringify({
            issuer: `https://sts.windows.net/${TENANT}/`,
            jwks_uri: `${base}/${TENANT}/discovery/keys`,
          }),
        );
      } else if (url === `/${TENANT}/discovery/v2.0/keys`) {
        jwksFetches++;
        res.end(JSON.stringify({ keys: [publicJwk] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const validator = (): EntraTokenValidator =>
    new EntraTokenValidator({
      authorityHost: base,
      tenantId: TENANT,
      audiences: [AUDIENCE, CLIENT_ID],
      now: () => NOW,
      jwksCooldownMs: 0,
    });

  const sign = (
    claims: Record<string, unknown>,
    opts: { key?: KeyPair; kid?: string; iss?: string; exp?: number; nbf?: number } = {},
  ) =>
    new SignJWT({ tid: TENANT, oid: '6690be11-5387-4f81-9be0-9eba69a0dd12', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1', typ: 'JWT' })
      .setIssuer(opts.iss ?? `${base}/${TENANT}/v2.0`)
      .setAudience((claims.aud as string | undefined) ?? AUDIENCE)
      .setIssuedAt(Math.floor(NOW / 1000) - 60)
      .setNotBefore(opts.nbf ?? Math.floor(NOW / 1000) - 60)
      .setExpirationTime(opts.exp ?? Math.floor(NOW / 1000) + 3600)
      .sign((opts.key ?? keys).privateKey);

  const refused = async (header: string | undefined, code: string, status: 401 | 403 = 401): Promise<void> => {
    await assert.rejects(validator().authenticate(header), (e: unknown) => {
      assert.ok(e instanceof AuthError, `expected AuthError, got ${String(e)}`);
      assert.equal(e.status, status);
      assert.equal(e.code, code);
      return true;
    });
  };

  test('accepts a user token (v2 issuer) and records oid with name as the actor', async () => {
    const token = await sign({
      name: 'Ada Lovelace',
      scp: 'access_as_user',
      roles: ['Warden.Reader', 'Warden.Operator'],
    });
    const p = await validator().authenticate(`Bearer ${token}`);
    assert.equal(p.kind, 'user');
    assert.equal(p.actor, '6690be11-5387-4f81-9be0-9eba69a0dd12 (Ada Lovelace)');
    assert.deepEqual(p.roles, ['Warden.Reader', 'Warden.Operator']);
  });

  test('accepts an app-only token with the v1 issuer and the client-id audience; actor names the app id', async () => {
    const token = await sign(
      { aud: CLIENT_ID, appid: 'c1668f6c-5b42-4098-a44a-b87b56c1e998', idtyp: 'app', roles: ['Warden.Operator'] },
      { iss: `https://sts.windows.net/${TENANT}/` },
    );
    const p = await validator().authenticate(`Bearer ${token}`);
    assert.equal(p.kind, 'application');
    assert.equal(p.actor, '6690be11-5387-4f81-9be0-9eba69a0dd12 (app c1668f6c-5b42-4098-a44a-b87b56c1e998)');
  });

  test('refuses a missing or non-bearer Authorization header', async () => {
    await refused(undefined, 'missing_token');
    await refused('Basic dXNlcjpwYXNz', 'malformed_authorization');
    await refused('Bearer not-a-jwt', 'malformed_token');
  });

  test('refuses an expired token and a token not yet valid (beyond the skew)', async () => {
    await refused(`Bearer ${await sign({}, { exp: Math.floor(NOW / 1000) - 600 })}`, 'token_expired');
    await refused(`Bearer ${await sign({}, { nbf: Math.floor(NOW / 1000) + 600 })}`, 'invalid_claim');
  });

  test('refuses a wrong audience, a wrong issuer and another tenant', async () => {
    await refused(`Bearer ${await sign({ aud: 'https://management.azure.com' })}`, 'invalid_claim');
    await refused(`Bearer ${await sign({}, { iss: 'https://evil.example/v2.0' })}`, 'invalid_claim');
    await refused(`Bearer ${await sign({ tid: OTHER_TENANT })}`, 'wrong_tenant');
  });

  test('refuses alg none and an HMAC token signed with the public key', async () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = {
      tid: TENANT,
      oid: 'x',
      aud: AUDIENCE,
      iss: `${base}/${TENANT}/v2.0`,
      iat: NOW / 1000,
      exp: NOW / 1000 + 3600,
    };
    await refused(`Bearer ${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`, 'algorithm_not_allowed');
    const head = `${enc({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${enc(claims)}`;
    const mac = createHmac('sha256', JSON.stringify(publicJwk)).update(head).digest('base64url');
    await refused(`Bearer ${head}.${mac}`, 'algorithm_not_allowed');
  });

  test('refuses a tampered payload and a token signed by an unknown key (after one rate-limited JWKS refresh)', async () => {
    const good = await sign({ roles: ['Warden.Reader'] });
    const [h, , s] = good.split('.');
    const forged = Buffer.from(
      JSON.stringify({ tid: TENANT, oid: 'x', roles: ['Warden.PolicyAdmin'], aud: AUDIENCE }),
    ).toString('base64url');
    await refused(`Bearer ${h}.${forged}.${s}`, 'bad_signature');
    const before = jwksFetches;
    await refused(`Bearer ${await sign({}, { key: rogue, kid: 'rogue' })}`, 'unknown_key');
    assert.ok(jwksFetches > before, 'an unknown kid triggers a JWKS refresh');
  });

  test('the alert webhook accepts only the action-group application with its role', async () => {
    const v = validator();
    const ag = await sign({ appid: ACTION_GROUP_APP_ID, idtyp: 'app', roles: ['ActionGroupsSecureWebhook'] });
    assert.equal((await v.authenticateActionGroup(`Bearer ${ag}`)).appId, ACTION_GROUP_APP_ID);
    const user = await sign({ name: 'Ada', scp: 'x', roles: ['Warden.Operator', 'ActionGroupsSecureWebhook'] });
    await assert.rejects(
      v.authenticateActionGroup(`Bearer ${user}`),
      (e: unknown) => e instanceof AuthError && e.status === 403,
    );
    const noRole = await sign({ appid: ACTION_GROUP_APP_ID, idtyp: 'app', roles: [] });
    await assert.rejects(
      v.authenticateActionGroup(`Bearer ${noRole}`),
      (e: unknown) => e instanceof AuthError && e.code === 'missing_role',
    );
  });
});
