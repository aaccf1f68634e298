import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { KeyStore } from '../../../../runtime/admin/key-store';

const dir = (): string => mkdtempSync(path.join(os.tmpdir(), 'warden-keys-'));

test('keys are generated on first open and kept; function, host and master keys authorise as the host does', () => {
  const d = dir();
  const store = KeyStore.open(d);
  store.ensure(['fnA', 'fnB'], ['eventgrid_extension']);
  const keys = store.snapshot();
  assert.match(keys.masterKey, /^[A-Za-z0-9_-]{50,}$/);
  assert.deepEqual(KeyStore.open(d).snapshot(), keys, 'reopening keeps every key');
  const fnA = keys.functionKeys.fnA?.default;
  const fnB = keys.functionKeys.fnB?.default;
  const host = keys.hostKeys.default;
  assert.deepEqual(store.authorizeFunction('anonymous', 'fnA', undefined), { kind: 'host', name: 'anonymous' });
  assert.equal(store.authorizeFunction('function', 'fnA', undefined), undefined);
  assert.equal(store.authorizeFunction('function', 'fnA', fnA)?.kind, 'function');
  assert.equal(store.authorizeFunction('function', 'fnA', fnB), undefined, "another function's key is refused");
  assert.equal(store.authorizeFunction('function', 'fnA', host)?.kind, 'host');
  assert.equal(store.authorizeFunction('function', 'fnA', keys.masterKey)?.kind, 'master');
  assert.equal(store.authorizeFunction('admin', 'fnA', host), undefined);
  assert.equal(store.authorizeFunction('admin', 'fnA', keys.masterKey)?.kind, 'master');
  assert.equal(store.authorizeSystem('eventgrid_extension', keys.systemKeys.eventgrid_extension)?.kind, 'system');
  assert.equal(store.authorizeSystem('eventgrid_extension', host), undefined);
  assert.equal(store.authorizeSystem('eventgrid_extension', keys.masterKey)?.kind, 'master');
  assert.equal(store.authorizeMaster(host), false);
});

test('a hand-edited key file is honoured; an unreadable one is refused with the way out', () => {
  const d = dir();
  writeFileSync(path.join(d, 'keys.json'), JSON.stringify({ masterKey: 'local-master', hostKeys: { default: 'h' } }));
  const store = KeyStore.open(d);
  assert.equal(store.masterKey, 'local-master');
  store.ensure([], ['eventgrid_extension']);
  assert.ok((JSON.parse(readFileSync(path.join(d, 'keys.json'), 'utf8')) as { systemKeys: object }).systemKeys);
  const bad = dir();
  writeFileSync(path.join(bad, 'keys.json'), '{');
  assert.throws(() => KeyStore.open(bad), /unreadable .* delete it to regenerate/);
});
