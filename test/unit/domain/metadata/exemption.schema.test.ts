import { test } from 'node:test';

import { RG } from './sample-rows';
import { accepts, NOW, rejects } from './schema-assert';

test('exemption: accepted, also on any ARM scope', () => {
  accepts('exemptions');
  accepts('exemptions', { target: RG, kind: 'access' });
});

test('exemption: each field rule rejects', () => {
  rejects('exemptions', { target: 'stfraudraw' }, 'target', /ARM resource id/);
  rejects('exemptions', { kind: 'everything' }, 'kind', /exemption kind/);
  rejects('exemptions', { reason: '' }, 'reason', /must not be empty/);
  rejects('exemptions', { expires_at: undefined }, 'expires_at', /is required/);
  rejects('exemptions', { expires_at: '2026-01-01T00:00:00Z' }, 'expires_at', /in the past/);
  rejects('exemptions', { approved_by: 'me' }, 'approved_by', /GUID/);
  accepts('exemptions', { expires_at: '2026-01-01T00:00:00Z' }, { now: NOW, isInsert: false });
});
