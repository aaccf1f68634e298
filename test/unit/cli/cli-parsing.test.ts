// The warden CLI's argument parsing, exit codes and error mapping (no network).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { durationOption, resolveCommand } from '../../../cli/args';
import { findOperation, targetKind } from '../../../cli/commands/enforcement';
import { matchPrincipal } from '../../../cli/commands/login';
import { METADATA_RESOURCES, planSet, rowPath } from '../../../cli/commands/metadata';
import { CliError, errorFromResponse, EXIT } from '../../../cli/errors';
import { COMMANDS } from '../../../cli/main';

function usage(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CliError, String(e));
    return e;
  }
  assert.fail('expected a CliError');
}

describe('warden argument parsing', () => {
  test('finds the command from its words and parses its options and positionals', () => {
    const r = resolveCommand(
      ['policies', 'set', 'ap-1', '--file', 'p.yaml', '--set', 'enabled=false', '--set', 'role=Reader', '--json'],
      COMMANDS,
    );
    assert.equal(r.kind, 'command');
    if (r.kind !== 'command') return;
    assert.deepEqual(r.command.words, ['policies', 'set']);
    assert.deepEqual(r.parsed.positionals, ['ap-1']);
    assert.equal(r.parsed.values.file, 'p.yaml');
    assert.deepEqual(r.parsed.values.set, ['enabled=false', 'role=Reader']);
    assert.equal(r.parsed.values.json, true);
  });

  test('global options may come before the command', () => {
    const r = resolveCommand(['--profile', 'grace', 'approvals', 'approve', 'apr-1', '-m', 'ok'], COMMANDS);
    assert.equal(r.kind, 'command');
    if (r.kind !== 'command') return;
    assert.deepEqual(r.command.words, ['approvals', 'approve']);
    assert.equal(r.parsed.values.profile, 'grace');
    assert.equal(r.parsed.values.comment, 'ok');
    assert.deepEqual(r.parsed.positionals, ['apr-1']);
  });

  test('an unknown flag is a usage error (exit 2) naming the flag and the command’s help', () => {
    const e = usage(() => resolveCommand(['policies', 'list', '--bogus'], COMMANDS));
    assert.equal(e.exitCode, EXIT.usage);
    assert.match(e.message, /--bogus/);
    assert.match(e.message, /warden policies list --help/);
  });

  test('a flag of another command is refused too (strict per command)', () => {
    const e = usage(() => resolveCommand(['policies', 'list', '--comment', 'x'], COMMANDS));
    assert.equal(e.exitCode, EXIT.usage);
    assert.match(e.message, /--comment/);
  });

  test('a string flag without its value is a usage error', () => {
    const e = usage(() => resolveCommand(['policies', 'set', 'ap-1', '--file'], COMMANDS));
    assert.equal(e.exitCode, EXIT.usage);
    assert.match(e.message, /--file/);
  });

  test('unknown commands suggest the close ones; a group lists its commands', () => {
    assert.match(usage(() => resolveCommand(['polices', 'list'], COMMANDS)).message, /Did you mean 'policies'/);
    const sub = usage(() => resolveCommand(['approvals', 'aprove', 'x'], COMMANDS));
    assert.equal(sub.exitCode, EXIT.usage);
    assert.match(sub.message, /list, get, approve, reject/);
    assert.match(usage(() => resolveCommand(['audit'], COMMANDS)).message, /needs one of: tail, verify, export/);
  });

  test('missing and extra positionals are usage errors naming the synopsis', () => {
    assert.match(
      usage(() => resolveCommand(['policies', 'get'], COMMANDS)).message,
      /Missing an argument: warden policies get <id>/,
    );
    assert.match(
      usage(() => resolveCommand(['policies', 'get', 'a', 'b'], COMMANDS)).message,
      /Too many arguments \('b'\)/,
    );
  });

  test('help and version resolve without running anything', () => {
    assert.deepEqual(resolveCommand([], COMMANDS), { kind: 'help' });
    assert.equal(resolveCommand(['--help'], COMMANDS).kind, 'help');
    const h = resolveCommand(['plan', '--help'], COMMANDS);
    assert.equal(h.kind, 'help');
    assert.deepEqual(h.kind === 'help' ? h.command?.words : undefined, ['plan']);
    assert.equal(resolveCommand(['--version'], COMMANDS).kind, 'version');
  });

  test('every command’s options agree on their types, and no two commands share words', () => {
    const seen = new Set<string>();
    for (const c of COMMANDS) {
      const key = c.words.join(' ');
      assert.ok(!seen.has(key), `duplicate command ${key}`);
      seen.add(key);
    }
    // resolveCommand builds the union of all options and throws on a type clash.
    assert.doesNotThrow(() => resolveCommand(['whoami'], COMMANDS));
  });

  test('durations: 30s, 15m, 2h, 7d, bare seconds; anything else exit 2', () => {
    const p = (v: string) => durationOption({ values: { since: v }, positionals: [] }, 'since');
    assert.equal(p('30s'), 30_000);
    assert.equal(p('15m'), 900_000);
    assert.equal(p('2h'), 7_200_000);
    assert.equal(p('7d'), 604_800_000);
    assert.equal(p('5'), 5000);
    assert.equal(usage(() => p('soon')).exitCode, EXIT.usage);
  });
});

describe('warden HTTP errors → messages and exit codes', () => {
  const problem = (status: number, extra: Record<string, unknown> = {}) => ({
    type: 'urn:warden:problem:x',
    title: 'x',
    status,
    detail: 'the detail',
    correlationId: 'c-1',
    ...extra,
  });

  test('each status maps to its documented exit code', () => {
    const cases: [number, number][] = [
      [400, EXIT.usage],
      [401, EXIT.auth],
      [404, EXIT.notFound],
      [409, EXIT.conflict],
      [412, EXIT.conflict],
      [413, EXIT.usage],
      [415, EXIT.usage],
      [428, EXIT.conflict],
      [500, EXIT.failure],
      [503, EXIT.failure],
    ];
    for (const [status, code] of cases)
      assert.equal(errorFromResponse('GET /api/x', status, problem(status)).exitCode, code, `HTTP ${status}`);
  });

  test('a 403 for a missing role names the role and the caller (exit 3)', () => {
    const e = errorFromResponse(
      'GET /api/audit/verify',
      403,
      problem(403, { code: 'missing_role', detail: 'This route requires the app role Warden.Auditor.' }),
      { who: 'Ada Lovelace (6690be11-…)' },
    );
    assert.equal(e.exitCode, EXIT.auth);
    assert.match(e.message, /needs the app role Warden\.Auditor, which Ada Lovelace \(6690be11-…\) does not hold/);
  });

  test('a 403 from a guardrail is "refused" (exit 6) with its code and fields', () => {
    const e = errorFromResponse(
      'PUT /api/metadata/access_policies/x',
      403,
      problem(403, {
        code: 'BREAK_GLASS',
        detail: 'break-glass principal',
        errors: [{ path: 'principal_id', message: 'is break-glass' }],
      }),
    );
    assert.equal(e.exitCode, EXIT.refused);
    assert.match(e.message, /BREAK_GLASS/);
    assert.deepEqual(e.details, ['principal_id: is break-glass', 'correlation id: c-1']);
  });

  test('a 401 quotes the WWW-Authenticate reason and says to log in again', () => {
    const e = errorFromResponse('GET /api/status', 401, problem(401), {
      wwwAuthenticate: 'Bearer realm="warden", error="invalid_token", error_description="The token expired"',
    });
    assert.equal(e.exitCode, EXIT.auth);
    assert.match(e.message, /The token expired.*warden login/);
  });

  test('a 400 lists each field issue', () => {
    const e = errorFromResponse('PUT x', 400, problem(400, { errors: [{ path: 'scope', message: 'is required' }] }));
    assert.deepEqual(e.details, ['scope: is required', 'correlation id: c-1']);
  });
});

describe('warden metadata commands: keys, If-Match and bodies', () => {
  const policies = METADATA_RESOURCES.find((r) => r.word === 'policies')!;
  const scopes = METADATA_RESOURCES.find((r) => r.word === 'scopes')!;

  test('row paths: ids encoded, managed scopes by ARM id without the leading slash', () => {
    assert.equal(rowPath(policies, 'ap 1'), 'metadata/access_policies/ap%201');
    assert.equal(
      rowPath(scopes, '/subscriptions/s/resourceGroups/rg'),
      'metadata/managed_scopes/subscriptions/s/resourceGroups/rg',
    );
    assert.equal(usage(() => rowPath(scopes, 'subscriptions/s')).exitCode, EXIT.usage);
  });

  const current = {
    id: 'a',
    role: 'Reader',
    enabled: true,
    version: 3,
    created_at: 't',
    updated_at: 't',
    updated_by: 'x',
  };

  test('--set over the current row replaces at the version just read', () => {
    const { body, ifMatch } = planSet(current, undefined, [['enabled', 'false']], undefined, false);
    assert.equal(ifMatch, 3);
    assert.deepEqual(body, { id: 'a', role: 'Reader', enabled: false });
  });

  test("a file's own version is the If-Match (a stale file is refused by the API with 412)", () => {
    const { ifMatch, body } = planSet(current, { id: 'a', role: 'Owner', version: 2 }, [], undefined, false);
    assert.equal(ifMatch, 2);
    assert.deepEqual(body, { id: 'a', role: 'Owner' });
  });

  test('--if-match wins; a missing row is created without If-Match', () => {
    assert.equal(planSet(current, { role: 'x' }, [], 7, false).ifMatch, 7);
    assert.equal(planSet(undefined, { role: 'x', version: 4 }, [], undefined, false).ifMatch, undefined);
  });

  test('--create on an existing row is a conflict; nothing to set is a usage error', () => {
    assert.equal(usage(() => planSet(current, { role: 'x' }, [], undefined, true)).exitCode, EXIT.conflict);
    assert.equal(usage(() => planSet(current, undefined, [], undefined, false)).exitCode, EXIT.usage);
  });
});

describe('warden login: which local user', () => {
  const principals = [
    {
      id: '6690be11-5387-4f81-9be0-9eba69a0dd12',
      type: 'User',
      displayName: 'Ada Lovelace',
      userPrincipalName: 'ada@contoso.example',
    },
    {
      id: 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d',
      type: 'User',
      displayName: 'Grace Hopper',
      userPrincipalName: 'grace@contoso.example',
    },
    { id: '95d764b4-de42-46a3-bb72-8b382714c04a', type: 'Group', displayName: 'ada' },
  ];

  test('by first name, UPN, display name or object id; groups never', () => {
    assert.equal(matchPrincipal('ada', principals).id, principals[0]!.id);
    assert.equal(matchPrincipal('Grace Hopper', principals).id, principals[1]!.id);
    assert.equal(matchPrincipal('grace@contoso.example', principals).id, principals[1]!.id);
    assert.equal(matchPrincipal('B9CDA072-27D0-4FB2-9769-CEF0D3D47E1D', principals).id, principals[1]!.id);
  });

  test('an unknown user is "not found" (exit 4) listing the users', () => {
    const e = usage(() => matchPrincipal('mallory', principals));
    assert.equal(e.exitCode, EXIT.notFound);
    assert.match(e.message, /Ada Lovelace.*Grace Hopper/);
  });
});

describe('warden plan/apply targets and discovered routes', () => {
  test('a resource id is network, a scope access; --kind overrides; not an ARM id → exit 2', () => {
    assert.equal(targetKind('/subscriptions/s/resourceGroups/rg', undefined), 'access');
    assert.equal(
      targetKind('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st', undefined),
      'network',
    );
    assert.equal(
      targetKind('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st', 'access'),
      'access',
    );
    assert.equal(usage(() => targetKind('rg', undefined)).exitCode, EXIT.usage);
    assert.equal(usage(() => targetKind('/x', 'both')).exitCode, EXIT.usage);
  });

  test('rotate/quarantine/release find their POST route in the OpenAPI document, or nothing', () => {
    const doc = {
      paths: {
        '/api/secrets/{id}': { get: {} },
        '/api/secrets/{id}/rotate': { post: { parameters: [{ name: 'dryRun', in: 'query' }] } },
        '/api/models/{id}/release': { get: {} },
      },
    };
    assert.equal(findOperation(doc, 'secrets', 'rotate')?.template, '/api/secrets/{id}/rotate');
    assert.equal(findOperation(doc, 'models', 'release'), undefined, 'a GET is not the command');
    assert.equal(findOperation(doc, 'models', 'quarantine'), undefined);
    assert.equal(findOperation({}, 'models', 'quarantine'), undefined);
  });
});
