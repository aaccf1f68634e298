import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseCidr } from '../../../../shared/domain/primitives/cidr';

test('accepts IPv4 and IPv6 ranges and single addresses', () => {
  assert.deepEqual(parseCidr('203.0.113.0/24'), { ok: true, family: 4, cidr: '203.0.113.0/24' });
  assert.deepEqual(parseCidr('198.51.100.7'), { ok: true, family: 4, cidr: '198.51.100.7/32' });
  assert.deepEqual(parseCidr('0.0.0.0/0'), { ok: true, family: 4, cidr: '0.0.0.0/0' });
  assert.equal(parseCidr('2001:db8::/32').ok, true);
  assert.equal(parseCidr('::/0').ok, true);
  assert.equal(parseCidr('::1').ok, true);
  assert.equal(parseCidr('2001:0db8:0000:0000:0000:0000:0000:0000/32').ok, true);
  assert.equal(parseCidr('::ffff:10.0.0.0/104').ok, true);
});

test('refuses what does not parse, with the reason', () => {
  const bad: [string, RegExp][] = [
    ['10.0.0/24', /not an IPv4 or IPv6/],
    ['10.0.0.256', /not an IPv4 or IPv6/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/', /prefix length ''/],
    ['10.1.0.0/8', /host bits set; did you mean 10\.0\.0\.0\/8\?/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv4 or IPv6/],
    ['fe80::1%eth0', /not an IPv4 or IPv6/],
    ['2001:db8::g', /not an IPv4 or IPv6/],
    ['2001:db8::1/64', /did you mean 2001:db8::\/64/],
    ['localhost', /not an IPv4 or IPv6/],
  ];
  for (const [text, reason] of bad) {
    const r = parseCidr(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.reason, reason, text);
  }
});
