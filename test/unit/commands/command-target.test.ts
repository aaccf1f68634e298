import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import type { Command } from '../../../shared/commands/command.schema';
import { commandSessionId, commandTarget } from '../../../shared/commands/command-target';

const SCOPE = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/RG-Fraud-ML';

test('the session of a command is its target, lower-cased; quarantine and release of a model share one', () => {
  const reconcile: Command = { command: 'reconcile', scope: SCOPE, requestedBy: 'p' };
  assert.deepEqual(commandTarget(reconcile), { kind: 'scope', id: SCOPE });
  assert.equal(commandSessionId(reconcile), SCOPE.toLowerCase());
  assert.equal(commandSessionId({ command: 'rotate', referenceId: 'SR-1', requestedBy: 'p' }), 'sr-1');
  assert.equal(
    commandSessionId({ command: 'quarantine', modelId: 'm-1', requestedBy: 'p' }),
    commandSessionId({ command: 'release', modelId: 'm-1', requestedBy: 'p' }),
  );
});

test('a target longer than a SessionId may be (128) is hashed', () => {
  const long = `${SCOPE}/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-detection-prod/onlineEndpoints/fraud-scoring-endpoint`;
  assert.ok(long.length > 128);
  const sid = commandSessionId({ command: 'enforce', resourceId: long, requestedBy: 'p' });
  assert.equal(sid, `sha256:${createHash('sha256').update(long.toLowerCase()).digest('hex')}`);
  assert.ok(sid.length <= 128);
});
