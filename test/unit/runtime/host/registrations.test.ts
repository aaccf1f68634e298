import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RegisteredFunction } from '../../../../runtime/host/core-api';
import { checkTriggersServed, describeFunction, formatFunctionTable } from '../../../../runtime/host/registrations';

const fn = (name: string, trigger: Record<string, unknown>): RegisteredFunction => ({
  metadata: { name, bindings: { t: { direction: 'in', ...trigger } } },
  callback: () => undefined,
});

test('the table describes each trigger kind', () => {
  const rows = [
    fn('h', { type: 'httpTrigger', methods: ['GET'], authLevel: 'function', route: 'a/{id}' }),
    fn('q', { type: 'serviceBusTrigger', queueName: 'in', isSessionsEnabled: true, cardinality: 'many' }),
    fn('t', { type: 'timerTrigger', schedule: '0 0 * * * *', runOnStartup: true }),
  ].map((f) => describeFunction(f, 'api'));
  assert.deepEqual(
    rows.map((r) => r.source),
    ['GET /api/a/{id} [function]', 'queue in (sessions) (batch)', 'schedule 0 0 * * * * (runOnStartup)'],
  );
  assert.equal(describeFunction(fn('h', { type: 'httpTrigger', methods: ['GET'] }), '').source, 'GET /h [function]');
  assert.match(formatFunctionTable(rows), /^ {2}Function {2}Trigger/);
});

test('unserved triggers, entities and trigger-less functions are all listed at once', () => {
  const functions = [
    fn('ok', { type: 'httpTrigger' }),
    fn('blob', { type: 'blobTrigger' }),
    fn('entity', { type: 'entityTrigger' }),
    { metadata: { name: 'none', bindings: {} }, callback: () => undefined },
  ];
  assert.throws(
    () => checkTriggersServed(functions, [{ name: 'http', triggerTypes: ['httpTrigger'] }]),
    (e: Error) =>
      /3 function\(s\)/.test(e.message) &&
      /blob: blobTrigger/.test(e.message) &&
      /entity: entityTrigger — durable entities are not supported/.test(e.message) &&
      /none: no trigger binding/.test(e.message) &&
      /Trigger types served: httpTrigger\./.test(e.message),
  );
  assert.doesNotThrow(() =>
    checkTriggersServed([fn('ok', { type: 'HTTPTRIGGER' })], [{ name: 'http', triggerTypes: ['httpTrigger'] }]),
  );
});
