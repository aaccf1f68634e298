// The warden CLI's rendering (tables, plan diffs, audit lines) and whole commands over a fake API (sessions, --json,
// status follow on a terminal and in a pipe).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import type { CliIo } from '../../../cli/context';
import { EXIT } from '../../../cli/errors';
import { run } from '../../../cli/main';
import { auditLine, renderGenericPlan, renderPlan, table } from '../../../cli/render';
import { loadSession, saveSession, type Session } from '../../../cli/session';

const plain = { color: false };

describe('warden rendering', () => {
  test('tables align columns under an upper-case header; empty lists say (none)', () => {
    const out = table(
      [
        { id: 'ap-1', role: 'Reader', enabled: true, tags: ['a', 'b'], approved_by: null },
        { id: 'ap-long-name', role: 'Owner', enabled: false, tags: [], approved_by: 'g' },
      ],
      ['id', 'role', 'enabled', 'tags', 'approved_by'],
    );
    assert.equal(
      out,
      [
        'ID            ROLE    ENABLED  TAGS  APPROVED_BY',
        'ap-1          Reader  true     a,b   -',
        'ap-long-name  Owner   false          g',
        '',
      ].join('\n'),
    );
    assert.equal(table([], ['id']), '(none)\n');
  });

  test('an access plan: + creates, - deletes, why, the approval gate, notes and a summary', () => {
    const text = renderPlan(
      {
        kind: 'access',
        target: '/s/rg',
        mode: 'exclusive',
        enforcement: 'enforce',
        apply: true,
        notApplyingReason: null,
        steps: [
          {
            action: 'create',
            scope: '/s/rg',
            principalId: 'p1',
            principalType: 'ServicePrincipal',
            roleName: 'Owner',
            policyId: 'ap-owner',
            reason: 'policy ap-owner grants it',
            needsApproval: true,
            approvalId: 'apr-1',
            approvalReason: 'privileged role',
          },
          {
            action: 'delete',
            scope: '/s/rg',
            principalId: 'p2',
            principalType: 'User',
            roleName: 'Owner',
            policyId: null,
            reason: 'no policy backs it',
            needsApproval: false,
          },
        ],
        notes: [{ kind: 'break-glass', target: 'x', reason: 'break-glass account never touched' }],
        needsApproval: true,
      },
      plain,
    );
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], 'Plan for /s/rg (access, exclusive, enforce)');
    assert.equal(lines[1], '+ Owner for p1 (ServicePrincipal) at /s/rg [policy ap-owner]');
    assert.equal(lines[2], '    why: policy ap-owner grants it');
    assert.equal(lines[3], '    awaits approval apr-1: privileged role');
    assert.equal(lines[4], '- Owner for p2 (User) at /s/rg');
    assert.equal(lines[5], '    why: no policy backs it');
    assert.equal(lines[6], '  · break-glass: break-glass account never touched');
    assert.equal(lines[7], '1 to create, 1 to delete, 1 awaiting approval; would be applied by `warden apply`.');
  });

  test('a network plan: ~ from → to, ! refused, and a plan that will not apply says why', () => {
    const text = renderPlan(
      {
        kind: 'network',
        target: '/s/rg/providers/Microsoft.Storage/storageAccounts/st',
        apply: false,
        notApplyingReason: 'the scope is report-only',
        steps: [
          {
            aspect: 'public-network-access',
            resourceId: '/s/rg/providers/Microsoft.Storage/storageAccounts/st',
            from: 'Enabled',
            to: 'Disabled',
            ruleId: 'nr-1',
            reason: 'rule nr-1 says Disabled',
            needsApproval: false,
          },
        ],
        refused: [{ kind: 'refused', target: 'firewall', reason: 'would cut Warden off' }],
        notes: [],
      },
      plain,
    );
    assert.match(
      text,
      /^~ public-network-access on \/s\/rg\/providers\/Microsoft\.Storage\/storageAccounts\/st: Enabled → Disabled \[rule nr-1\]$/m,
    );
    assert.match(text, /^! refused refused firewall — would cut Warden off$/m);
    assert.match(text, /^1 to change; would not be applied: the scope is report-only\.$/m);
  });

  test('an empty plan says Azure matches', () => {
    assert.match(
      renderPlan({ kind: 'access', target: '/s', steps: [], notes: [] }, plain),
      /no changes: Azure matches the metadata[\s\S]*nothing to apply/,
    );
  });

  test('colour only when asked', () => {
    const coloured = renderPlan(
      { kind: 'access', target: '/s', steps: [{ action: 'delete', roleName: 'Owner', principalId: 'p' }] },
      { color: true },
    );
    assert.ok(coloured.includes('\u001b[31m- Owner'), coloured);
  });

  test('a plan of another kind (rotation): its facts, numbered steps and other lists', () => {
    assert.equal(
      renderGenericPlan({
        referenceId: 'sr-1',
        currentVersion: null,
        steps: ['create', { wait: '24h' }],
        issues: ['no consumers'],
      }),
      [
        'referenceId:    sr-1',
        'currentVersion: -',
        'steps:',
        '  1. create',
        '  2. {"wait":"24h"}',
        'issues:',
        '  - no consumers',
        '',
      ].join('\n'),
    );
  });

  test('an audit entry is one line: seq, time, action, target, actor, reason', () => {
    assert.equal(
      auditLine(
        {
          seq: 7,
          at: '2026-01-01T00:00:00.000Z',
          actor: 'warden',
          action: 'access.step.applied',
          target: '/s/rg',
          reason: 'reverted',
        },
        plain,
      ),
      '#7 2026-01-01T00:00:00.000Z access.step.applied /s/rg by warden — reverted',
    );
  });
});

describe('warden commands over a fake API', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-cli-unit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  type Route = (url: URL, init: RequestInit) => { status: number; body?: unknown; headers?: Record<string, string> };

  function fakeIo(routes: Route, o: { tty?: boolean; configDir?: string } = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const calls: { method: string; url: URL; headers: Record<string, string>; body?: unknown }[] = [];
    let clock = 1_000_000;
    const io: CliIo = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      stdoutIsTTY: o.tty ?? false,
      env: { WARDEN_CONFIG_DIR: o.configDir ?? dir },
      cwd: dir,
      fetch: (url, init) => {
        const u = new URL(url);
        const headers = init.headers as Record<string, string>;
        calls.push({
          method: init.method ?? 'GET',
          url: u,
          headers,
          body: init.body ? JSON.parse(init.body as string) : undefined,
        });
        const r = routes(u, init);
        return Promise.resolve(
          new Response(r.body === undefined ? null : JSON.stringify(r.body), {
            status: r.status,
            headers: { 'content-type': 'application/json', ...(r.headers ?? {}) },
          }),
        );
      },
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
    };
    return { io, out, err, calls };
  }

  const session: Session = {
    api: 'http://warden.test',
    mode: 'device-code',
    principal: { id: 'oid-ada', name: 'Ada Lovelace', roles: ['Warden.Reader'] },
    accessToken: 'header.payload.signature',
    expiresOn: 10_000_000_000_000,
  };

  test('the session file is 0600 in a 0700 dir and reads back', () => {
    const cfg = path.join(dir, 'cfg-perm');
    const file = saveSession(cfg, 'default', session);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(cfg).mode & 0o777, 0o700);
    assert.deepEqual(loadSession(cfg, 'default'), session);
  });

  test('no session → exit 3 with how to log in; no request is made', async () => {
    const f = fakeIo(() => ({ status: 500 }), { configDir: path.join(dir, 'empty') });
    assert.equal(await run(['policies', 'list'], f.io), EXIT.auth);
    assert.match(f.err.join(''), /Not logged in\. Run `warden login --local --user ada`/);
    assert.equal(f.calls.length, 0);
  });

  test('an expired device-code session → exit 3 saying when it expired', async () => {
    const cfg = path.join(dir, 'cfg-expired');
    saveSession(cfg, 'default', { ...session, expiresOn: 5 });
    const f = fakeIo(() => ({ status: 200, body: { items: [] } }), { configDir: cfg });
    assert.equal(await run(['policies', 'list'], f.io), EXIT.auth);
    assert.match(f.err.join(''), /session expired at 1970-01-01T00:00:00\.005Z/);
  });

  test('list follows continuation tokens, sends the bearer token, and --json prints parseable items', async () => {
    const cfg = path.join(dir, 'cfg-list');
    saveSession(cfg, 'default', session);
    const f = fakeIo(
      (u) =>
        u.searchParams.get('continuationToken') === 'next'
          ? { status: 200, body: { items: [{ id: 'b', version: 1 }] } }
          : { status: 200, body: { items: [{ id: 'a', version: 2 }], continuationToken: 'next' } },
      { configDir: cfg },
    );
    assert.equal(await run(['policies', 'list', '--json', '--where', 'role=Owner'], f.io), EXIT.ok);
    assert.deepEqual(JSON.parse(f.out.join('')), {
      items: [
        { id: 'a', version: 2 },
        { id: 'b', version: 1 },
      ],
    });
    assert.equal(f.calls.length, 2);
    assert.equal(f.calls[0]!.url.pathname, '/api/metadata/access_policies');
    assert.equal(f.calls[0]!.url.searchParams.get('role'), 'Owner');
    assert.equal(f.calls[0]!.headers.authorization, 'Bearer header.payload.signature');
    assert.ok(
      !f.err.join('').includes('header.payload.signature') && !f.out.join('').includes('header.payload.signature'),
    );
  });

  test('set after a concurrent change: 412 explained with the new version and writer, exit 5', async () => {
    const cfg = path.join(dir, 'cfg-412');
    saveSession(cfg, 'default', session);
    let reads = 0;
    const f = fakeIo(
      (_u, init) => {
        if (init.method === 'GET') {
          reads++;
          return {
            status: 200,
            body: {
              id: 'ap-1',
              role: 'Reader',
              version: reads === 1 ? 1 : 2,
              updated_by: 'oid-grace (Grace Hopper)',
              updated_at: 't2',
            },
          };
        }
        return { status: 412, body: { status: 412, title: 'Precondition Failed', detail: 'version 1 is stale' } };
      },
      { configDir: cfg },
    );
    assert.equal(await run(['policies', 'set', 'ap-1', '--set', 'enabled=false'], f.io), EXIT.conflict);
    const put = f.calls.find((c) => c.method === 'PUT')!;
    assert.equal(put.headers['if-match'], '"1"');
    assert.deepEqual(put.body, { id: 'ap-1', role: 'Reader', enabled: false });
    assert.match(
      f.err.join(''),
      /changed since version 1 was read — it is now version 2, last written by oid-grace \(Grace Hopper\)/,
    );
  });

  function orchestrationRoutes(statuses: string[]): Route {
    let i = 0;
    return () => {
      const runtimeStatus = statuses[Math.min(i++, statuses.length - 1)]!;
      return {
        status: 200,
        body: {
          instanceId: 'run-1',
          name: 'reconcileAccess',
          runtimeStatus,
          createdTime: 't',
          lastUpdatedTime: 't',
          customStatus: null,
        },
      };
    };
  }

  test('status follows a run until it completes: plain lines on change in a pipe, exit 0', async () => {
    const cfg = path.join(dir, 'cfg-follow');
    saveSession(cfg, 'default', session);
    const f = fakeIo(orchestrationRoutes(['Pending', 'Running', 'Running', 'Completed']), { configDir: cfg });
    assert.equal(await run(['status', 'run-1'], f.io), EXIT.ok);
    const lines = f.out.join('').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.replace(/\(\d+\.\ds\)/, '(t)')),
      [
        'reconcileAccess run-1: Pending (t)',
        'reconcileAccess run-1: Running (t)',
        'reconcileAccess run-1: Completed (t)',
      ],
    );
  });

  test('status on a terminal rewrites one live line; a failed run exits 8', async () => {
    const cfg = path.join(dir, 'cfg-tty');
    saveSession(cfg, 'default', session);
    const f = fakeIo(orchestrationRoutes(['Running', 'Running', 'Failed']), { configDir: cfg, tty: true });
    assert.equal(await run(['status', 'run-1'], f.io), EXIT.remediationFailed);
    const text = f.out.join('');
    assert.equal(text.split('\r\u001b[2K').length - 1, 3, 'one rewrite per poll');
    assert.match(text, /✖ reconcileAccess run-1: Failed/);
    assert.ok(text.endsWith('\n'));
  });

  test('status gives up after --timeout with exit 8', async () => {
    const cfg = path.join(dir, 'cfg-timeout');
    saveSession(cfg, 'default', session);
    const f = fakeIo(orchestrationRoutes(['Running']), { configDir: cfg });
    assert.equal(await run(['status', 'run-1', '--timeout', '2s'], f.io), EXIT.remediationFailed);
    assert.match(f.err.join(''), /Still Running after 2s/);
  });

  test('rotate on a deployment without the route: "not available", exit 7, nothing posted', async () => {
    const cfg = path.join(dir, 'cfg-rotate');
    saveSession(cfg, 'default', session);
    const f = fakeIo(() => ({ status: 200, body: { openapi: '3.1.0', paths: { '/api/status': { get: {} } } } }), {
      configDir: cfg,
    });
    assert.equal(await run(['rotate', 'sec-1'], f.io), EXIT.notAvailable);
    assert.match(f.err.join(''), /not available in this Warden deployment/);
    assert.deepEqual(
      f.calls.map((c) => c.method),
      ['GET'],
    );
  });

  test('rotate where the route exists: POST with dryRun, the answer shown', async () => {
    const cfg = path.join(dir, 'cfg-rotate2');
    saveSession(cfg, 'default', session);
    const f = fakeIo(
      (u) =>
        u.pathname === '/api/openapi.json'
          ? {
              status: 200,
              body: {
                paths: { '/api/secrets/{id}/rotate': { post: { parameters: [{ name: 'dryRun', in: 'query' }] } } },
              },
            }
          : { status: 200, body: { dryRun: true, steps: ['generate', 'publish'] } },
      { configDir: cfg },
    );
    assert.equal(await run(['rotate', 'sec-1', '--dry-run', '--json'], f.io), EXIT.ok);
    const post = f.calls.find((c) => c.method === 'POST')!;
    assert.equal(post.url.pathname, '/api/secrets/sec-1/rotate');
    assert.equal(post.url.searchParams.get('dryRun'), 'true');
    assert.deepEqual(JSON.parse(f.out.join('')), { dryRun: true, steps: ['generate', 'publish'] });
  });

  test('audit tail --follow prints the last -n, then only entries it has not shown (polling from the last time)', async () => {
    const cfg = path.join(dir, 'cfg-tail');
    saveSession(cfg, 'default', session);
    const entry = (seq: number) => ({
      seq,
      at: `2026-01-01T00:00:0${seq}.000Z`,
      actor: 'a',
      action: 'x.y',
      target: 't',
      reason: null,
    });
    let polls = 0;
    const f = fakeIo(
      (u) => {
        if (!u.searchParams.get('from')?.startsWith('2026-'))
          return { status: 200, body: { items: [entry(1), entry(2), entry(3)] } };
        polls++;
        // Each poll answers from the last entry's time (inclusive): the last one shown comes back and is skipped.
        return { status: 200, body: { items: polls === 1 ? [entry(3), entry(4)] : [entry(4)] } };
      },
      { configDir: cfg },
    );
    const sleep = (ms: number) => f.io.sleep(ms);
    let sleeps = 0;
    const io: CliIo = {
      ...f.io,
      sleep: (ms) => (++sleeps > 2 ? Promise.reject(new Error('stop')) : sleep(ms)),
    };
    assert.equal(await run(['audit', 'tail', '-n', '2', '--follow', '--json'], io), EXIT.failure);
    const seqs = f.out
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    assert.deepEqual(seqs, [2, 3, 4]);
    const froms = f.calls.map((c) => c.url.searchParams.get('from'));
    assert.deepEqual(froms.slice(1), ['2026-01-01T00:00:03.000Z', '2026-01-01T00:00:04.000Z']);
  });

  test('the API unreachable → exit 10 naming the URL', async () => {
    const cfg = path.join(dir, 'cfg-down');
    saveSession(cfg, 'default', session);
    const f = fakeIo(() => ({ status: 200 }), { configDir: cfg });
    const io: CliIo = {
      ...f.io,
      fetch: () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })),
    };
    assert.equal(await run(['status'], io), EXIT.unreachable);
    assert.match(f.err.join(''), /Cannot reach http:\/\/warden\.test \(ECONNREFUSED\)/);
  });
});
