import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  PayloadTooLargeError,
  PreconditionRequiredError,
  UnsupportedMediaTypeError,
} from '../../../functions/_edge/edge-errors';
import { toProblem } from '../../../functions/_edge/problem-details';
import { AuthError } from '../../../shared/auth/auth-error';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  TransientCloudError,
  ValidationError,
} from '../../../shared/domain/errors';
import { GuardrailRefusedError } from '../../../shared/domain/guardrails/guardrail-refused-error';

describe('toProblem: the one error → problem+json mapping', () => {
  const cases: [unknown, number, string][] = [
    [new ValidationError('x', [{ path: 'role', message: 'bad' }]), 400, 'VALIDATION_FAILED'],
    [new AuthError(401, 'token_expired', 'The token has expired.'), 401, 'token_expired'],
    [new AuthError(403, 'missing_role', 'needs Warden.Reader'), 403, 'missing_role'],
    [new GuardrailRefusedError('BREAK_GLASS', 'no', [{ path: 'principal_id', message: 'bg' }]), 403, 'BREAK_GLASS'],
    [new NotFoundError('access policy', 'ap-x'), 404, 'NOT_FOUND'],
    [new ConflictError('exists'), 409, 'CONFLICT'],
    [new PreconditionFailedError('access policy', 'ap-x', 1, 2), 412, 'PRECONDITION_FAILED'],
    [new PayloadTooLargeError(10), 413, 'PAYLOAD_TOO_LARGE'],
    [new UnsupportedMediaTypeError('text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [new PreconditionRequiredError(), 428, 'PRECONDITION_REQUIRED'],
    [new TransientCloudError('busy', 2500), 503, 'TRANSIENT'],
  ];
  for (const [error, status, code] of cases)
    test(`${(error as Error).name} → ${status}`, () => {
      const p = toProblem(error, { instance: '/api/x', correlationId: 'c1' });
      assert.equal(p.status, status);
      assert.equal(p.body.status, status);
      assert.equal(p.body.code, code);
      assert.equal(p.body.instance, '/api/x');
      assert.equal(p.body.correlationId, 'c1');
      assert.equal(p.headers['content-type'], 'application/problem+json');
      assert.match(p.body.type, /^urn:warden:problem:[a-z-]+$/);
      assert.ok(p.body.title.length > 0);
    });

  test('field issues travel as errors[] for validation and guardrail failures', () => {
    assert.deepEqual(toProblem(new ValidationError('x', [{ path: 'role', message: 'bad' }])).body.errors, [
      { path: 'role', message: 'bad' },
    ]);
    assert.equal(toProblem(new NotFoundError('a', 'b')).body.errors, undefined);
  });

  test('401 carries the bearer challenge; 503 a Retry-After', () => {
    assert.equal(
      toProblem(new AuthError(401, 'missing_token', 'A bearer token is required.')).headers['www-authenticate'],
      'Bearer realm="warden"',
    );
    assert.equal(toProblem(new TransientCloudError('busy', 2500)).headers['retry-after'], '3');
  });

  test('anything else is a 500 without its message or stack', () => {
    const secret = new Error('password=hunter2 at db.connect');
    const p = toProblem(secret);
    assert.equal(p.status, 500);
    assert.equal(p.body.code, 'INTERNAL');
    assert.ok(!JSON.stringify(p.body).includes('hunter2'));
    assert.ok(!JSON.stringify(p.body).includes('at '));
  });
});
