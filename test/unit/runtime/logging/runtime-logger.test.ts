import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createLogger, redact } from '../../../../runtime/logging/runtime-logger';

test('JSON lines off a terminal, readable lines on one, level filtering, child fields', () => {
  const lines: string[] = [];
  const json = createLogger({ sink: { write: (s: string) => lines.push(s), isTTY: false }, level: 'info' });
  json.debug('dropped');
  json.child({ invocationId: 'inv-1' }).info('function.log', { message: 'hi' });
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(entry.event, 'function.log');
  assert.equal(entry.invocationId, 'inv-1');
  assert.equal(entry.level, 'info');
  const tty: string[] = [];
  createLogger({ sink: { write: (s: string) => tty.push(s), isTTY: true } }).warn('x.y', { message: 'careful', n: 1 });
  assert.match(tty[0] ?? '', /^\d\d:\d\d:\d\d\.\d{3} WARN {2}x\.y careful n=1\n$/);
});

test('secret-looking fields are redacted at any depth', () => {
  assert.deepEqual(
    redact({
      masterKey: 'k',
      headers: { authorization: 'Bearer x' },
      nested: { password: 'p', ok: 1 },
      body: 'b',
      secure: true,
    }),
    {
      masterKey: '[redacted]',
      headers: '[redacted]',
      nested: { password: '[redacted]', ok: 1 },
      body: '[redacted]',
      secure: true,
    },
  );
  const lines: string[] = [];
  createLogger({ sink: { write: (s: string) => lines.push(s) }, json: true }).info('req', {
    authorization: 'Bearer abc',
  });
  assert.ok(!(lines[0] ?? '').includes('abc'));
});
