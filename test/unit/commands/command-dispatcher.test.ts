import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import type { Notification } from '../../../shared/cloud/ports/notifier';
import {
  type CommandDeps,
  type CommandMessage,
  type CommandOutcome,
  type CommandRequest,
  type CommandStarters,
  dispatchCommand,
} from '../../../shared/commands/command-dispatcher';
import { fixedClock } from '../../../shared/domain/clock';
import { NotFoundError, TransientCloudError } from '../../../shared/domain/errors';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';

const SCOPE = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml';
const STORAGE = `${SCOPE}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
// 133 characters: longer than a SessionId may be, so its session is the hash.
const STORAGE_SESSION = `sha256:${createHash('sha256').update(STORAGE.toLowerCase()).digest('hex')}`;

describe('dispatchCommand', () => {
  let dir: string;
  let store: MetadataStore;
  let notified: Notification[];
  let calls: { starter: string; request: CommandRequest & Record<string, unknown> }[];
  let seq = 0;
  const clock = fixedClock('2026-11-25T12:00:00Z');

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-commands-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'm.db'), clock });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    notified = [];
    calls = [];
  });

  const recording =
    (starter: string, action: 'started' | 'requeued' = 'started') =>
    (request: CommandRequest): Promise<CommandOutcome> => {
      calls.push({ starter, request: request as CommandRequest & Record<string, unknown> });
      return Promise.resolve(
        request.dryRun
          ? { action: 'planned', plan: { kind: starter, stepCount: 2 } }
          : { action, instanceId: `${starter}:${calls.length}` },
      );
    };

  function deps(starters: Partial<CommandStarters> = {}): CommandDeps {
    return {
      starters: { reconcile: recording('reconcile'), enforce: recording('enforce', 'requeued'), ...starters },
      audit: store.audit,
      poison: store.events,
      notifier: {
        publish: (n) => {
          notified.push(...n);
          return Promise.resolve();
        },
      },
      clock,
      reportError: () => undefined,
    };
  }

  function message(body: unknown, sessionId: string | undefined, extra: Partial<CommandMessage> = {}): CommandMessage {
    seq += 1;
    return { body, messageId: `m-${seq}`, sessionId, deliveryCount: 1, correlationId: undefined, ...extra };
  }

  const lastPoison = async () => (await store.events.listPoison(1))[0];

  test('reconcile and enforce start their use case on behalf of the requester, audited with the message', async () => {
    const m = message({ command: 'reconcile', scope: SCOPE, requestedBy: 'ado:fraud/train' }, SCOPE.toUpperCase(), {
      correlationId: 'sb-corr-1',
    });
    const r = await dispatchCommand(deps(), m);
    assert.deepEqual(r, {
      handled: 'started',
      command: 'reconcile',
      target: SCOPE,
      instanceId: 'reconcile:1',
      correlationId: 'sb-corr-1',
    });
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]?.request, {
      scope: SCOPE,
      correlationId: 'sb-corr-1',
      requestedBy: 'ado:fraud/train (via warden-commands)',
      reason: `'reconcile' command from ado:fraud/train (message ${m.messageId})`,
      dryRun: false,
    });
    const [entry] = await store.audit.list({ correlationId: 'sb-corr-1' });
    assert.equal(entry?.actor, 'ado:fraud/train (via warden-commands)');
    assert.equal(entry?.action, 'command.accepted');
    assert.equal(entry?.target, SCOPE);
    assert.deepEqual(entry?.after, {
      command: 'reconcile',
      dryRun: false,
      action: 'started',
      instanceId: 'reconcile:1',
      messageId: m.messageId,
      sessionId: SCOPE.toUpperCase(),
      deliveryCount: 1,
    });

    const e = await dispatchCommand(
      deps(),
      message(
        { command: 'enforce', resourceId: STORAGE, requestedBy: 'p', correlationId: 'body-corr' },
        STORAGE_SESSION,
        {
          correlationId: 'ignored',
        },
      ),
    );
    assert.equal(e.handled, 'requeued', 'the starter’s outcome is reported as it is');
    assert.equal(calls[1]?.request.resourceId, STORAGE);
    assert.equal((await store.audit.list({ correlationId: 'body-corr' })).length, 1, 'the body’s correlationId wins');
    assert.equal(notified.length, 0, 'accepted commands publish nothing themselves (the run notifies)');
  });

  test('rotate, quarantine and release map onto their starters when the deployment has them', async () => {
    const d = deps({
      rotate: (r) => recording('rotate')(r).then(() => ({ action: 'joined', instanceId: 'rotateSecret-sr-db' })),
      quarantine: recording('quarantine'),
      release: recording('release'),
    });
    const rotated = await dispatchCommand(
      d,
      message({ command: 'rotate', referenceId: 'sr-db', requestedBy: 'p' }, 'sr-db'),
    );
    assert.equal(rotated.handled, 'joined', 'a running rotation takes the request in');
    await dispatchCommand(
      d,
      message({ command: 'quarantine', modelId: 'm-3', requestedBy: 'p', reason: 'drift confirmed' }, 'm-3'),
    );
    await dispatchCommand(d, message({ command: 'release', modelId: 'M-3', requestedBy: 'p' }, 'm-3'));
    assert.deepEqual(
      calls.map((c) => [c.starter, c.request.referenceId ?? c.request.modelId]),
      [
        ['rotate', 'sr-db'],
        ['quarantine', 'm-3'],
        ['release', 'M-3'],
      ],
    );
    assert.equal(calls[1]?.request.reason, 'drift confirmed', 'a quarantine’s reason is the run’s reason');
  });

  test('a command this deployment cannot run is completed as poison with a notification', async () => {
    for (const body of [
      { command: 'rotate', referenceId: 'sr-db', requestedBy: 'p' },
      { command: 'quarantine', modelId: 'm-3', requestedBy: 'p' },
      { command: 'release', modelId: 'm-3', requestedBy: 'p' },
    ]) {
      const m = message(body, body.command === 'rotate' ? 'sr-db' : 'm-3', { deliveryCount: 2 });
      const r = await dispatchCommand(deps(), m);
      assert.deepEqual(r, {
        handled: 'poison',
        reason: `command '${body.command}' is not available in this deployment`,
      });
      const p = await lastPoison();
      assert.equal(p?.messageId, m.messageId);
      assert.equal(p?.source, 'servicebus:warden-commands');
      assert.equal(
        p?.reason,
        `command '${body.command}' is not available in this deployment [session "${String(m.sessionId)}", delivery 2]`,
      );
      assert.deepEqual(JSON.parse(p?.body ?? 'null'), body);
    }
    assert.equal(calls.length, 0);
    assert.deepEqual(
      notified.map((n) => [n.type, n.data.command, n.data.reason]),
      [
        ['Warden.Command.Rejected', 'rotate', "command 'rotate' is not available in this deployment"],
        ['Warden.Command.Rejected', 'quarantine', "command 'quarantine' is not available in this deployment"],
        ['Warden.Command.Rejected', 'release', "command 'release' is not available in this deployment"],
      ],
    );
  });

  test('invalid messages are poison with their reason, message id, session and delivery count', async () => {
    const cases: [unknown, string | undefined, RegExp][] = [
      ['{"command":', 'x', /^the body is not JSON/],
      [{ command: 'explode', requestedBy: 'p' }, 'x', /^unknown command "explode"/],
      [{ command: 'reconcile', scope: SCOPE }, SCOPE, /^invalid 'reconcile' command: requestedBy: is required/],
      [
        { command: 'reconcile', scope: SCOPE, requestedBy: 'p' },
        'another-target',
        /SessionId "another-target" is not the target's session/,
      ],
      [{ command: 'reconcile', scope: SCOPE, requestedBy: 'p' }, undefined, /SessionId \(none\)/],
    ];
    for (const [body, sessionId, expected] of cases) {
      const m = message(body, sessionId, { deliveryCount: 1 });
      const r = await dispatchCommand(deps(), m);
      assert.equal(r.handled, 'poison');
      assert.match(r.handled === 'poison' ? r.reason : '', expected);
      const p = await lastPoison();
      assert.equal(p?.messageId, m.messageId);
      assert.match(p?.reason ?? '', expected);
      assert.match(p?.reason ?? '', /\[session .*, delivery 1\]$/);
      const n = notified.at(-1);
      assert.equal(n?.type, 'Warden.Command.Rejected');
      assert.equal(n?.subject, `warden-commands/${String(m.messageId)}`);
      assert.equal(n?.data.messageId, m.messageId);
    }
    assert.equal(calls.length, 0, 'nothing invalid is started');
  });

  test('a dry run plans and publishes the plan; the requester is audited', async () => {
    const m = message({ command: 'enforce', resourceId: STORAGE, requestedBy: 'p', dryRun: true }, STORAGE_SESSION);
    const r = await dispatchCommand(deps(), m);
    assert.equal(r.handled, 'planned');
    assert.equal(calls[0]?.request.dryRun, true);
    assert.equal(notified[0]?.type, 'Warden.Command.Planned');
    assert.deepEqual(notified[0]?.data.plan, { kind: 'enforce', stepCount: 2 });
    const [entry] = await store.audit.list({ correlationId: `command-${String(m.messageId)}` });
    assert.equal(entry?.action, 'command.accepted');
    assert.deepEqual(entry?.after, {
      command: 'enforce',
      dryRun: true,
      action: 'planned',
      instanceId: null,
      plan: { kind: 'enforce', stepCount: 2 },
      messageId: m.messageId,
      sessionId: STORAGE_SESSION,
      deliveryCount: 1,
    });
  });

  test('transient failures throw (redelivered); a target that does not exist is poison', async () => {
    const m = message({ command: 'reconcile', scope: SCOPE, requestedBy: 'p' }, SCOPE);
    const before = (await store.audit.list()).length;
    await assert.rejects(
      dispatchCommand(
        deps({ reconcile: () => Promise.reject(new TransientCloudError('durable store unavailable')) }),
        m,
      ),
      /durable store unavailable/,
    );
    assert.equal((await store.audit.list()).length, before, 'nothing audited for a start that failed');
    const r = await dispatchCommand(
      deps({ reconcile: () => Promise.reject(new NotFoundError('managed scope', SCOPE)) }),
      message({ command: 'reconcile', scope: SCOPE, requestedBy: 'p' }, SCOPE),
    );
    assert.deepEqual(r, { handled: 'poison', reason: `'reconcile' refused: managed scope '${SCOPE}' does not exist` });
  });

  test('a notification that cannot be published is reported; the poison record stands and nothing is thrown', async () => {
    const reported: string[] = [];
    const d: CommandDeps = {
      ...deps(),
      notifier: { publish: () => Promise.reject(new Error('topic down')) },
      reportError: (event) => reported.push(event),
    };
    const m = message('nope', 'x');
    assert.equal((await dispatchCommand(d, m)).handled, 'poison');
    assert.equal((await lastPoison())?.messageId, m.messageId);
    assert.deepEqual(reported, ['commands.notify-failed']);
  });
});
