import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { routeTableMarkdown } from '../../../shared/api/route-docs';
import { API_ROUTES } from '../../../shared/api/route-table';

function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'warden') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repo root not found');
    dir = up;
  }
}

describe('docs/api.md', () => {
  test('embeds the current route table (regenerate with routeTableMarkdown when a route changes)', () => {
    const doc = readFileSync(path.join(repoRoot(), 'docs', 'api.md'), 'utf8');
    assert.ok(doc.includes(routeTableMarkdown(API_ROUTES)), 'docs/api.md route table is stale');
  });
});
