import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ConflictError,
  ensureError,
  NotFoundError,
  PreconditionFailedError,
  TransientCloudError,
  ValidationError,
} from '../../../shared/domain/errors';

test('each error has a stable code, its class name and a message naming the thing', () => {
  const v = new ValidationError('access policy', [{ path: 'scope', message: 'is not an ARM id' }]);
  assert.equal(v.code, 'VALIDATION_FAILED');
  assert.equal(v.name, 'ValidationError');
  assert.equal(v.message, 'access policy is invalid: scope: is not an ARM id');
  const nf = new NotFoundError('model', 'm-1');
  assert.equal(nf.code, 'NOT_FOUND');
  assert.match(nf.message, /model 'm-1' does not exist/);
  assert.equal(new ConflictError('exists').code, 'CONFLICT');
  const pf = new PreconditionFailedError('model', 'm-1', 2, 3);
  assert.equal(pf.code, 'PRECONDITION_FAILED');
  assert.ok(pf instanceof ConflictError, 'a failed version check is a conflict');
  assert.match(pf.message, /is at version 3, not 2/);
  const t = new TransientCloudError('throttled', 500);
  assert.equal(t.code, 'TRANSIENT');
  assert.equal(t.retryAfterMs, 500);
});

test('ensureError keeps errors and wraps anything else', () => {
  const e = new Error('x');
  assert.equal(ensureError(e), e);
  assert.equal(ensureError('boom').message, 'Non-error thrown: boom');
  assert.equal(ensureError({ a: 1 }).message, 'Non-error thrown: {"a":1}');
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.match(ensureError(circular).message, /Non-error thrown/);
});
