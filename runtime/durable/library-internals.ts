/**
 * Everything the durable engine assumes about durable-functions 3.5.0 beyond its documented API, in one place.
 *
 * @remarks
 * The engine replays orchestrators through the library's own executor and reads back what that executor
 * allocated (algorithm B of ../shared/reference/durable-host-protocol.md §4.4). Those fields are private in the
 * TypeScript sense; test/unit/runtime/durable/library-internals.test.ts asserts each assumption made here, so
 * an upgrade of durable-functions fails loudly instead of corrupting histories.
 *
 * Duck typing (not `instanceof`) on purpose: the app may load its own copy of the library.
 */

export const PINNED_DURABLE_FUNCTIONS_VERSION = '3.5.0';

/** `HistoryEventType` numbers (DTFx `EventType`). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

/** `ActionType` numbers of the actions in `OrchestratorState.actions`. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** `ReplaySchema` values: what the extension advertises (V2 + V3 "New"), as the Azure extension does. */
export const ReplaySchema = { V1: 0, V2: 1, V3: 2, V4: 3 } as const;

/** The trigger payload fields the Azure extension sends (OutOfProcOrchestrationShim / binding provider). */
export const EXTENSION_SCHEMA = {
  upperSchemaVersion: ReplaySchema.V2,
  upperSchemaVersionNew: ReplaySchema.V3,
  longRunningTimerIntervalDuration: '3.00:00:00',
  maximumShortTimerDuration: '6.00:00:00',
  // sic: the library's spelling
  defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
} as const;

/** The label the library puts before the embedded `OrchestratorState` of a failed orchestration. */
export const OUT_OF_PROC_DATA_LABEL = '\n\n$OutOfProcData$:';

/** The JSON shape of an action (what `JSON.stringify(OrchestratorState)` emits). */
export interface ActionJson {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  version?: string;
  retryOptions?: RetryOptionsJson;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: ActionJson[];
  operation?: string;
}

export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface OrchestratorStateJson {
  isDone: boolean;
  actions: ActionJson[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  failureDetails?: unknown;
}

/** Parses the thrown `OrchestrationFailureError` message into its embedded state, or undefined (no label). */
export function parseOutOfProcData(message: string): OrchestratorStateJson | undefined {
  const i = message.indexOf(OUT_OF_PROC_DATA_LABEL);
  if (i < 0) return undefined;
  try {
    return JSON.parse(message.slice(i + OUT_OF_PROC_DATA_LABEL.length)) as OrchestratorStateJson;
  } catch {
    return undefined;
  }
}

/** The view of a task the engine needs (the library's `TaskBase` fields). */
export interface LibTask {
  id: number | string | false;
  actionObj: unknown;
  parent?: LibTask;
  /** RetryableTask only. */
  retryOptions?: RetryOptionsJson;
  attemptNumber?: number;
  isWaitingOnTimer?: boolean;
}

/** The `TaskOrchestrationExecutor` fields the engine reads after an episode. */
export interface LibExecutor {
  sequenceNumber: number;
  openTasks: Record<string, LibTask>;
}

/** `context.df.taskOrchestratorExecutor` of the InvocationContext the orchestration wrapper received. */
export function executorOf(invocationContext: unknown): LibExecutor | undefined {
  const df = (invocationContext as { df?: { taskOrchestratorExecutor?: unknown } } | undefined)?.df;
  const ex = df?.taskOrchestratorExecutor as Partial<LibExecutor> | undefined;
  if (!ex || typeof ex.sequenceNumber !== 'number' || typeof ex.openTasks !== 'object' || ex.openTasks === null) {
    return undefined;
  }
  return ex as LibExecutor;
}

/** What one sequence number allocated by the library stands for. */
export type Allocation =
  | { kind: 'activity'; functionName: string; input: unknown }
  | { kind: 'subOrchestration'; functionName: string; input: unknown; instanceId?: string; version?: string }
  | { kind: 'timer'; fireAt: Date }
  | { kind: 'retryTimer'; retryOptions: RetryOptionsJson; failedAttempts: number }
  | { kind: 'unsupported'; what: string }
  | { kind: 'none' };

function actionOf(obj: unknown): ActionJson | undefined {
  if (obj && typeof obj === 'object' && typeof (obj as { actionType?: unknown }).actionType === 'number') {
    return obj as ActionJson;
  }
  return undefined;
}

function scheduleFor(action: ActionJson): Allocation {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return { kind: 'activity', functionName: String(action.functionName), input: action.input };
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return {
        kind: 'subOrchestration',
        functionName: String(action.functionName),
        input: action.input,
        ...(action.instanceId ? { instanceId: action.instanceId } : {}),
        ...(action.version ? { version: action.version } : {}),
      };
    case ActionType.CallEntity:
    case ActionType.LockEntities:
      return { kind: 'unsupported', what: 'durable entities' };
    case ActionType.CallHttp:
      return { kind: 'unsupported', what: 'callHttp' };
    default:
      return { kind: 'unsupported', what: `action type ${action.actionType}` };
  }
}

/**
 * Classifies the open task holding sequence number `seq` after an episode (protocol §4.4): an activity or
 * sub-orchestration (first attempt or a retry attempt), a durable timer (including long-timer segments), or a
 * retry back-off timer.
 */
export function classifyAllocation(executor: LibExecutor, seq: number): Allocation {
  const task = executor.openTasks[seq];
  if (!task) return { kind: 'none' };
  const obj = task.actionObj;
  if (obj === 'noOp') {
    const parent = task.parent;
    if (!parent || !parent.retryOptions || typeof parent.attemptNumber !== 'number') {
      return { kind: 'unsupported', what: 'an internal task without a retry parent' };
    }
    if (parent.isWaitingOnTimer) {
      return { kind: 'retryTimer', retryOptions: parent.retryOptions, failedAttempts: parent.attemptNumber - 1 };
    }
    const parentAction = actionOf(parent.actionObj);
    if (!parentAction) return { kind: 'unsupported', what: 'a retry without an action' };
    return scheduleFor(parentAction);
  }
  const action = actionOf(obj);
  if (!action) return { kind: 'unsupported', what: 'an unknown task' };
  const fireAt = (obj as { fireAt?: unknown }).fireAt;
  if (action.actionType === ActionType.CreateTimer && fireAt instanceof Date) return { kind: 'timer', fireAt };
  return scheduleFor(action);
}

/** DTFx RetryInterceptor delay after failed attempt `k` (1-based). */
export function retryDelayMs(options: RetryOptionsJson, failedAttempts: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, Math.max(0, failedAttempts - 1));
  if (options.maxRetryIntervalInMilliseconds !== undefined && options.maxRetryIntervalInMilliseconds > 0) {
    delay = Math.min(delay, options.maxRetryIntervalInMilliseconds);
  }
  return Math.max(0, Math.round(delay));
}

/**
 * `processInput` JSON-encodes string inputs of activities and continue-as-new once; undo it for the callee
 * (protocol §3.2).
 */
export function decodeActionInput(input: unknown): unknown {
  if (typeof input === 'string') {
    try {
      return JSON.parse(input) as unknown;
    } catch {
      return input;
    }
  }
  return input;
}

/** A compact signature of an action, for the non-determinism check: type and name, recursively. */
export function actionSignature(action: ActionJson): string {
  const name = action.functionName ?? action.externalEventName ?? action.operation ?? '';
  if (action.compoundActions) return `${action.actionType}[${action.compoundActions.map(actionSignature).join(',')}]`;
  return `${action.actionType}:${name}`;
}

const ACTION_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ActionType).map(([k, v]) => [v, k]));

/** Human-readable form of a signature, for error messages. */
export function describeSignature(sig: string | undefined): string {
  if (sig === undefined) return 'nothing';
  const m = /^(\d+)(?::(.*)|\[.*\])$/s.exec(sig);
  if (!m) return sig;
  const type = ACTION_NAMES[Number(m[1])] ?? `action ${m[1]}`;
  return m[2] ? `${type} '${m[2]}'` : sig.includes('[') ? `${type} ${sig.slice(m[1]!.length)}` : type;
}
