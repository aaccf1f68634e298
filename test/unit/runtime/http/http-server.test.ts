import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { HttpServer, readBody } from '../../../../runtime/http/http-server';
import { createLogger } from '../../../../runtime/logging/runtime-logger';

const quiet = createLogger({ sink: { write: () => true }, json: true });

function get(port: number, path: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('longest prefix wins, prefixes match whole segments, unknown paths are 404', async () => {
  const server = new HttpServer(quiet);
  server.addRoute('/a', (_q, res) => {
    res.end('a');
  });
  server.addRoute('/a/b', (_q, res) => {
    res.end('ab');
  });
  assert.throws(() => server.addRoute('/a/', () => undefined), /already registered/);
  const port = await server.listen(0);
  const agent = new http.Agent({ keepAlive: false });
  try {
    assert.equal((await get(port, '/a/x', agent)).body, 'a');
    assert.equal((await get(port, '/A/B/c?q=1', agent)).body, 'ab');
    assert.equal((await get(port, '/ab', agent)).status, 404);
  } finally {
    await server.close(1000);
  }
});

test('close() lets a request in flight finish, refuses new work, and a throwing handler is a 500', async () => {
  const server = new HttpServer(quiet);
  let release: () => void = () => undefined;
  server.addRoute('/slow', async (_q, res) => {
    await new Promise<void>((r) => (release = r));
    res.end('finished');
  });
  server.addRoute('/boom', () => {
    throw new Error('handler bug');
  });
  const port = await server.listen(0);
  const agent = new http.Agent({ keepAlive: true });
  assert.equal((await get(port, '/boom', agent)).status, 500);
  const inFlight = get(port, '/slow', agent);
  await new Promise((r) => setTimeout(r, 50));
  const closing = server.close(5000);
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(get(port, '/slow', new http.Agent({ keepAlive: false })));
  release();
  assert.deepEqual(await inFlight, { status: 200, body: 'finished' });
  assert.equal(await closing, true);
  agent.destroy();
});

test('readBody refuses a declared or streamed body over the limit', async () => {
  const server = http.createServer((req, res) => {
    readBody(req, 10).then(
      (b) => res.end(`ok ${b.length}`),
      (e: Error) => {
        res.statusCode = 413;
        res.end(e.name);
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const post = async (body: string | ReadableStream): Promise<Response> =>
      fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body, duplex: 'half' });
    assert.equal(await (await post('0123456789')).text(), 'ok 10');
    assert.equal((await post('0123456789x')).status, 413);
    assert.equal((await post(new Blob(['012345', '6789x']).stream())).status, 413);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
