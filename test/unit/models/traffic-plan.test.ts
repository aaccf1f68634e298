import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { formatTraffic, parseTraffic, planRestore, planTraffic } from '../../../shared/domain/models/traffic-plan';

const deployments = [
  { name: 'blue', modelVersion: '3' },
  { name: 'green', modelVersion: '2' },
];

describe('planTraffic', () => {
  test("quarantining v3 moves blue's share to green (the last good version)", () => {
    const p = planTraffic({ blue: 100, green: 0 }, deployments, new Set(['3']), '2');
    assert.equal(p.changed, true);
    assert.deepEqual(p.after, { blue: 0, green: 100 });
    assert.equal(p.receiver, 'green');
    assert.deepEqual(p.held, ['blue']);
    assert.equal(p.needsAccessCut, false);
  });

  test('a split is kept: only the held share moves', () => {
    const three = [...deployments, { name: 'canary', modelVersion: '4' }];
    const p = planTraffic({ blue: 70, green: 20, canary: 10 }, three, new Set(['3']), '2');
    assert.deepEqual(p.after, { blue: 0, green: 90, canary: 10 });
  });

  test('without a last good version, the good deployment serving most receives it', () => {
    const three = [...deployments, { name: 'canary', modelVersion: '4' }];
    const p = planTraffic({ blue: 50, green: 10, canary: 40 }, three, new Set(['3']), null);
    assert.equal(p.receiver, 'canary');
    assert.deepEqual(p.after, { blue: 0, green: 10, canary: 90 });
  });

  test('a held version already at 0% changes nothing (idempotent; a redeploy to 100% is held again)', () => {
    assert.equal(planTraffic({ blue: 0, green: 100 }, deployments, new Set(['3']), '2').changed, false);
    const redeployed = planTraffic({ blue: 100, green: 0 }, deployments, new Set(['3']), '2');
    assert.deepEqual(redeployed.after, { blue: 0, green: 100 });
  });

  test('no good deployment left: access must be cut, traffic is not touched', () => {
    const p = planTraffic({ blue: 100, green: 0 }, deployments, new Set(['3', '2']), '2');
    assert.equal(p.needsAccessCut, true);
    assert.equal(p.changed, false);
    assert.deepEqual(p.after, { blue: 100, green: 0 });
  });

  test('traffic keys that are not deployments are left out of the PUT', () => {
    const p = planTraffic({ blue: 100, ghost: 0 }, deployments, new Set(['3']), '2');
    assert.deepEqual(Object.keys(p.after).sort(), ['blue', 'green']);
  });
});

describe('planRestore', () => {
  test('release restores the recorded traffic', () => {
    const p = planRestore({ blue: 0, green: 100 }, deployments, 'blue', new Set(), { blue: 100, green: 0 });
    assert.equal(p.changed, true);
    assert.deepEqual(p.after, { blue: 100, green: 0 });
  });
  test('a share recorded for a still-held deployment goes to the released one', () => {
    const p = planRestore({ blue: 0, green: 100 }, deployments, 'blue', new Set(['2']), { blue: 60, green: 40 });
    assert.deepEqual(p.after, { blue: 100, green: 0 });
  });
  test('without a record the released deployment takes all traffic; a missing deployment changes nothing', () => {
    assert.deepEqual(planRestore({ blue: 0, green: 100 }, deployments, 'blue', new Set(), null).after, {
      blue: 100,
      green: 0,
    });
    assert.equal(planRestore({ blue: 0, green: 100 }, deployments, 'red', new Set(), null).changed, false);
  });
});

describe('traffic tag format', () => {
  test('round trip, and refuses what is not a traffic map', () => {
    assert.equal(formatTraffic({ green: 0, blue: 100 }), 'blue=100,green=0');
    assert.deepEqual(parseTraffic('blue=100,green=0'), { blue: 100, green: 0 });
    assert.equal(parseTraffic('blue=101'), null);
    assert.equal(parseTraffic('x'), null);
    assert.equal(parseTraffic(undefined), null);
  });
});
