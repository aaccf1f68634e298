// `warden poison list/get` over a fake API: the query it sends, table and --json output, and its exit codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import type { CliIo } from '../../../cli/context';
import { EXIT } from '../../../cli/errors';
import { run } from '../../../cli/main';
import { saveSession } from '../../../cli/session';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');

const ITEMS = [
  {
    id: 12,
    source: 'servicebus:warden-commands',
    message_id: 'm-bad-json',
    reason: 'the body is not JSON (it ends early) [session "x", delivery 1]',
    body: '{"command": "reconcile", "scope": ',
    received_at: '2026-11-25T11:59:00.000Z',
  },
  {
    id: 9,
    source: 'eventgrid:keyvault',
    message_id: null,
    reason: 'the event has no id',
    body: '{"eventType":"Microsoft.KeyVault.SecretNearExpiry","data":{"ObjectName":"s"}}',
    received_at: '2026-11-25T11:00:00.000Z',
  },
];

describe('warden poison', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-cli-poison-'));
  saveSession(dir, 'default', {
    api: 'http://warden.test',
    mode: 'device-code',
    principal: { id: 'oid-ada', name: 'Ada Lovelace', roles: ['Warden.Reader'] },
    accessToken: 'header.payload.signature',
    expiresOn: 10_000_000_000_000,
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function fakeIo(answer: (url: URL) => { status: number; body?: unknown }) {
    const out: string[] = [];
    const err: string[] = [];
    const urls: URL[] = [];
    const io: CliIo = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      stdoutIsTTY: false,
      env: { WARDEN_CONFIG_DIR: dir },
      cwd: dir,
      fetch: (url) => {
        const u = new URL(url);
        urls.push(u);
        const r = answer(u);
        return Promise.resolve(
          new Response(r.body === undefined ? null : JSON.stringify(r.body), {
            status: r.status,
            headers: { 'content-type': r.status >= 400 ? 'application/problem+json' : 'application/json' },
          }),
        );
      },
      now: () => NOW,
      sleep: () => Promise.resolve(),
    };
    return { io, out: () => out.join(''), err: () => err.join(''), urls };
  }

  test('list sends the filters, prints a table newest first and says how to get older ones', async () => {
    const f = fakeIo(() => ({ status: 200, body: { items: ITEMS, continuationToken: 'tok-9' } }));
    const code = await run(
      ['poison', 'list', '--source', 'servicebus:warden-commands', '--since', '2h', '--top', '2'],
      f.io,
    );
    assert.equal(code, EXIT.ok, f.err());
    const [u] = f.urls;
    assert.equal(u?.pathname, '/api/poison-messages');
    assert.equal(u?.searchParams.get('source'), 'servicebus:warden-commands');
    assert.equal(u?.searchParams.get('since'), '2026-11-25T10:00:00.000Z');
    assert.equal(u?.searchParams.get('top'), '2');
    assert.equal(u?.searchParams.has('continuationToken'), false);
    const lines = f.out().trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+RECEIVED_AT\s+SOURCE\s+MESSAGE_ID\s+REASON$/);
    assert.match(
      lines[1]!,
      /^12\s+2026-11-25T11:59:00\.000Z\s+servicebus:warden-commands\s+m-bad-json\s+the body is not JSON/,
    );
    assert.match(lines[2]!, /^9\s+2026-11-25T11:00:00\.000Z\s+eventgrid:keyvault\s+-\s+the event has no id$/);
    assert.equal(lines[3], 'More (older) ones: add --continuation-token tok-9');
  });

  test('list --json prints the page; an ISO --since and a token are passed through', async () => {
    const f = fakeIo(() => ({ status: 200, body: { items: ITEMS.slice(1) } }));
    const code = await run(
      ['poison', 'list', '--json', '--since', '2026-11-25T10:00:00+01:00', '--continuation-token', 'tok-12'],
      f.io,
    );
    assert.equal(code, EXIT.ok, f.err());
    assert.deepEqual(JSON.parse(f.out()), { items: ITEMS.slice(1) });
    assert.equal(f.urls[0]?.searchParams.get('since'), '2026-11-25T10:00:00+01:00');
    assert.equal(f.urls[0]?.searchParams.get('continuationToken'), 'tok-12');
    assert.equal(f.urls[0]?.searchParams.has('top'), false, 'the API default applies');
  });

  test('bad --top, --since or id: exit 2 before any request', async () => {
    for (const argv of [
      ['poison', 'list', '--top', '0'],
      ['poison', 'list', '--top', '501'],
      ['poison', 'list', '--top', 'ten'],
      ['poison', 'list', '--since', 'yesterday'],
      ['poison', 'get', 'abc'],
      ['poison', 'get', '0'],
      ['poison', 'get'],
    ]) {
      const f = fakeIo(() => ({ status: 200, body: { items: [] } }));
      assert.equal(await run(argv, f.io), EXIT.usage, argv.join(' '));
      assert.equal(f.urls.length, 0, argv.join(' '));
    }
  });

  test('get prints the fields and the body (pretty when JSON); --json the record', async () => {
    const f = fakeIo((u) =>
      u.pathname === '/api/poison-messages/12' ? { status: 200, body: ITEMS[0] } : { status: 200, body: ITEMS[1] },
    );
    assert.equal(await run(['poison', 'get', '12'], f.io), EXIT.ok, f.err());
    assert.match(f.out(), /^id:\s+12$/m);
    assert.match(f.out(), /^source:\s+servicebus:warden-commands$/m);
    assert.match(f.out(), /^reason:\s+the body is not JSON/m);
    assert.match(f.out(), /^body:\n\{"command": "reconcile", "scope": \n$/m, 'not JSON: as received');
    const g = fakeIo(() => ({ status: 200, body: ITEMS[1] }));
    assert.equal(await run(['poison', 'get', '9'], g.io), EXIT.ok);
    assert.match(g.out(), /^message_id:\s+-$/m);
    assert.match(g.out(), /body:\n\{\n {2}"eventType": "Microsoft\.KeyVault\.SecretNearExpiry",/);
    const j = fakeIo(() => ({ status: 200, body: ITEMS[1] }));
    assert.equal(await run(['poison', 'get', '9', '--json'], j.io), EXIT.ok);
    assert.deepEqual(JSON.parse(j.out()), ITEMS[1]);
  });

  test('API refusals map to the documented exit codes', async () => {
    const cases: [number, unknown, number, RegExp][] = [
      [404, { status: 404, title: 'Not found', detail: 'poison message 77 was not found' }, EXIT.notFound, /not found/],
      [
        403,
        { status: 403, code: 'missing_role', detail: 'This route needs the app role Warden.Reader.' },
        EXIT.auth,
        /needs the app role Warden\.Reader/,
      ],
      [
        400,
        { status: 400, title: 'Invalid', errors: [{ path: 'since', message: 'must be an ISO 8601 date-time' }] },
        EXIT.usage,
        /since: must be/,
      ],
    ];
    for (const [status, body, exit, message] of cases) {
      const f = fakeIo(() => ({ status, body }));
      assert.equal(await run(['poison', 'get', '77'], f.io), exit, `${status}: ${f.err()}`);
      assert.match(f.err(), message);
    }
  });
});
