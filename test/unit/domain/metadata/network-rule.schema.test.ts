import assert from 'node:assert/strict';
import { test } from 'node:test';

import { accepts, rejects } from './schema-assert';

test('network rule: private endpoint posture and self-hosted runtime are accepted', () => {
  accepts('network_rules');
  accepts('network_rules', {
    public_network_access: null,
    private_endpoint_required: false,
    integration_runtime: 'self-hosted:shir-onprem',
    consumers: [{ name: 'feature-build', via: 'integration-runtime', integrationRuntime: 'shir-onprem' }],
  });
});

test('network rule: IPv4 and IPv6 ranges and single addresses are accepted', () => {
  const row = accepts('network_rules', {
    public_network_access: 'Enabled',
    allowed_ip_ranges: ['203.0.113.0/24', '198.51.100.7', '2001:db8::/32', '2001:db8:0:1::/64', '::ffff:192.0.2.0/120'],
  });
  assert.equal(row.allowed_ip_ranges.length, 5);
});

test('network rule: CIDRs that do not parse are refused with the reason', () => {
  const enabled = { public_network_access: 'Enabled' };
  rejects(
    'network_rules',
    { ...enabled, allowed_ip_ranges: ['10.0.0.0/33'] },
    'allowed_ip_ranges.0',
    /prefix length '33'; IPv4 allows 0 to 32/,
  );
  rejects(
    'network_rules',
    { ...enabled, allowed_ip_ranges: ['300.1.1.0/24'] },
    'allowed_ip_ranges.0',
    /not an IPv4 or IPv6/,
  );
  rejects(
    'network_rules',
    { ...enabled, allowed_ip_ranges: ['10.0.0.1/8'] },
    'allowed_ip_ranges.0',
    /host bits set; did you mean 10\.0\.0\.0\/8/,
  );
  rejects(
    'network_rules',
    { ...enabled, allowed_ip_ranges: ['fe80::/129'] },
    'allowed_ip_ranges.0',
    /IPv6 allows 0 to 128/,
  );
  rejects(
    'network_rules',
    { ...enabled, allowed_ip_ranges: ['2001:db8:::1'] },
    'allowed_ip_ranges.0',
    /not an IPv4 or IPv6/,
  );
  rejects(
    'network_rules',
    { ...enabled, allowed_ip_ranges: ['2001:db8::1/32'] },
    'allowed_ip_ranges.0',
    /did you mean 2001:db8::\/32/,
  );
  rejects('network_rules', { ...enabled, allowed_ip_ranges: ['010.0.0.0/8'] }, 'allowed_ip_ranges.0', /not an IPv4/);
});

test('network rule: each other field rule rejects', () => {
  rejects('network_rules', { resource_id: 'stfraudraw' }, 'resource_id', /ARM resource id/);
  rejects('network_rules', { public_network_access: 'Open' }, 'public_network_access', /public network access setting/);
  rejects('network_rules', { private_endpoint_required: 'true' }, 'private_endpoint_required', /true or false/);
  rejects(
    'network_rules',
    { allowed_ip_ranges: ['203.0.113.0/24'] },
    'allowed_ip_ranges',
    /no effect when public_network_access is Disabled/,
  );
  rejects(
    'network_rules',
    { integration_runtime: 'self-hosted:' },
    'integration_runtime',
    /self-hosted:<runtime name>/,
  );
  rejects(
    'network_rules',
    { consumers: [{ name: 'x', via: 'private-endpoint' }] },
    'consumers.0.privateEndpoint',
    /required when via/,
  );
  rejects('network_rules', { consumers: [{ name: 'x', via: 'vpn' }] }, 'consumers.0.via', /access path/);
  rejects('network_rules', { enabled: 1 }, 'enabled', /true or false/);
});
