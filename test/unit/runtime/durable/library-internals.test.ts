// Asserts every durable-functions internal the local durable engine relies on (runtime/durable/library-internals.ts),
// so an upgrade of the pinned library fails here, loudly, instead of corrupting histories at run time.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { before, test } from 'node:test';

import {
  ActionType,
  classifyAllocation,
  EventType,
  executorOf,
  EXTENSION_SCHEMA,
  type LibExecutor,
  type OrchestratorStateJson,
  OUT_OF_PROC_DATA_LABEL,
  parseOutOfProcData,
  PINNED_DURABLE_FUNCTIONS_VERSION,
  ReplaySchema,
  retryDelayMs,
} from '../../../../runtime/durable/library-internals';
import { FunctionHost, triggerBindingOf } from '../../../../runtime/host/function-host';

const appDir = path.resolve(__dirname, '../../../fixtures/apps/durable-app');
const load = createRequire(path.join(appDir, 'index.js'));
let host: FunctionHost;
const captured = new Map<string, LibExecutor | undefined>();

before(async () => {
  host = await FunctionHost.load({ appDir, main: 'index.js' });
  host.coreApi.registerHook('postInvocation', (ctx) => {
    const ic = ctx.invocationContext as { invocationId: string };
    captured.set(ic.invocationId, executorOf(ic));
  });
});

const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const e = (type: number, s: number, fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  EventType: type,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(s),
  ...fields,
});
const started = (name: string): Record<string, unknown>[] => [
  e(EventType.OrchestratorStarted, 0),
  e(EventType.ExecutionStarted, 0, { Name: name, Input: null }),
];

async function replay(
  name: string,
  history: Record<string, unknown>[],
  input: unknown = null,
): Promise<{ state?: OrchestratorStateJson; error?: string; executor?: LibExecutor }> {
  const fn = host.functions.get(name)!;
  const invocationId = `inv-${captured.size}-${name}`;
  const payload = { history, input, instanceId: 'i1', isReplaying: false, parentInstanceId: null, ...EXTENSION_SCHEMA };
  const res = await host.invoke(name, {
    invocationId,
    request: { inputData: [{ name: triggerBindingOf(fn).name, data: { json: JSON.stringify(payload) } }] },
  });
  const executor = captured.get(invocationId);
  if (res.status === 'success') {
    return {
      state: JSON.parse(res.response.returnValue!.json!) as OrchestratorStateJson,
      ...(executor ? { executor } : {}),
    };
  }
  return { error: res.error.message, ...(executor ? { executor } : {}) };
}

test('durable-functions is exactly the pinned version', () => {
  const pkg = load('durable-functions/package.json') as { version: string };
  assert.equal(pkg.version, PINNED_DURABLE_FUNCTIONS_VERSION);
});

test('the history, action and schema enums match the engine constants', () => {
  const { HistoryEventType } = load('durable-functions/lib/src/history/HistoryEventType') as {
    HistoryEventType: Record<string, number>;
  };
  for (const [k, v] of Object.entries(EventType)) assert.equal(HistoryEventType[k], v, `HistoryEventType.${k}`);
  const { ActionType: LibActionType } = load('durable-functions/lib/src/actions/ActionType') as {
    ActionType: Record<string, number>;
  };
  for (const [k, v] of Object.entries(ActionType)) assert.equal(LibActionType[k], v, `ActionType.${k}`);
  const { ReplaySchema: LibSchema } = load('durable-functions/lib/src/orchestrations/ReplaySchema') as {
    ReplaySchema: Record<string, number>;
  };
  for (const [k, v] of Object.entries(ReplaySchema)) assert.equal(LibSchema[k], v, `ReplaySchema.${k}`);
});

test('the binding info required fields are the ones the engine sends as own properties', () => {
  const { DurableOrchestrationBindingInfoReqFields } = load(
    'durable-functions/lib/src/orchestrations/DurableOrchestrationBindingInfo',
  ) as { DurableOrchestrationBindingInfoReqFields: new () => object };
  assert.deepEqual(Object.keys(new DurableOrchestrationBindingInfoReqFields()).sort(), [
    'history',
    'instanceId',
    'isReplaying',
    'upperSchemaVersion',
  ]);
});

test('V3 is negotiated from upperSchemaVersionNew and activities carry processInput-encoded strings', async () => {
  const r = await replay('HelloCities', started('HelloCities'));
  assert.equal(r.state?.schemaVersion, ReplaySchema.V3);
  assert.deepEqual(r.state?.actions, [
    [{ functionName: 'Hello', input: '"Tokyo"', actionType: ActionType.CallActivity }],
  ]);
  assert.equal(r.executor?.sequenceNumber, 1);
  assert.deepEqual(classifyAllocation(r.executor, 0), { kind: 'activity', functionName: 'Hello', input: '"Tokyo"' });
});

test('TaskCompleted.Result is read as a JSON string keyed by TaskScheduledId', async () => {
  const h = [
    ...started('HelloCities'),
    e(EventType.OrchestratorStarted, 1),
    e(EventType.TaskCompleted, 1, { TaskScheduledId: 0, Result: '"Hello Tokyo!"' }),
  ];
  const r = await replay('HelloCities', h);
  assert.equal(r.executor?.sequenceNumber, 2);
  assert.equal(r.state?.actions[0]?.length, 2);
});

test('a failure is thrown with the $OutOfProcData$ label, prefix "false" and the error in the state', async () => {
  const h = [
    ...started('OrchestratorFails'),
    e(EventType.OrchestratorStarted, 1),
    e(EventType.TaskCompleted, 1, { TaskScheduledId: 0, Result: 'null' }),
  ];
  const r = await replay('OrchestratorFails', h);
  assert.ok(r.error?.startsWith(`false${OUT_OF_PROC_DATA_LABEL}`), r.error);
  const state = parseOutOfProcData(r.error!);
  assert.equal(state?.error, 'boom in orchestrator');
  assert.equal(state?.isDone, false);
});

test('TaskFailed with Reason and Details reaches the orchestrator as "Reason \\n Details"', async () => {
  const h = [
    ...started('ActivityFails'),
    e(EventType.OrchestratorStarted, 1),
    e(EventType.TaskFailed, 1, { TaskScheduledId: 0, Reason: 'R', Details: 'D' }),
  ];
  const r = await replay('ActivityFails', h);
  assert.deepEqual(r.state?.output, { caught: 'R \n D' });
});

test('TaskFailed with FailureDetails (as the engine writes it) reaches the orchestrator as a TaskFailedError', async () => {
  const h = [
    ...started('ActivityFails'),
    e(EventType.OrchestratorStarted, 1),
    e(EventType.TaskFailed, 1, {
      TaskScheduledId: 0,
      Reason: 'ignored',
      Details: 'ignored',
      FailureDetails: {
        ErrorType: 'RangeError',
        ErrorMessage: 'too big',
        StackTrace: 'st',
        IsNonRetriable: false,
        Properties: { code: 7 },
        InnerFailure: null,
      },
    }),
  ];
  const r = await replay('ActivityFails', h);
  assert.deepEqual(r.state?.output, { caught: 'RangeError: too big' });
});

test('retries: RetryableTask exposes retryOptions, attemptNumber, isWaitingOnTimer; NoOp children are "noOp"', async () => {
  const input = { key: 'k', failures: 9, first: 100, max: 2 };
  let h = [...started('RetryFlaky')];
  h.push(
    e(EventType.OrchestratorStarted, 1),
    e(EventType.TaskFailed, 1, { TaskScheduledId: 0, Reason: 'R', Details: 'D' }),
  );
  let r = await replay('RetryFlaky', h, input);
  assert.equal(r.executor?.sequenceNumber, 2);
  const timer = classifyAllocation(r.executor, 1);
  assert.equal(timer.kind, 'retryTimer');
  if (timer.kind === 'retryTimer') {
    assert.equal(timer.failedAttempts, 1);
    assert.equal(retryDelayMs({ ...timer.retryOptions, backoffCoefficient: 2 }, 2), 200);
    assert.equal(timer.retryOptions.firstRetryIntervalInMilliseconds, 100);
  }
  h = [...h, e(EventType.OrchestratorStarted, 2), e(EventType.TimerFired, 2, { TimerId: 1 })];
  r = await replay('RetryFlaky', h, input);
  assert.equal(r.executor?.sequenceNumber, 3);
  assert.deepEqual(classifyAllocation(r.executor, 2), {
    kind: 'activity',
    functionName: 'Flaky',
    input: { key: 'k', failures: 9 },
  });
  // only one action stands for the whole chain
  assert.equal(r.state?.actions[0]?.length, 1);
  assert.equal(r.state?.actions[0]?.[0]?.actionType, ActionType.CallActivityWithRetry);
});

test('long timers: the library splits at maximumShortTimerDuration into longRunningTimerInterval segments', async () => {
  const { ms } = { ms: 10 * 86_400_000 };
  const r = await replay('Timer', started('Timer'), { ms });
  assert.equal(r.state?.actions[0]?.[0]?.fireAt, at(10 * 86_400));
  const seg = classifyAllocation(r.executor!, 0);
  assert.equal(seg.kind, 'timer');
  if (seg.kind === 'timer') assert.equal(seg.fireAt.toISOString(), at(3 * 86_400));
  const h = [
    ...started('Timer'),
    e(EventType.OrchestratorStarted, 3 * 86_400),
    e(EventType.TimerFired, 3 * 86_400, { TimerId: 0 }),
  ];
  const r2 = await replay('Timer', h, { ms });
  const seg2 = classifyAllocation(r2.executor!, 1);
  assert.equal(seg2.kind, 'timer');
  if (seg2.kind === 'timer') assert.equal(seg2.fireAt.toISOString(), at(6 * 86_400), '7 days left > 6: another 3 days');
  const h3 = [...h, e(EventType.OrchestratorStarted, 6 * 86_400), e(EventType.TimerFired, 6 * 86_400, { TimerId: 1 })];
  const r3 = await replay('Timer', h3, { ms });
  const seg3 = classifyAllocation(r3.executor!, 2);
  assert.equal(seg3.kind, 'timer');
  if (seg3.kind === 'timer')
    assert.equal(seg3.fireAt.toISOString(), at(10 * 86_400), 'the last segment ends at fireAt');
  assert.equal(r3.state?.actions[0]?.length, 1, 'the action list shows only the original timer');
});

test('sub-orchestrations keep the raw input and the explicit instance id', async () => {
  const h = [...started('ParentOfChildren')];
  const r = await replay('ParentOfChildren', h);
  assert.deepEqual(classifyAllocation(r.executor!, 0), {
    kind: 'subOrchestration',
    functionName: 'ChildOk',
    input: 21,
    instanceId: 'i1-ok',
  });
});

test('continue-as-new: isDone with a type-4 action carrying the processInput-encoded input', async () => {
  const r = await replay('Eternal', started('Eternal'), { n: 0, target: 5 });
  assert.equal(r.state?.isDone, true);
  const action = r.state?.actions[0]?.find((a) => a.actionType === ActionType.ContinueAsNew);
  assert.deepEqual(action?.input, { n: 1, target: 5 });
  assert.deepEqual(r.state?.customStatus, { n: 0 });
});
