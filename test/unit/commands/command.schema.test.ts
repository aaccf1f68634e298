import assert from 'node:assert/strict';
import { test } from 'node:test';

import { COMMAND_NAMES, parseCommand } from '../../../shared/commands/command.schema';

const SCOPE = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml';
const STORAGE = `${SCOPE}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;

function reason(body: unknown): string {
  const r = parseCommand(body);
  assert.equal(r.ok, false, `expected ${JSON.stringify(body)} to be refused`);
  return r.ok ? '' : r.reason;
}

test('each command is accepted with its target, requester and optional fields', () => {
  const cases = [
    { command: 'reconcile', scope: SCOPE, requestedBy: 'ado:fraud-ml/train' },
    { command: 'enforce', resourceId: STORAGE, requestedBy: 'gh:contoso/ml', dryRun: true },
    { command: 'rotate', referenceId: 'sr-fraud-db', requestedBy: 'pipeline-1', correlationId: 'build-42' },
    { command: 'quarantine', modelId: 'm-fraud-3', requestedBy: 'oncall', reason: 'precision fell below 0.9' },
    { command: 'release', modelId: 'm-fraud-3', requestedBy: 'oncall', dryRun: false },
  ];
  assert.deepEqual(
    cases.map((c) => c.command),
    [...COMMAND_NAMES],
    'every command has a case',
  );
  for (const body of cases) {
    const r = parseCommand(body);
    assert.ok(r.ok, `${body.command}: ${r.ok ? '' : r.reason}`);
    assert.deepEqual(r.command, body);
  }
});

test('JSON text and UTF-8 bytes are parsed as the worker may hand them over', () => {
  const body = { command: 'reconcile', scope: SCOPE, requestedBy: 'p' };
  for (const raw of [JSON.stringify(body), Buffer.from(JSON.stringify(body), 'utf8')]) {
    const r = parseCommand(raw);
    assert.ok(r.ok && r.command.command === 'reconcile' && r.command.scope === SCOPE);
  }
});

test('bodies that are not a JSON object name what they are', () => {
  assert.equal(reason('{"command":'), 'the body is not JSON (it ends early); a command is a JSON object');
  assert.equal(
    reason('{"command": "reconcile" "x"}'),
    'the body is not JSON (at character 24); a command is a JSON object',
  );
  const leaked = reason('password=hunter2');
  assert.match(leaked, /^the body is not JSON/);
  assert.doesNotMatch(leaked, /hunter2/, 'the reason never quotes the body (it goes into notifications)');
  assert.match(reason(Buffer.from([0xff, 0xfe, 0x00])), /not UTF-8 text/);
  assert.match(reason(42), /the body is a number, not a JSON object/);
  assert.match(reason('[1,2]'), /the body is an array/);
  assert.match(reason(null), /the body is null/);
  assert.match(reason('"reconcile"'), /the body is a string/);
});

test('a missing or unknown command is named', () => {
  assert.match(reason({ scope: SCOPE, requestedBy: 'p' }), /names no "command" \(one of reconcile, enforce/);
  assert.match(reason({ command: 'delete-everything', requestedBy: 'p' }), /unknown command "delete-everything"/);
  assert.match(reason({ command: 7, requestedBy: 'p' }), /unknown command 7/);
});

test('schema violations name each field and what was wrong', () => {
  assert.match(reason({ command: 'reconcile', scope: SCOPE }), /invalid 'reconcile' command: requestedBy: is required/);
  assert.match(reason({ command: 'reconcile', requestedBy: 'p' }), /scope: is required/);
  assert.match(
    reason({ command: 'reconcile', scope: 'rg-fraud-ml', requestedBy: 'p' }),
    /scope: "rg-fraud-ml" is not an ARM resource id/,
  );
  assert.match(
    reason({ command: 'reconcile', scope: SCOPE, scopee: SCOPE, requestedBy: 'p' }),
    /scopee: is not a known field/,
  );
  assert.match(reason({ command: 'enforce', resourceId: STORAGE, requestedBy: '' }), /requestedBy: must not be empty/);
  assert.match(
    reason({ command: 'enforce', resourceId: STORAGE, requestedBy: 'x'.repeat(201) }),
    /requestedBy: must be at most 200 characters/,
  );
  assert.match(
    reason({ command: 'rotate', referenceId: 'bad id!', requestedBy: 'p' }),
    /referenceId: must be 1-128 letters/,
  );
  assert.match(
    reason({ command: 'quarantine', modelId: 'm-1', requestedBy: 'p', reason: '  ' }),
    /reason: must not be empty/,
  );
  assert.match(
    reason({ command: 'release', modelId: 'm-1', requestedBy: 'p', dryRun: 'yes' }),
    /dryRun: must be true or false/,
  );
  assert.match(
    reason({ command: 'release', modelId: 'm-1', requestedBy: 'p', correlationId: 'a b' }),
    /correlationId: must not contain spaces/,
  );
  assert.match(
    reason({ command: 'release', modelId: 'm-1', requestedBy: 'p\u0007' }),
    /requestedBy: must not contain control/,
  );
  assert.match(
    reason({ command: 'release', modelId: 'm-1', requestedBy: 'p', reason: 'no reason on release' }),
    /reason: is not a known field/,
  );
});
