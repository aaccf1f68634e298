import { test } from 'node:test';

import { accepts, rejects } from './schema-assert';

const decided = {
  decided_by: 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d',
  decision: 'approved',
  decided_at: '2026-01-02T00:00:00Z',
};

test('approval: pending and decided approvals are accepted', () => {
  accepts('approvals');
  accepts('approvals', decided);
});

test('approval: each field rule rejects', () => {
  rejects('approvals', { kind: 'coffee' }, 'kind', /approval kind/);
  rejects('approvals', { target: '' }, 'target', /must not be empty/);
  rejects('approvals', { plan: 'remove all' }, 'plan', /JSON object/);
  rejects('approvals', { requested_by: '' }, 'requested_by', /must not be empty/);
  rejects('approvals', { requested_at: 'now' }, 'requested_at', /ISO 8601/);
  rejects('approvals', { ...decided, decision: 'maybe' }, 'decision', /not a known decision/);
  rejects('approvals', { decision: 'approved' }, 'decision', /set together/);
  rejects('approvals', { ...decided, decided_by: 'warden' }, 'decided_by', /four eyes/);
  rejects('approvals', { ...decided, decided_at: '2025-12-31T00:00:00Z' }, 'decided_at', /before requested_at/);
  rejects('approvals', { comment: 'x'.repeat(2001) }, 'comment', /at most 2000/);
});
