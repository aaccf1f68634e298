import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { REDACTED, redactSecrets } from '../../../shared/domain/redact-secrets';

const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly93YXJkZW4ifQ.U2lnbmF0dXJlQnl0ZXNIZXJl';

test('secret-valued JSON members are redacted; identifiers next to them are kept', () => {
  const body = {
    command: 'rotate',
    referenceId: 'sr-databricks',
    secretName: 'databricks-token',
    keyId: 'key1',
    tokenType: 'pat',
    password: 'hunter2',
    clientSecret: 'cs-value',
    client_secret: 'cs-value-2',
    access_token: 'at-value',
    apiKey: 'ak-value',
    AccountKey: 'acc-value',
    connectionString: 'cs',
    credential: 'cred-value',
    nested: { Authorization: 'Basic dXNlcjpwYXNzd29yZA==', refresh_token: 'rt-value', count: 3 },
  };
  const out = JSON.parse(redactSecrets(JSON.stringify(body))) as typeof body;
  assert.deepEqual(out, {
    ...body,
    password: REDACTED,
    clientSecret: REDACTED,
    client_secret: REDACTED,
    access_token: REDACTED,
    apiKey: REDACTED,
    AccountKey: REDACTED,
    connectionString: REDACTED,
    credential: REDACTED,
    nested: { Authorization: REDACTED, refresh_token: REDACTED, count: 3 },
  });
  // Escaped quotes inside a secret value do not end it early.
  const tricky = redactSecrets('{"password":"a\\"b, \\"c","after":"kept"}');
  assert.equal(tricky, `{"password":"${REDACTED}","after":"kept"}`);
});

test('tokens and keys in free text are redacted wherever they appear', () => {
  const text = [
    `Authorization: Bearer ${JWT}`,
    `id_token=${JWT}`,
    'DefaultEndpointsProtocol=https;AccountName=stfraudraw;AccountKey=c2VjcmV0a2V5dmFsdWU=;EndpointSuffix=core.windows.net',
    'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abcDEF123=',
    'https://stfraudraw.blob.core.windows.net/c/b?sv=2022-11-02&sig=abc%2Bdef&se=2026',
    'pat dapi0123456789abcdef0123456789abcdef-2 here',
  ].join('\n');
  const out = redactSecrets(text);
  for (const secret of [JWT, 'c2VjcmV0a2V5dmFsdWU=', 'abcDEF123=', 'abc%2Bdef', 'dapi0123456789abcdef0123456789abcdef'])
    assert.ok(!out.includes(secret), `${secret} survived:\n${out}`);
  assert.match(out, /AccountName=stfraudraw;AccountKey=\[redacted\];EndpointSuffix/);
  assert.match(out, /SharedAccessKeyName=send;SharedAccessKey=\[redacted\]/);
  assert.match(out, /&sig=\[redacted\]&se=2026/);
  assert.match(out, /^Authorization: Bearer \[redacted\]$/m);
  assert.equal(redactSecrets('Authorization: Bearer opaque-token-42'), 'Authorization: Bearer [redacted]');
  assert.equal(redactSecrets('Basic validation failed'), 'Basic validation failed', 'prose is not a credential');
});

test('adversarial text is redacted in linear time', () => {
  const inputs = [
    `"${'a'.repeat(10_000)}`,
    '"a"'.repeat(3_000),
    `{"password":"${'\\"'.repeat(3_000)}`,
    `Bearer ${'a'.repeat(10_000)}`,
    'eyJ'.repeat(3_000),
  ];
  const started = process.hrtime.bigint();
  for (const text of inputs) redactSecrets(text);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 500, `took ${ms} ms`);
});

test('real event payloads and valid commands carry no secrets and pass unchanged', () => {
  const events = path.join(findRepoRoot(__dirname), 'test', 'fixtures', 'events');
  for (const name of ['resource-write-success.json', 'key-vault-secret-near-expiry.json']) {
    const compact = JSON.stringify(JSON.parse(readFileSync(path.join(events, name), 'utf8')));
    assert.equal(redactSecrets(compact), compact, name);
  }
  const command = '{"command":"reconcile","scope":"/subscriptions/x/resourceGroups/rg","requestedBy":"pipeline"}';
  assert.equal(redactSecrets(command), command);
  const reason = 'the body is not JSON (Unexpected end of JSON input) [session "garbage", delivery 1]';
  assert.equal(redactSecrets(reason), reason);
});
