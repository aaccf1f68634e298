import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventSchemaOf } from '../../../../runtime/eventgrid/event-grid-component';

test('Event Grid and CloudEvents 1.0 are told apart; anything else says why', () => {
  assert.equal(eventSchemaOf({ id: '1', eventType: 't', subject: '', eventTime: 'x', data: {} }), 'EventGrid');
  assert.equal(eventSchemaOf({ specversion: '1.0', id: '1', source: 's', type: 't' }), 'CloudEvents');
  assert.deepEqual(eventSchemaOf({ specversion: '0.3', id: '1', source: 's', type: 't' }), {
    problem: 'has specversion "0.3"; only CloudEvents 1.0 is supported',
  });
  assert.match((eventSchemaOf({ specversion: '1.0', id: '1' }) as { problem: string }).problem, /without source, type/);
  assert.match((eventSchemaOf({ id: '1' }) as { problem: string }).problem, /missing eventType, subject, eventTime/);
  assert.match((eventSchemaOf([1]) as { problem: string }).problem, /an array/);
  assert.match((eventSchemaOf('x') as { problem: string }).problem, /got string/);
});
