import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { exportJWK, generateKeyPair } from 'jose';

import { ApiHarness, OTHER_TENANT } from './support/api-harness';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('token attacks through the HTTP edge: 401 problem+json with a bearer challenge, nothing audited', () => {
  const h = new ApiHarness();
  before(async () => {
    await h.start();
  });
  after(() => h.stop());

  const roles = ['Warden.Reader'];

  async function refused(token: string, code: RegExp): Promise<void> {
    const seq = await h.auditHeadSeq();
    const res = await h.call('listAccessPolicies', { token });
    assert.equal(res.status, 401, res.text);
    assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
    assert.match(res.headers['www-authenticate'] ?? '', /^Bearer realm="warden", error="invalid_token"/);
    assert.match((res.body as { code: string }).code, code);
    assert.ok(!res.text.includes(token), 'the token is never echoed');
    assert.equal(await h.auditHeadSeq(), seq, 'an unauthenticated attempt has no actor to audit');
  }

  test('expired', async () => {
    const exp = Math.floor(h.clock.now().getTime() / 1000) - 3600;
    await refused(await h.token({ roles, exp }), /token_expired|invalid_claim/);
  });
  test('wrong audience', async () => refused(await h.token({ roles, aud: 'api://someone-else' }), /invalid_claim/));
  test('wrong issuer', async () =>
    refused(await h.token({ roles, iss: 'https://evil.example/v2.0' }), /invalid_claim/));
  test('another tenant', async () => refused(await h.token({ roles, claims: { tid: OTHER_TENANT } }), /wrong_tenant/));
  test('unknown kid, signed with a key the tenant never published', async () => {
    const rogue = await generateKeyPair('RS256', { extractable: true });
    await refused(await h.token({ roles, key: rogue, kid: 'rogue' }), /unknown_key/);
  });
  test('the right kid but a rogue key', async () => {
    const rogue = await generateKeyPair('RS256', { extractable: true });
    await refused(await h.token({ roles, key: rogue }), /bad_signature/);
  });
  test('tampered payload (roles widened after signing)', async () => {
    const [header, , sig] = (await h.token({ roles })).split('.');
    const claims = JSON.parse(Buffer.from((await h.token({ roles })).split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    claims.roles = ['Warden.PolicyAdmin', 'Warden.Auditor'];
    await refused(`${header}.${b64(claims)}.${sig}`, /bad_signature/);
  });
  test('alg none', async () => {
    const claims = JSON.parse(
      Buffer.from((await h.token({ roles })).split('.')[1]!, 'base64url').toString(),
    ) as unknown;
    await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, /algorithm_not_allowed/);
  });
  test('HMAC signed with the public key', async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = JSON.stringify(await exportJWK(pair.publicKey));
    const claims = JSON.parse(
      Buffer.from((await h.token({ roles })).split('.')[1]!, 'base64url').toString(),
    ) as unknown;
    const signingInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}`;
    const sig = createHmac('sha256', publicJwk).update(signingInput).digest('base64url');
    await refused(`${signingInput}.${sig}`, /algorithm_not_allowed/);
  });
  test('not a bearer token at all', async () => {
    const res = await h.call('listAccessPolicies', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(res.status, 401);
    assert.equal((res.body as { code: string }).code, 'malformed_authorization');
  });
  test('an identity provider outage is a 503 without details, not a 401', async () => {
    const original = h.edge;
    h.edge = {
      ...original,
      authenticator: { authenticate: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443 secret-ish')) },
    };
    try {
      const res = await h.call('listAccessPolicies', { token: await h.token({ roles }) });
      assert.equal(res.status, 503);
      assert.ok(!res.text.includes('ECONNREFUSED'));
      assert.equal(res.headers['retry-after'], '5');
    } finally {
      h.edge = original;
    }
  });
});
