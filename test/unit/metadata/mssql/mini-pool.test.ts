import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MiniPool } from '../../../../shared/metadata/mssql/mini-pool';

test('the pool creates up to max, queues waiters, reuses released resources, drops invalid ones', async () => {
  let created = 0;
  const destroyed: number[] = [];
  const invalid = new Set<number>();
  const pool = new MiniPool<number>({
    min: 0,
    max: 2,
    create: () => Promise.resolve(++created),
    destroy: (r) => {
      destroyed.push(r);
    },
    validate: (r) => !invalid.has(r),
  });
  const a = await pool.acquire().promise;
  const b = await pool.acquire().promise;
  assert.deepEqual([a, b], [1, 2]);
  let third: number | undefined;
  const waiting = pool.acquire().promise.then((r) => (third = r));
  await Promise.resolve();
  assert.equal(third, undefined, 'a third caller waits at max');
  pool.release(a);
  await waiting;
  assert.equal(third, 1, 'the released resource goes to the waiter');
  pool.release(b);
  invalid.add(b);
  const c = await pool.acquire().promise;
  assert.equal(c, 3, 'an invalid idle resource is destroyed and replaced');
  assert.deepEqual(destroyed, [2]);
  pool.release(c);
  await pool.destroy();
  assert.deepEqual(destroyed, [2, 3]);
  await assert.rejects(pool.acquire().promise, /destroyed/);
});

test('a failed create frees its slot', async () => {
  let fail = true;
  const pool = new MiniPool<string>({
    min: 0,
    max: 1,
    create: () => (fail ? Promise.reject(new Error('no token')) : Promise.resolve('conn')),
    destroy: () => undefined,
  });
  await assert.rejects(pool.acquire().promise, /no token/);
  fail = false;
  assert.equal(await pool.acquire().promise, 'conn');
});
