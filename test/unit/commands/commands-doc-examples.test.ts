import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { COMMAND_NAMES, parseCommand } from '../../../shared/commands/command.schema';

test('every command example in docs/commands.md is a valid command, and every command has one', () => {
  const doc = readFileSync(path.join(findRepoRoot(__dirname), 'docs', 'commands.md'), 'utf8');
  const block = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/commands.md has a json block of examples');
  const examples = block
    .trim()
    .split(/\n(?=\{)/)
    .map((text) => JSON.parse(text) as unknown);
  const seen = new Set<string>();
  for (const example of examples) {
    const r = parseCommand(example);
    assert.ok(r.ok, `${JSON.stringify(example)}: ${r.ok ? '' : r.reason}`);
    seen.add(r.command.command);
  }
  assert.deepEqual([...seen].sort(), [...COMMAND_NAMES].sort());
});
