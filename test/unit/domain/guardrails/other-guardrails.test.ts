import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ValidationError } from '../../../../shared/domain/errors';
import { assertExemptionApprovedByOther } from '../../../../shared/domain/guardrails/exemption-guardrails';
import { actorObjectId, assertFourEyes } from '../../../../shared/domain/guardrails/four-eyes';
import { GuardrailRefusedError } from '../../../../shared/domain/guardrails/guardrail-refused-error';
import { assertBreakGlassKept } from '../../../../shared/domain/guardrails/managed-scope-guardrails';

const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';

describe('four eyes', () => {
  test('the object id of an actor string', () => {
    assert.equal(actorObjectId(`${ADA} (Ada Lovelace)`), ADA);
    assert.equal(actorObjectId(`${ADA.toUpperCase()} (app x)`), ADA);
    assert.equal(actorObjectId('warden'), 'warden');
  });
  test('the requester cannot decide; anyone else can', () => {
    assert.throws(
      () => assertFourEyes(`${ADA} (Ada Lovelace)`, ADA.toUpperCase()),
      (e: unknown) =>
        e instanceof GuardrailRefusedError && e.code === 'FOUR_EYES' && e.issues[0]?.path === 'decided_by',
    );
    assert.doesNotThrow(() => assertFourEyes(`${ADA} (Ada Lovelace)`, GRACE));
    // A display name that looks like another id does not help: only the leading object id counts.
    assert.doesNotThrow(() => assertFourEyes(`${GRACE} (${ADA})`, ADA));
  });
});

describe('break-glass lists', () => {
  test('adding is fine, removing is refused naming break_glass', () => {
    assert.doesNotThrow(() => assertBreakGlassKept({ scope: '/s', break_glass: [ADA, GRACE] }, { break_glass: [ADA] }));
    assert.doesNotThrow(() => assertBreakGlassKept({ scope: '/s', break_glass: [] }, undefined));
    assert.throws(
      () => assertBreakGlassKept({ scope: '/s', break_glass: [GRACE] }, { break_glass: [ADA.toUpperCase(), GRACE] }),
      (e: unknown) => e instanceof GuardrailRefusedError && e.issues[0]?.path === 'break_glass',
    );
  });
});

describe('exemptions', () => {
  test('approved by someone other than the writer', () => {
    assert.doesNotThrow(() => assertExemptionApprovedByOther({ id: 'ex', approved_by: GRACE }, ADA));
    assert.throws(
      () => assertExemptionApprovedByOther({ id: 'ex', approved_by: ADA }, ADA.toUpperCase()),
      (e: unknown) => e instanceof ValidationError && e.issues[0]?.path === 'approved_by',
    );
  });
});
