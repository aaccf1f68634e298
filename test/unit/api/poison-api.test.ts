import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { encodeContinuation } from '../../../shared/api/paging';
import { ApiHarness } from './support/api-harness';

interface Item {
  id: number;
  source: string;
  message_id: string | null;
  reason: string;
  body: string | null;
  received_at: string;
}
interface Page {
  items: Item[];
  continuationToken?: string;
}

describe('poison messages over the API: list (newest first, filters, paging) and get', () => {
  const h = new ApiHarness();
  let ada = '';
  let midway = '';
  before(async () => {
    await h.start();
    ada = await h.ada();
    // Seven records over seven minutes from two sources; the clock moves so `since` has something to cut.
    for (let i = 1; i <= 7; i++) {
      h.clock.advance(60_000);
      if (i === 4) midway = h.clock.now().toISOString();
      await h.store.events.recordPoison({
        source: i % 2 === 0 ? 'eventgrid:keyvault' : 'servicebus:warden-commands',
        messageId: `m-${i}`,
        reason: `reason ${i}`,
        body: i === 7 ? '{"command":"rotate","clientSecret":"s3cr3t-value","referenceId":"sr-1"}' : `{"n":${i}}`,
      });
    }
  });
  after(() => h.stop());

  const list = async (query: Record<string, string>) => {
    const res = await h.call('listPoisonMessages', { token: ada, query });
    assert.equal(res.status, 200, res.text);
    return res.body as Page;
  };

  test('newest first with every field; filtered by exact source and by since (inclusive)', async () => {
    const all = await list({});
    assert.deepEqual(
      all.items.map((i) => i.message_id),
      ['m-7', 'm-6', 'm-5', 'm-4', 'm-3', 'm-2', 'm-1'],
    );
    assert.equal(all.continuationToken, undefined);
    const first = all.items.at(-1)!;
    assert.equal(first.source, 'servicebus:warden-commands');
    assert.equal(first.reason, 'reason 1');
    assert.equal(first.body, '{"n":1}');
    assert.match(first.received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const kv = await list({ source: 'eventgrid:keyvault' });
    assert.deepEqual(
      kv.items.map((i) => i.message_id),
      ['m-6', 'm-4', 'm-2'],
    );
    assert.deepEqual((await list({ source: 'eventgrid' })).items, [], 'source is exact, not a prefix');

    const since = await list({ since: midway });
    assert.deepEqual(
      since.items.map((i) => i.message_id),
      ['m-7', 'm-6', 'm-5', 'm-4'],
    );
    // The same instant written with an offset selects the same rows.
    const offset = midway.replace('Z', '+00:00');
    assert.equal((await list({ since: offset })).items.length, 4);
    const both = await list({ since: midway, source: 'servicebus:warden-commands' });
    assert.deepEqual(
      both.items.map((i) => i.message_id),
      ['m-7', 'm-5'],
    );
  });

  test('paged with top: every record once, in order, stable while new ones are recorded', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await list({ top: '3', ...(token ? { continuationToken: token } : {}) });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((i) => i.message_id ?? ''));
      token = page.continuationToken;
      pages += 1;
      // A message refused meanwhile is newer than the first page: it does not shift the pages still to come.
      if (pages === 1)
        await h.store.events.recordPoison({ source: 'sample', messageId: 'm-late', reason: 'late', body: null });
    } while (token);
    assert.deepEqual(seen, ['m-7', 'm-6', 'm-5', 'm-4', 'm-3', 'm-2', 'm-1']);
    assert.equal(pages, 3);
    // Filters apply across pages too.
    const kvFirst = await list({ source: 'eventgrid:keyvault', top: '2' });
    assert.ok(kvFirst.continuationToken);
    const kvNext = await list({ source: 'eventgrid:keyvault', top: '2', continuationToken: kvFirst.continuationToken });
    assert.deepEqual(
      kvNext.items.map((i) => i.message_id),
      ['m-2'],
    );
    assert.equal(kvNext.continuationToken, undefined);
  });

  test('get one by id; an unknown id is a 404 problem', async () => {
    const [newest] = (await list({ source: 'servicebus:warden-commands', top: '1' })).items;
    assert.ok(newest);
    const res = await h.call('getPoisonMessage', { token: ada, params: { id: String(newest.id) } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, newest);
    const missing = await h.call('getPoisonMessage', { token: ada, params: { id: '999999' } });
    assert.equal(missing.status, 404, missing.text);
    assert.match(missing.headers['content-type'] ?? '', /application\/problem\+json/);
    assert.match((missing.body as { detail: string }).detail, /999999/);
  });

  test('credential-looking values were redacted when recorded; identifiers are kept', async () => {
    const [m7] = (await list({ since: midway })).items.filter((i) => i.message_id === 'm-7');
    assert.ok(m7?.body);
    assert.ok(!m7.body.includes('s3cr3t-value'), m7.body);
    assert.deepEqual(JSON.parse(m7.body), { command: 'rotate', clientSecret: '[redacted]', referenceId: 'sr-1' });
  });

  test('bad query and path input is a 400 problem naming the parameter', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ top: '0' }, 'top'],
      [{ top: '501' }, 'top'],
      [{ top: '1000' }, 'top'],
      [{ top: 'ten' }, 'top'],
      [{ top: '-1' }, 'top'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: '2026-13-45T00:00:00Z' }, 'since'],
      [{ source: '' }, 'source'],
      [{ source: 'x'.repeat(257) }, 'source'],
      [{ continuationToken: 'not a token!' }, 'continuationToken'],
      [{ continuationToken: encodeContinuation('audit', 5) }, 'continuationToken'],
      [{ continuationToken: encodeContinuation('poison', 'five') }, 'continuationToken'],
      [{ limit: '5' }, ''],
    ];
    for (const [query, param] of cases) {
      const res = await h.call('listPoisonMessages', { token: ada, query });
      assert.equal(res.status, 400, `${JSON.stringify(query)}: ${res.text}`);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
      const problem = res.body as { errors?: { path: string }[] };
      if (param)
        assert.ok(
          problem.errors?.some((e) => e.path.includes(param)),
          `${param}: ${res.text}`,
        );
    }
    for (const id of ['abc', '0', '1.5', '-3', '1234567890123456']) {
      const res = await h.call('getPoisonMessage', { token: ada, params: { id } });
      assert.equal(res.status, 400, `${id}: ${res.text}`);
    }
    const extra = await h.call('getPoisonMessage', { token: ada, params: { id: '1' }, query: { top: '1' } });
    assert.equal(extra.status, 400, extra.text);
  });
});
