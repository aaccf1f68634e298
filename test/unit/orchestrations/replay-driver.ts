/**
 * Drives an orchestrator through durable-functions' own handler with histories built the way the Durable extension
 * builds them (durable-host-protocol §2, §4): one episode per round, sequence numbers allocated by the protocol's
 * rules (algorithm A, plus the retry chain of rule 6), activities answered by a test responder, timers fired at
 * once. Every episode replays the whole history, so a non-deterministic orchestrator fails here.
 */
import path from 'node:path';

import {
  ActionType,
  EventType,
  EXTENSION_SCHEMA,
  type OrchestratorStateJson,
  parseOutOfProcData,
} from '../../../runtime/durable/library-internals';
import { FunctionHost, triggerBindingOf } from '../../../runtime/host/function-host';

type Json = Record<string, unknown>;
export type Answer = { ok: unknown } | { fail: string };
export interface Call {
  readonly seq: number;
  readonly functionName: string;
  readonly input: unknown;
  readonly retry: boolean;
}

export interface DriveOptions {
  /** Answers activity calls (default: fails the test). */
  readonly respond: (call: Call) => Answer;
  /** Raise the rerun event when the run reaches its final check. */
  readonly raiseRerun?: unknown;
  /**
   * Deliver that rerun after the episode's activity results instead of before them — in the same batch, as a host
   * does when the event is enqueued just after the run's last activity finished.
   */
  readonly rerunAfterResults?: boolean;
  readonly maxEpisodes?: number;
}

export interface DriveResult {
  readonly state: OrchestratorStateJson;
  readonly calls: Call[];
  readonly history: Json[];
  readonly error?: string;
}

let host: FunctionHost | undefined;
export async function loadHost(): Promise<FunctionHost> {
  host ??= await FunctionHost.load({
    appDir: path.resolve(__dirname, '../../fixtures/access/replay-app'),
    main: 'index.js',
  });
  return host;
}

const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const ev = (type: number, s: number, fields: Json = {}): Json => ({
  EventType: type,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(s),
  ...fields,
});

async function episode(
  name: string,
  history: Json[],
  input: unknown,
): Promise<{ state: OrchestratorStateJson; error?: string }> {
  const h = await loadHost();
  const fn = h.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  const payload = {
    history,
    input,
    instanceId: 'replay-1',
    isReplaying: history.length > 2,
    parentInstanceId: null,
    ...EXTENSION_SCHEMA,
  };
  const res = await h.invoke(name, {
    request: { inputData: [{ name: triggerBindingOf(fn).name, data: { json: JSON.stringify(payload) } }] },
  });
  if (res.status === 'success')
    return { state: JSON.parse(res.response.returnValue?.json ?? 'null') as OrchestratorStateJson };
  const state = parseOutOfProcData(res.error.message);
  if (!state) throw res.error;
  return { state, error: state.error ?? res.error.message };
}

/** Runs the orchestrator to completion (or failure), answering its calls. */
export async function drive(name: string, input: unknown, options: DriveOptions): Promise<DriveResult> {
  const history: Json[] = [
    ev(EventType.OrchestratorStarted, 0),
    ev(EventType.ExecutionStarted, 0, { Name: name, Input: JSON.stringify(input) }),
  ];
  const calls: Call[] = [];
  let seen = 0;
  let nextSeq = 0;
  let t = 0;
  let rerunRaised = false;
  for (let n = 0; n < (options.maxEpisodes ?? 50); n++) {
    const { state, error } = await episode(name, history, input);
    if (state.isDone || error !== undefined)
      return { state, calls, history, ...(error !== undefined ? { error } : {}) };
    const all = state.actions[0] ?? [];
    const fresh = all.slice(seen);
    seen = all.length;
    for (const e of history) e.IsPlayed = true;
    t += 1;
    history.push(ev(EventType.OrchestratorCompleted, t - 0.5));
    history.push(ev(EventType.OrchestratorStarted, t));
    const outcomes: Json[] = [];
    const late: Json[] = [];
    // First number this episode's new actions (the library numbered them at yield), then answer them: dynamic
    // allocations (retry timers and attempts) come after every number taken at yield.
    const numbered: { a: Json; seq: number }[] = [];
    const walk = (a: Json): void => {
      const type = a.actionType as number;
      if (type === 11 || type === 12) {
        for (const c of (a.compoundActions as Json[]) ?? []) walk(c);
        return;
      }
      if (type === ActionType.WaitForExternalEvent) {
        // One rerun is raised (once): later waits for it find none, as on a host.
        if (options.raiseRerun !== undefined && a.externalEventName === 'rerun' && !rerunRaised) {
          rerunRaised = true;
          const raised = ev(EventType.EventRaised, t, { Name: 'rerun', Input: JSON.stringify(options.raiseRerun) });
          if (options.rerunAfterResults) late.push(raised);
          else outcomes.push(raised);
        }
        return;
      }
      if (type === ActionType.ContinueAsNew) return;
      numbered.push({ a, seq: nextSeq++ });
    };
    for (const a of fresh) walk(a as unknown as Json);
    for (const { a, seq } of numbered) {
      const type = a.actionType as number;
      if (type === ActionType.CreateTimer) {
        history.push(ev(EventType.TimerCreated, t, { EventId: seq, FireAt: a.fireAt }));
        if (options.raiseRerun === undefined || rerunRaised)
          outcomes.push(ev(EventType.TimerFired, t, { TimerId: seq, FireAt: a.fireAt }));
        continue;
      }
      if (type !== ActionType.CallActivity && type !== ActionType.CallActivityWithRetry)
        throw new Error(`the driver does not handle action type ${type}`);
      const raw = a.input;
      const decoded: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
      const call: Call = {
        seq,
        functionName: String(a.functionName),
        input: decoded,
        retry: type === ActionType.CallActivityWithRetry,
      };
      calls.push(call);
      history.push(ev(EventType.TaskScheduled, t, { EventId: seq, Name: call.functionName }));
      const answer = options.respond(call);
      if ('ok' in answer) {
        outcomes.push(
          ev(EventType.TaskCompleted, t, { TaskScheduledId: seq, Result: JSON.stringify(answer.ok ?? null) }),
        );
        continue;
      }
      const attempts = call.retry ? ((a.retryOptions as { maxNumberOfAttempts?: number }).maxNumberOfAttempts ?? 1) : 1;
      // Rule 6: each failed attempt is followed by a back-off timer; each fired timer with attempts left starts the
      // next attempt. Delivered in causal order, the library allocates the same numbers.
      let attemptSeq = seq;
      for (let k = 1; k <= attempts; k++) {
        outcomes.push(
          ev(EventType.TaskFailed, t, {
            TaskScheduledId: attemptSeq,
            Reason: `Activity function '${call.functionName}' failed: ${answer.fail}`,
            Details: answer.fail,
          }),
        );
        if (!call.retry) break;
        const timer = nextSeq++;
        outcomes.push(ev(EventType.TimerFired, t, { TimerId: timer, FireAt: at(t) }));
        if (k < attempts) attemptSeq = nextSeq++;
      }
    }
    outcomes.push(...late);
    if (outcomes.length === 0)
      throw new Error(`episode ${n}: the orchestrator waits for something the driver never delivers`);
    history.push(...outcomes);
  }
  throw new Error('too many episodes');
}
