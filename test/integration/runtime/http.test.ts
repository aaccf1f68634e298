import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startTestRuntime, type TestRuntime } from './startup-fixture';

describe('HTTP trigger through the runtime', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startTestRuntime({ env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '4096' } });
  });
  after(async () => {
    await rt.stop();
  });
  const url = (p: string): string => `${rt.baseUrl}/api/${p}`;

  test('route parameters, optional parameter, query, headers and a JSON body reach the handler', async () => {
    const res = await fetch(url('echo/42/ada?x=1&y=two'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
      body: JSON.stringify({ hello: 'world' }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(body.params, { id: '42', name: 'ada' });
    assert.deepEqual(body.query, { x: '1', y: 'two' });
    assert.equal(body.method, 'POST');
    assert.equal(body.custom, 'yes');
    assert.deepEqual(body.body, { hello: 'world' });
    assert.equal(body.functionName, 'echo');
    assert.match(String(body.invocationId), /^[0-9a-f-]{36}$/);
    const log = rt.logs.find((e) => e.event === 'function.log' && e.invocationId === body.invocationId);
    assert.equal(log?.message, 'echo called');
  });

  test('the optional parameter may be left out; a constraint that fails is a 404', async () => {
    const ok = await fetch(url('echo/7'));
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { params: unknown }).params, { id: '7' });
    const bad = await fetch(url('echo/seven'));
    assert.equal(bad.status, 404);
  });

  test('text and binary bodies arrive intact', async () => {
    const text = await fetch(url('echo/1'), {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'plain text',
    });
    assert.equal(((await text.json()) as { body: unknown }).body, 'plain text');
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1]);
    const bin = await fetch(url('echo/1'), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const got = (await bin.json()) as { bodyLength: number; bodySha: string };
    assert.equal(got.bodyLength, 6);
    assert.equal(got.bodySha, 'deadbeef');
  });

  test('catch-all, alpha, guid, range constraints and literal precedence', async () => {
    const all = await fetch(url('files/a/b/c.txt'), { method: 'POST' });
    assert.deepEqual(((await all.json()) as { params: unknown }).params, { path: 'a/b/c.txt' });
    assert.equal(await (await fetch(url('kinds/special'))).text(), 'literal');
    assert.equal(await (await fetch(url('kinds/abc'))).text(), 'alpha');
    assert.equal(await (await fetch(url('kinds/3f2504e0-4f89-11d3-9a0c-0305e82c3301'))).text(), 'guid');
    assert.equal((await fetch(url('kinds/abc1'))).status, 404);
    assert.equal((await fetch(url('ranged/5'))).status, 200);
    assert.equal((await fetch(url('ranged/11'))).status, 404);
  });

  test('a method the function does not accept is a 404, as in the host; so is an unknown route', async () => {
    assert.equal((await fetch(url('hello'), { method: 'DELETE' })).status, 404);
    assert.equal((await fetch(url('nothing-here'))).status, 404);
    assert.equal((await fetch(`${rt.baseUrl}/elsewhere`)).status, 404);
    assert.equal(await (await fetch(url('hello?name=bo'))).text(), 'hello bo');
  });

  test('response mapping: status, headers, cookies, text body; binary body; no result → 204', async () => {
    const res = await fetch(url('cookies'));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-result'), 'made');
    assert.equal(res.headers.get('content-type'), 'text/csv');
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^session=abc/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Max-Age=60/);
    assert.equal(await res.text(), 'a,b\n1,2\n');
    const bin = await fetch(url('binary'));
    assert.deepEqual([...new Uint8Array(await bin.arrayBuffer())], [0, 1, 2, 255]);
    assert.equal((await fetch(url('noResult'))).status, 204);
  });

  test('hooks: preInvocation replaces the handler; log hooks rewrite messages', async () => {
    const res = await fetch(url('hooked'));
    assert.deepEqual(await res.json(), { replaced: true });
    const log = rt.logs.find((e) => e.event === 'function.log' && e.functionName === 'hooked');
    assert.equal(log?.message, 'token is ***');
    assert.ok(!JSON.stringify(rt.logs).includes('s3cr3t'));
  });

  test('a handler that throws is a 500 with no detail; the error is logged with the invocation id', async () => {
    const res = await fetch(url('throws'));
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
    const failure = rt.logs.find((e) => e.event === 'function.failed' && e.functionName === 'throws');
    assert.ok(failure);
    assert.equal(failure.error, 'handler failed on purpose');
    assert.ok(typeof failure.invocationId === 'string');
  });

  test('function and admin auth levels need a key, from x-functions-key or code', async () => {
    assert.equal((await fetch(url('secure'))).status, 401);
    assert.equal((await fetch(url('secure?code=wrong'))).status, 401);
    const keys = rt.keys.snapshot();
    const fnKey = keys.functionKeys.secure?.default ?? '';
    assert.equal((await fetch(url(`secure?code=${fnKey}`))).status, 200);
    assert.equal(
      (await fetch(url('secure'), { headers: { 'x-functions-key': keys.hostKeys.default ?? '' } })).status,
      200,
    );
    assert.equal((await fetch(url('secure'), { headers: { 'x-functions-key': rt.keys.masterKey } })).status, 200);
    assert.equal((await fetch(url('admin-only'), { headers: { 'x-functions-key': fnKey } })).status, 401);
    assert.equal(
      (await fetch(url('admin-only'), { headers: { 'x-functions-key': keys.hostKeys.default ?? '' } })).status,
      401,
    );
    const admin = await fetch(url('admin-only'), { headers: { 'x-functions-key': rt.keys.masterKey } });
    assert.equal(admin.status, 200);
    assert.equal(await admin.text(), 'admin area');
  });

  test('a body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT is a 413 with a readable message; the runtime keeps serving', async () => {
    const res = await fetch(url('echo/1'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(5000),
    });
    assert.equal(res.status, 413);
    assert.match(await res.text(), /larger than the limit of 4096 bytes/);
    const chunked = await fetch(url('echo/1'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new Blob(['y'.repeat(3000), 'y'.repeat(3000)]).stream(),
      duplex: 'half',
    });
    assert.equal(chunked.status, 413);
    assert.equal((await fetch(url('hello'))).status, 200);
    assert.equal(
      rt.logs.filter((e) => e.functionName === 'echo' && e.event === 'function.succeeded').length >= 1,
      true,
    );
  });

  test('malformed JSON reaches the handler as the host sends it; the handler decides (here: 500)', async () => {
    const res = await fetch(url('echo/1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    assert.equal(res.status, 500);
    assert.equal((await fetch(url('hello'))).status, 200);
  });
});
