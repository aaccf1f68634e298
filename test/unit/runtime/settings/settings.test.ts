import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import type { RuntimeLogger } from '../../../../runtime/host/runtime-services';
import {
  honouredHostJsonPaths,
  readHostJson,
  reportIgnoredHostJson,
  stripJsonComments,
} from '../../../../runtime/settings/host-json';
import { injectLocalSettings } from '../../../../runtime/settings/local-settings';
import { resolveSettingExpression } from '../../../../runtime/settings/resolve-setting';

function recorder(): RuntimeLogger & { entries: { level: string; event: string; fields?: Record<string, unknown> }[] } {
  const entries: { level: string; event: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (event: string, fields?: Record<string, unknown>) => {
    entries.push({ level, event, ...(fields ? { fields } : {}) });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

test('Values are injected without overriding; NODE_* keys warn; a missing file is fine', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-settings-'));
  const file = path.join(dir, 'local.settings.json');
  writeFileSync(
    file,
    JSON.stringify({
      Values: { A: 'a', B: 'file', N: 1, T: true, Z: null, NODE_ENV: 'dev' },
      Host: { LocalHttpPort: 7072 },
    }),
  );
  const env: NodeJS.ProcessEnv = { B: 'env' };
  const log = recorder();
  const result = injectLocalSettings(file, env, log);
  assert.deepEqual(env, { A: 'a', B: 'env', N: '1', T: 'true', Z: '', NODE_ENV: 'dev' });
  assert.deepEqual(result.kept, ['B']);
  assert.deepEqual(result.nodeOptionWarnings, ['NODE_ENV']);
  assert.deepEqual(result.host, { LocalHttpPort: 7072 });
  assert.ok(log.entries.some((e) => e.level === 'warn' && e.event === 'settings.node-variable'));
  assert.deepEqual(injectLocalSettings(path.join(dir, 'none.json'), {}).injected, []);
});

test('%SETTING% expressions resolve; an unset one is named', () => {
  assert.equal(resolveSettingExpression('%Q%-%R%', { Q: 'in', R: 'q' }), 'in-q');
  assert.equal(resolveSettingExpression('100% plain', {}), '100% plain');
  assert.throws(() => resolveSettingExpression('%NOPE%', {}), /%NOPE% names an app setting that is not set/);
});

test('host.json: comments allowed, routePrefix trimmed, what is not implemented is listed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-hostjson-'));
  writeFileSync(
    path.join(dir, 'host.json'),
    `{
      // comment
      "version": "2.0", /* block */
      "extensionBundle": { "id": "x", "version": "[4.*, 5.0.0)" },
      "extensions": { "http": { "routePrefix": "/v2/" }, "Sql": { "MaxBatchSize": 10 }, "blobs": {} },
      "aggregator": { "batchSize": 1000 }
    }`,
  );
  const log = recorder();
  const settings = readHostJson(dir, log);
  assert.equal(settings.routePrefix, 'v2');
  assert.deepEqual(settings.ignored, ['extensions.blobs', 'aggregator']);
  assert.equal((settings.raw.extensions as { Sql: { MaxBatchSize: number } }).Sql.MaxBatchSize, 10);
  assert.equal(log.entries.filter((e) => e.level === 'warn').length, 1);
  assert.equal(readHostJson(path.join(dir, 'missing')).routePrefix, 'api');
  const upper = mkdtempSync(path.join(os.tmpdir(), 'warden-hostjson-'));
  writeFileSync(path.join(upper, 'host.json'), '{"Extensions": {"Http": {"RoutePrefix": "up"}}}');
  assert.equal(readHostJson(upper).routePrefix, 'up', 'host.json keys are case-insensitive');
  assert.equal(stripJsonComments('{"a":"http://x//y"} // c'), '{"a":"http://x//y"} \n');
});

test('a component that declares its host.json paths gets the rest of its section reported', () => {
  const raw = {
    version: '2.0',
    extensions: { serviceBus: { maxConcurrentCalls: 4, prefetchCount: 10 }, Sql: { X: 1 } },
  };
  assert.deepEqual(reportIgnoredHostJson(raw, honouredHostJsonPaths()), []);
  assert.deepEqual(reportIgnoredHostJson(raw, honouredHostJsonPaths(['extensions.serviceBus.maxConcurrentCalls'])), [
    'extensions.serviceBus.prefetchCount',
  ]);
  assert.deepEqual(reportIgnoredHostJson({ Extensions: { HTTP: { RoutePrefix: 'x' } } }, honouredHostJsonPaths()), []);
});
