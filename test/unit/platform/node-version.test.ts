import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';

const root = findRepoRoot(__dirname);

test('tests run on Node.js 22, the version Azure Functions supports', () => {
  const major = Number(process.versions.node.split('.')[0]);
  assert.equal(major, 22, `expected Node 22, running ${process.version}`);
});

test('package.json, .nvmrc and the pinned node package agree on 22', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    engines: { node: string };
    devDependencies: Record<string, string>;
  };
  assert.match(pkg.engines.node, /^>=22 <23$/);
  assert.match(pkg.devDependencies.node ?? '', /^22\./);
  assert.equal(readFileSync(path.join(root, '.nvmrc'), 'utf8').trim(), '22');
});
