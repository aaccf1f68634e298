import assert from 'node:assert/strict';
import { test } from 'node:test';

import { canonicalJson } from '../../../shared/domain/canonical-json';

test('keys are sorted at every depth, undefined members dropped, no whitespace', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined }),
    '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
});

test('non-JSON values are refused', () => {
  assert.throws(() => canonicalJson(Number.NaN), /not JSON/);
  assert.throws(() => canonicalJson(() => 1), /not JSON/);
});
