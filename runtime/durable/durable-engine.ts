import { randomUUID } from 'node:crypto';

import type { Clock } from '../clock/shared-clock';
import type { RpcTypedData } from '../host/core-types';
import { type FunctionHost, triggerBindingOf } from '../host/function-host';
import type { RuntimeLogger } from '../host/runtime-services';
import {
  type DurableStore,
  type InstanceRow,
  type ListFilter,
  type RuntimeStatus,
  TERMINAL_STATUSES,
} from './durable-store';
import {
  type ActionJson,
  actionSignature,
  ActionType,
  classifyAllocation,
  decodeActionInput,
  describeSignature,
  EventType,
  executorOf,
  EXTENSION_SCHEMA,
  type LibExecutor,
  type OrchestratorStateJson,
  parseOutOfProcData,
  retryDelayMs,
} from './library-internals';
import { MinHeap } from './min-heap';

/** A history event as the extension serialises it (PascalCase, numeric EventType). */
export type HistoryEvent = { EventType: number } & Record<string, unknown>;

/** A message for an orchestration instance (persisted in the inbox, or backed by a work row for results). */
export type Message =
  | {
      kind: 'start';
      executionId: string;
    }
  | { kind: 'event'; executionId: string | null; event: HistoryEvent }
  | { kind: 'terminate' | 'suspend' | 'resume'; reason: string | null };

interface Pending {
  msg: Message;
  inboxId?: number;
  workId?: number;
}

interface Active {
  row: InstanceRow;
  /** History chunks as sent to the library (IsPlayed true; the compact view drops ignored events), loaded lazily. */
  chunks: string[] | undefined;
  sigs: string[] | undefined;
  /** Whether ExecutionStarted is in the current execution's history (derived from the chunks when loaded). */
  started: boolean | undefined;
  pending: Pending[];
  running: boolean;
  queued: boolean;
  lastStartedAt: number;
  /** Activities of the current execution scheduled and not yet reported back. */
  inflight: number;
  /** Wall time of the last replay (ms): fan-in results are gathered for a multiple of that before replaying. */
  lastReplayMs: number;
  hold: NodeJS.Timeout | undefined;
}

/** Replays cheaper than this are never delayed to gather more results. */
const HOLD_MIN_REPLAY_MS = 2;
/** Results wait up to this many times the last replay's duration, so replays take at most ~1/(1+factor) of the time. */
const HOLD_FACTOR = 4;
/** Longest a result waits for others of the same fan-out before its instance replays. */
const HOLD_MAX_MS = 500;

interface WorkItem {
  id: number;
  instanceId: string;
  executionId: string;
  seq: number;
  name: string;
  input: string | null;
}

export interface DurableEngineOptions {
  store: DurableStore;
  host: FunctionHost;
  clock: Clock;
  logger: RuntimeLogger;
  /** Activities running at once (the worker pool's size). */
  maxConcurrentActivities?: number;
  /** Orchestration episodes replayed (and committed together) per dispatch cycle. */
  maxEpisodesPerBatch?: number;
  /** The history sent to the library; see {@link ReplayView}. */
  replayView?: ReplayView;
}

/**
 * `extension` (default): the full history, as the Durable extension sends it. `compact`: without the events the
 * library never reads (TaskScheduled, SubOrchestrationInstanceCreated, TimerCreated, OrchestratorCompleted,
 * ExecutionSuspended/Resumed) — the same replay at roughly half the cost for long histories; they stay in storage
 * and in the status API.
 */
export type ReplayView = 'extension' | 'compact';

const IGNORED_BY_LIBRARY = new Set<number>([
  EventType.TaskScheduled,
  EventType.SubOrchestrationInstanceCreated,
  EventType.TimerCreated,
  EventType.OrchestratorCompleted,
  EventType.ExecutionSuspended,
  EventType.ExecutionResumed,
]);

/** An external event raised by a client (not an activity result, a timer or a sub-orchestration's completion). */
function isRaisedEvent(msg: Message): boolean {
  return msg.kind === 'event' && msg.event.EventType === EventType.EventRaised;
}

function eventTypeOf(json: string): number {
  const m = /^\{"EventType":(\d+),/.exec(json);
  return m ? Number(m[1]) : -1;
}

export type ClientOutcome = 'accepted' | 'notFound' | 'gone';

export interface StartResult {
  created: boolean;
  /** Set when an instance with this id is not in a terminal state. */
  existingStatus?: RuntimeStatus;
}

interface ClientOp {
  run(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  result?: unknown;
  error?: unknown;
}

const CONTROL_KINDS = new Set(['terminate', 'suspend', 'resume']);

/**
 * The local durable engine: runs orchestrations through durable-functions' own replay, activities on a bounded
 * pool, durable timers on the runtime clock, all persisted in SQLite.
 *
 * @remarks
 * One dispatch loop owns every write. Each cycle it applies the queued client operations (start, raise,
 * terminate, suspend, resume, purge), replays a batch of ready instances (never two episodes of one instance at
 * once) and commits everything in one transaction; only then are callers answered, activities started and
 * timers armed. Activity results stay in memory until the episode that appends them commits together with the
 * deletion of their work row, so a result is applied at most once and an activity whose result was not committed
 * runs again after a crash (at least once).
 */
export class DurableEngine {
  readonly store: DurableStore;
  private readonly host: FunctionHost;
  private readonly clock: Clock;
  private readonly logger: RuntimeLogger;
  private readonly maxActivities: number;
  private readonly maxBatch: number;
  /** Which history the library gets (applies to instances whose history is loaded from now on). */
  replayView: ReplayView;
  private readonly active = new Map<string, Active>();
  private readonly ready: Active[] = [];
  private readonly ops: ClientOp[] = [];
  private readonly activityQueue: WorkItem[] = [];
  private activitiesRunning = 0;
  private readonly timers = new MinHeap<{ instanceId: string; pending: Pending }>();
  private timerHandle: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private waiter: (() => void) | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly expected = new Set<string>();
  private readonly captured = new Map<string, LibExecutor | undefined>();
  private readonly triggerNames = new Map<string, string>();
  private unsubscribeClock: (() => void) | undefined;
  private activityIdle: (() => void) | undefined;
  /** Counters for the admin endpoint and the benchmark. */
  readonly stats = { episodes: 0, cycles: 0, activities: 0, commits: 0, completed: 0, failed: 0, terminated: 0 };

  constructor(options: DurableEngineOptions) {
    this.store = options.store;
    this.host = options.host;
    this.clock = options.clock;
    this.logger = options.logger;
    this.maxActivities = Math.max(1, options.maxConcurrentActivities ?? 32);
    this.maxBatch = Math.max(1, options.maxEpisodesPerBatch ?? 256);
    this.replayView = options.replayView ?? 'extension';
  }

  // ------------------------------------------------------------------ lifecycle

  /** Registers the executor capture hook, recovers persisted work and starts the dispatch loop. */
  start(): void {
    this.host.coreApi.registerHook('postInvocation', (ctx) => {
      const ic = ctx.invocationContext as { invocationId?: string } | undefined;
      const id = ic?.invocationId;
      if (id !== undefined && this.expected.has(id)) this.captured.set(id, executorOf(ic));
    });
    this.recover();
    this.unsubscribeClock = this.clock.onChange(() => this.armTimers());
    this.armTimers();
    this.loop = this.pump();
  }

  /** Stops dispatching; waits for the current cycle and for running activities (up to `drainMs`). */
  async stop(drainMs = 5000): Promise<void> {
    this.stopping = true;
    this.signal();
    await this.loop;
    if (this.timerHandle) clearTimeout(this.timerHandle);
    this.unsubscribeClock?.();
    if (this.activitiesRunning > 0) {
      await Promise.race([
        new Promise<void>((r) => (this.activityIdle = r)),
        new Promise<void>((r) => setTimeout(r, drainMs).unref()),
      ]);
    }
  }

  private recover(): void {
    const now = this.clock.now();
    for (const row of this.store.activeInstances()) {
      this.active.set(row.id, this.newActive(row));
    }
    const orphanInbox: number[] = [];
    for (const r of this.store.allInbox()) {
      const inst = this.active.get(r.instance_id);
      if (!inst) {
        orphanInbox.push(r.id);
        continue;
      }
      const p: Pending = { msg: JSON.parse(r.payload) as Message, inboxId: r.id };
      if (r.visible_at > now) this.timers.push(r.visible_at, { instanceId: r.instance_id, pending: p });
      else inst.pending.push(p);
    }
    const orphanWork: number[] = [];
    for (const w of this.store.allWork()) {
      const inst = this.active.get(w.instance_id);
      if (!inst || inst.row.execution_id !== w.execution_id) orphanWork.push(w.id);
      else {
        inst.inflight++;
        this.activityQueue.push({
          id: w.id,
          instanceId: w.instance_id,
          executionId: w.execution_id,
          seq: w.seq,
          name: w.name,
          input: w.input,
        });
      }
    }
    if (orphanInbox.length || orphanWork.length) {
      this.store.begin();
      for (const id of orphanInbox) this.store.deleteInbox(id);
      for (const id of orphanWork) this.store.deleteWork(id);
      this.store.commit();
    }
    for (const inst of this.active.values()) this.markReady(inst);
    if (this.active.size > 0) {
      this.logger.info('durable.recovered', {
        instances: this.active.size,
        activities: this.activityQueue.length,
        timers: this.timers.size,
      });
    }
    this.pumpActivities();
  }

  private newActive(row: InstanceRow): Active {
    return {
      row,
      chunks: undefined,
      sigs: undefined,
      started: undefined,
      pending: [],
      running: false,
      queued: false,
      lastStartedAt: 0,
      inflight: 0,
      lastReplayMs: 0,
      hold: undefined,
    };
  }

  // ------------------------------------------------------------------ client operations

  /** Orchestrator function names (functions with an `orchestrationTrigger`). */
  orchestratorNames(): string[] {
    return this.functionsOfType('orchestrationTrigger');
  }

  functionsOfType(type: string): string[] {
    const names: string[] = [];
    for (const fn of this.host.functions.values()) {
      try {
        if (String(triggerBindingOf(fn).binding.type).toLowerCase() === type.toLowerCase())
          names.push(fn.metadata.name);
      } catch {
        // no trigger: not ours
      }
    }
    return names.sort();
  }

  /**
   * Creates an instance (committed before the promise resolves). An id whose instance is not terminal is
   * refused (no atomic singleton guarantee beyond this check-and-create, see docs/durable.md).
   */
  startNew(name: string, instanceId: string, inputJson: string | null, version: string | null): Promise<StartResult> {
    return this.enqueue(() => {
      const existing = this.active.get(instanceId)?.row ?? this.store.getInstanceW(instanceId);
      if (existing && !TERMINAL_STATUSES.has(existing.status)) {
        return { created: false, existingStatus: existing.status } satisfies StartResult;
      }
      this.createInstance({ id: instanceId, name, version, input: inputJson });
      return { created: true } satisfies StartResult;
    }) as Promise<StartResult>;
  }

  raiseEvent(instanceId: string, eventName: string, dataJson: string | null): Promise<ClientOutcome> {
    return this.enqueue(() =>
      this.deliverToInstance(instanceId, (now) => ({
        kind: 'event',
        executionId: null,
        event: {
          EventType: EventType.EventRaised,
          EventId: -1,
          IsPlayed: false,
          Timestamp: iso(now),
          Name: eventName,
          Input: dataJson,
        },
      })),
    ) as Promise<ClientOutcome>;
  }

  control(instanceId: string, kind: 'terminate' | 'suspend' | 'resume', reason: string | null): Promise<ClientOutcome> {
    return this.enqueue(() => this.deliverToInstance(instanceId, () => ({ kind, reason }))) as Promise<ClientOutcome>;
  }

  /** Purges one terminal instance; a non-terminal one is left alone (0 deleted). Undefined when unknown. */
  purge(instanceId: string): Promise<number | undefined> {
    return this.enqueue(() => {
      if (this.active.has(instanceId)) return 0;
      const row = this.store.getInstanceW(instanceId);
      if (!row) return undefined;
      if (!TERMINAL_STATUSES.has(row.status)) return 0;
      this.store.deleteInstance(instanceId);
      return 1;
    }) as Promise<number | undefined>;
  }

  /** Purges terminal instances matching the filter; returns how many. */
  purgeBy(filter: Omit<ListFilter, 'limit' | 'after'>): Promise<number> {
    return this.enqueue(() => {
      const statuses = (filter.statuses?.length ? filter.statuses : [...TERMINAL_STATUSES]).filter((s) =>
        TERMINAL_STATUSES.has(s),
      );
      if (statuses.length === 0) return 0;
      let n = 0;
      for (;;) {
        const rows = this.store.list({ ...filter, statuses, limit: 500 }, 'w');
        for (const r of rows) this.store.deleteInstance(r.id);
        n += rows.length;
        if (rows.length < 500) break;
      }
      return n;
    }) as Promise<number>;
  }

  private deliverToInstance(instanceId: string, make: (now: number) => Message): ClientOutcome {
    const inst = this.active.get(instanceId);
    if (!inst) return this.store.getInstanceW(instanceId) ? 'gone' : 'notFound';
    const now = this.clock.now();
    const msg = make(now);
    const inboxId = this.store.insertInbox(instanceId, null, JSON.stringify(msg), now);
    inst.pending.push({ msg, inboxId });
    // Raised events join the fan-in gathering (see markReady); terminate, suspend and resume never wait.
    this.markReady(inst, msg.kind !== 'event');
    return 'accepted';
  }

  private enqueue(run: () => unknown): Promise<unknown> {
    if (this.stopping) return Promise.reject(new Error('The durable engine is stopping.'));
    return new Promise((resolve, reject) => {
      this.ops.push({ run, resolve, reject });
      this.signal();
    });
  }

  /** Inside a cycle's transaction: inserts the instance row and its start message. */
  private createInstance(args: {
    id: string;
    name: string;
    version: string | null;
    input: string | null;
    parent?: { id: string; executionId: string; seq: number };
  }): void {
    const now = this.clock.now();
    const previous = this.store.getInstanceW(args.id);
    if (previous) this.store.deleteInstance(args.id);
    const row: InstanceRow = {
      id: args.id,
      name: args.name,
      version: args.version,
      execution_id: newExecutionId(),
      status: 'Pending',
      input: args.input,
      output: null,
      custom_status: null,
      created_at: now,
      updated_at: now,
      parent_id: args.parent?.id ?? null,
      parent_execution_id: args.parent?.executionId ?? null,
      parent_seq: args.parent?.seq ?? null,
      next_seq: 0,
      action_sig: '[]',
      generation: 0,
      episodes: 0,
    };
    this.store.upsertInstance(row);
    const msg: Message = { kind: 'start', executionId: row.execution_id };
    const inboxId = this.store.insertInbox(row.id, row.execution_id, JSON.stringify(msg), now);
    const inst = this.newActive(row);
    inst.chunks = [];
    inst.sigs = [];
    inst.started = false;
    inst.pending.push({ msg, inboxId });
    this.active.set(row.id, inst);
    this.markReady(inst);
  }

  // ------------------------------------------------------------------ dispatch loop

  private signal(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /**
   * Queues an instance for its next episode. Activity results of a fan-out whose replay has become expensive are
   * gathered for a moment ({@link HOLD_FACTOR} times the last replay time, at most {@link HOLD_MAX_MS}) while more are in
   * flight, so one replay consumes many results; raised events arriving meanwhile wait with them (a stream of events
   * to a busy instance would otherwise cost one replay each). `urgent` (terminate/suspend/resume, timers) skips that.
   */
  private markReady(inst: Active, urgent = false): void {
    if (inst.queued || inst.running || inst.pending.length === 0) return;
    if (inst.row.status === 'Suspended' && !inst.pending.some((p) => CONTROL_KINDS.has(p.msg.kind))) return;
    if (
      !urgent &&
      inst.inflight > 0 &&
      inst.lastReplayMs >= HOLD_MIN_REPLAY_MS &&
      inst.pending.every((p) => p.workId !== undefined || isRaisedEvent(p.msg))
    ) {
      if (!inst.hold) {
        inst.hold = setTimeout(
          () => {
            inst.hold = undefined;
            this.markReady(inst, true);
          },
          Math.min(HOLD_MAX_MS, inst.lastReplayMs * HOLD_FACTOR),
        );
      }
      return;
    }
    if (inst.hold) {
      clearTimeout(inst.hold);
      inst.hold = undefined;
    }
    inst.queued = true;
    this.ready.push(inst);
    this.signal();
  }

  private async pump(): Promise<void> {
    while (!this.stopping || this.ops.length > 0) {
      if (this.ops.length === 0 && this.ready.length === 0) {
        if (this.stopping) break;
        await new Promise<void>((r) => (this.waiter = r));
        continue;
      }
      try {
        await this.cycle();
        // Yield to the event loop between cycles: episodes and synchronous activities are all microtasks, and a
        // backlog must not starve HTTP requests, timers and I/O.
        await new Promise<void>((r) => setImmediate(r));
      } catch (e) {
        this.logger.error('durable.cycle_failed', { error: e instanceof Error ? e.stack : String(e) });
        this.stopping = true;
        for (const op of this.ops.splice(0)) op.reject(e);
      }
    }
  }

  private async cycle(): Promise<void> {
    const ops = this.ops.splice(0);
    const after: (() => void)[] = [];
    this.store.begin();
    let batch: Active[];
    try {
      for (const op of ops) {
        try {
          op.result = op.run();
        } catch (e) {
          op.error = e;
        }
      }
      batch = this.ready.splice(0, this.stopping ? 0 : this.maxBatch);
      for (const inst of batch) {
        inst.queued = false;
        inst.running = true;
      }
      // allSettled: no episode may keep writing after a failed one made the cycle roll back.
      const outcomes = await Promise.allSettled(batch.map((inst) => this.episode(inst, after)));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      this.store.commit();
      this.stats.commits++;
    } catch (e) {
      if (this.store.inTransaction) this.store.rollback();
      for (const op of ops) op.reject(e);
      throw e;
    }
    this.stats.cycles++;
    for (const op of ops) {
      if (op.error !== undefined) op.reject(op.error);
      else op.resolve(op.result);
    }
    for (const f of after) f();
    for (const inst of batch) {
      inst.running = false;
      if (this.active.get(inst.row.id) === inst) this.markReady(inst);
    }
    this.pumpActivities();
  }

  private loadHistory(inst: Active): string[] {
    if (!inst.chunks) {
      const stored = this.store.historyChunksW(inst.row.id);
      inst.chunks =
        this.replayView === 'extension'
          ? stored
          : stored
              .map((c) =>
                (JSON.parse(`[${c}]`) as HistoryEvent[])
                  .filter((e) => !IGNORED_BY_LIBRARY.has(e.EventType))
                  .map((e) => JSON.stringify(e))
                  .join(','),
              )
              .filter((c) => c.length > 0);
    }
    return inst.chunks;
  }

  private hasStarted(inst: Active): boolean {
    if (inst.started === undefined) {
      inst.started = this.loadHistory(inst).some((c) => c.includes(`{"EventType":${EventType.ExecutionStarted},`));
    }
    return inst.started;
  }

  private loadSigs(inst: Active): string[] {
    if (!inst.sigs) inst.sigs = JSON.parse(inst.row.action_sig) as string[];
    return inst.sigs;
  }

  private triggerNameOf(functionName: string): string | undefined {
    let name = this.triggerNames.get(functionName);
    if (name === undefined) {
      const fn = this.host.functions.get(functionName);
      if (!fn) return undefined;
      name = triggerBindingOf(fn).name;
      this.triggerNames.set(functionName, name);
    }
    return name;
  }

  private readonly typeCache = new Map<string, string | null>();

  private isFunctionOfType(name: string, type: string): boolean {
    let t = this.typeCache.get(name);
    if (t === undefined) {
      const fn = this.host.functions.get(name);
      t = null;
      if (fn) {
        try {
          t = String(triggerBindingOf(fn).binding.type).toLowerCase();
        } catch {
          t = null;
        }
      }
      this.typeCache.set(name, t);
    }
    return t === type.toLowerCase();
  }

  /** One episode of one instance, written into the open transaction. */
  private async episode(inst: Active, after: (() => void)[]): Promise<void> {
    const row = inst.row;
    const now = Math.max(this.clock.now(), inst.lastStartedAt);
    inst.lastStartedAt = now;
    const taken = inst.pending.splice(0);
    const consumed: Pending[] = [];
    const deferred: Pending[] = [];
    const controlEvents: HistoryEvent[] = [];
    const incoming: HistoryEvent[] = [];
    let start = false;
    const started = this.hasStarted(inst);
    let terminate: string | null | undefined;
    let status = row.status;
    for (let i = 0; i < taken.length; i++) {
      const p = taken[i]!;
      const m = p.msg;
      if (terminate !== undefined) {
        consumed.push(p);
        continue;
      }
      if (m.kind === 'terminate') {
        terminate = m.reason ?? '';
        consumed.push(p);
      } else if (m.kind === 'suspend') {
        if (status !== 'Suspended') {
          status = 'Suspended';
          controlEvents.push(ev(EventType.ExecutionSuspended, now, { Reason: m.reason }));
        }
        consumed.push(p);
      } else if (m.kind === 'resume') {
        if (status === 'Suspended') {
          status = started ? 'Running' : 'Pending';
          controlEvents.push(ev(EventType.ExecutionResumed, now, { Reason: m.reason }));
        }
        consumed.push(p);
      } else if (status === 'Suspended') {
        deferred.push(p);
      } else if (m.kind === 'start') {
        if (m.executionId === row.execution_id && !started) start = true;
        consumed.push(p);
      } else if (m.kind !== 'event' || (m.executionId !== null && m.executionId !== row.execution_id)) {
        consumed.push(p); // a result for an execution that ended (continue-as-new)
      } else if (!started && !start) {
        deferred.push(p); // nothing runs before ExecutionStarted
      } else {
        incoming.push(m.event);
        consumed.push(p);
      }
    }
    inst.pending = deferred.concat(inst.pending);
    const deleteConsumed = (): void => {
      for (const p of consumed) {
        if (p.inboxId !== undefined) this.store.deleteInbox(p.inboxId);
        if (p.workId !== undefined) this.store.deleteWork(p.workId);
      }
    };

    if (terminate !== undefined) {
      const reason = terminate ?? '';
      const events = [
        ev(EventType.OrchestratorStarted, now),
        ...controlEvents,
        ev(EventType.ExecutionTerminated, now, { Input: JSON.stringify(reason) }),
        ev(EventType.ExecutionCompleted, now, { OrchestrationStatus: 'Terminated', Result: JSON.stringify(reason) }),
        ev(EventType.OrchestratorCompleted, now),
      ];
      this.appendChunk(
        inst,
        events.map((e) => played(JSON.stringify(e))),
      );
      row.output = JSON.stringify(reason);
      this.finish(inst, 'Terminated', now, after, {
        kind: 'failed',
        reason: `Orchestration '${row.name}' was terminated: ${reason}`,
        details: reason,
      });
      return;
    }

    if (!start && incoming.length === 0) {
      deleteConsumed();
      if (controlEvents.length > 0 || status !== row.status) {
        if (controlEvents.length > 0)
          this.appendChunk(
            inst,
            controlEvents.map((e) => played(JSON.stringify(e))),
          );
        row.status = status;
        row.updated_at = now;
        this.store.updateInstance(row);
      }
      return;
    }

    // ---- replay
    const newEvents: HistoryEvent[] = [ev(EventType.OrchestratorStarted, now)];
    if (start) {
      newEvents.push(
        ev(EventType.ExecutionStarted, now, {
          Name: row.name,
          Version: row.version ?? '',
          Input: row.input,
          OrchestrationInstance: { InstanceId: row.id, ExecutionId: row.execution_id },
          ParentInstance: row.parent_id
            ? {
                Name: null,
                OrchestrationInstance: { InstanceId: row.parent_id, ExecutionId: row.parent_execution_id },
                TaskScheduleId: row.parent_seq,
              }
            : null,
          Tags: null,
          Correlation: null,
          ScheduledStartTime: null,
          Generation: row.generation,
        }),
      );
    }
    newEvents.push(...controlEvents, ...incoming);
    if (start) inst.started = true;
    const fresh = newEvents.map((e) => JSON.stringify({ ...e, IsPlayed: false }));
    const past = this.loadHistory(inst);
    const payload =
      `{"history":[${past.join(',')}${past.length > 0 ? ',' : ''}${fresh.join(',')}],` +
      `"input":${row.input ?? 'null'},"instanceId":${JSON.stringify(row.id)},"isReplaying":${row.episodes > 0},` +
      `"parentInstanceId":${row.parent_id === null ? 'null' : JSON.stringify(row.parent_id)},` +
      `"upperSchemaVersion":${EXTENSION_SCHEMA.upperSchemaVersion},` +
      `"upperSchemaVersionNew":${EXTENSION_SCHEMA.upperSchemaVersionNew},` +
      `"longRunningTimerIntervalDuration":"${EXTENSION_SCHEMA.longRunningTimerIntervalDuration}",` +
      `"maximumShortTimerDuration":"${EXTENSION_SCHEMA.maximumShortTimerDuration}",` +
      `"defaultHttpAsyncRequestSleepTimeMillseconds":${EXTENSION_SCHEMA.defaultHttpAsyncRequestSleepTimeMillseconds}}`;

    let state: OrchestratorStateJson | undefined;
    let failure: string | undefined;
    let failureDetails: unknown;
    let executor: LibExecutor | undefined;
    const triggerName = this.triggerNameOf(row.name);
    if (!triggerName || !this.isFunctionOfType(row.name, 'orchestrationTrigger')) {
      failure = `The function '${row.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    } else {
      const invocationId = randomUUID();
      this.expected.add(invocationId);
      const replayStarted = performance.now();
      try {
        const res = await this.host.invoke(row.name, {
          invocationId,
          request: { inputData: [{ name: triggerName, data: { json: payload } }] },
        });
        executor = this.captured.get(invocationId);
        if (res.status === 'success') {
          state = fromTyped(res.response.returnValue) as OrchestratorStateJson;
          if (!state || typeof state !== 'object' || !Array.isArray(state.actions)) {
            failure = 'The orchestrator returned no orchestration state.';
            state = undefined;
          }
        } else {
          const embedded = parseOutOfProcData(res.error.message);
          if (embedded) {
            state = embedded;
            failure = embedded.error ?? 'unknown error';
            failureDetails = embedded.failureDetails;
          } else {
            failure = res.error.message;
          }
        }
      } catch (e) {
        failure = e instanceof Error ? e.message : String(e);
      } finally {
        this.expected.delete(invocationId);
        this.captured.delete(invocationId);
        inst.lastReplayMs = performance.now() - replayStarted;
      }
    }
    this.stats.episodes++;

    const chunk = fresh.map(played);
    const scheduled: HistoryEvent[] = [];
    const effects: (() => void)[] = [];
    let nonDeterminism: string | undefined;

    if (state) {
      const actions: ActionJson[] = state.actions[0] ?? [];
      const sigs = actions.map(actionSignature);
      const old = this.loadSigs(inst);
      for (let i = 0; i < old.length; i++) {
        if (sigs[i] !== old[i]) {
          nonDeterminism =
            `Non-Deterministic workflow detected: a previous execution of this orchestration scheduled ` +
            `${describeSignature(old[i])} as action ${i}, but the current replay produced ` +
            `${describeSignature(sigs[i])}. Was a change made to the orchestrator code after this instance had ` +
            `already started running?`;
          break;
        }
      }
      if (!nonDeterminism) {
        inst.sigs = sigs;
        row.action_sig = JSON.stringify(sigs);
      }
      if (state.customStatus !== undefined) row.custom_status = JSON.stringify(state.customStatus);
    }

    if (nonDeterminism) {
      failure = nonDeterminism;
      failureDetails = undefined;
    } else if (state && failure === undefined) {
      if (!executor) {
        failure = 'The local durable engine could not read the orchestration executor (durable-functions internals).';
      } else {
        const problem = this.allocate(inst, executor, now, scheduled, effects);
        if (problem) failure = problem;
      }
    }

    deleteConsumed();
    row.updated_at = now;
    if (failure !== undefined) {
      const reason = nonDeterminism ?? `Orchestrator function '${row.name}' failed: ${failure}`;
      row.output = JSON.stringify(reason);
      chunk.push(
        ...[
          ev(EventType.OrchestratorCompleted, now),
          ev(EventType.ExecutionCompleted, now, {
            OrchestrationStatus: 'Failed',
            Result: JSON.stringify(reason),
            FailureDetails: failureDetails ?? {
              ErrorType: nonDeterminism ? 'NonDeterministicOrchestrationException' : 'Error',
              ErrorMessage: failure,
            },
          }),
        ].map((e) => played(JSON.stringify(e))),
      );
      this.appendChunk(inst, chunk);
      this.finish(inst, 'Failed', now, after, { kind: 'failed', reason, details: failure });
      return;
    }
    const s = state!;
    chunk.push(...scheduled.map((e) => played(JSON.stringify(e))));
    chunk.push(played(JSON.stringify(ev(EventType.OrchestratorCompleted, now))));
    after.push(...effects);
    if (s.isDone) {
      const actions = s.actions[0] ?? [];
      const can = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
      if (can) {
        this.continueAsNew(inst, can, now);
        return;
      }
      const output = s.output === undefined ? 'null' : JSON.stringify(s.output);
      row.output = output;
      chunk.push(
        played(
          JSON.stringify(ev(EventType.ExecutionCompleted, now, { OrchestrationStatus: 'Completed', Result: output })),
        ),
      );
      this.appendChunk(inst, chunk);
      this.finish(inst, 'Completed', now, after, { kind: 'completed', result: output });
      return;
    }
    this.appendChunk(inst, chunk);
    row.status = status === 'Suspended' ? 'Suspended' : 'Running';
    this.store.updateInstance(row);
  }

  /** Schedules what the library allocated in `[next_seq, executor.sequenceNumber)` (protocol §4.4). */
  private allocate(
    inst: Active,
    executor: LibExecutor,
    now: number,
    scheduled: HistoryEvent[],
    effects: (() => void)[],
  ): string | undefined {
    const row = inst.row;
    for (let seq = row.next_seq; seq < executor.sequenceNumber; seq++) {
      const a = classifyAllocation(executor, seq);
      switch (a.kind) {
        case 'activity': {
          const decoded = decodeActionInput(a.input);
          const input = decoded === undefined ? null : JSON.stringify(decoded);
          scheduled.push(
            ev(EventType.TaskScheduled, now, { EventId: seq, Name: a.functionName, Version: '', Input: input }),
          );
          const item: WorkItem = {
            id: 0,
            instanceId: row.id,
            executionId: row.execution_id,
            seq,
            name: a.functionName,
            input,
          };
          item.id = this.store.insertWork({
            instance_id: row.id,
            execution_id: row.execution_id,
            seq,
            name: a.functionName,
            input,
          });
          effects.push(() => {
            inst.inflight++;
            this.activityQueue.push(item);
          });
          break;
        }
        case 'subOrchestration': {
          const childId = a.instanceId ?? randomUUID().replace(/-/g, '');
          const input = a.input === undefined ? null : JSON.stringify(a.input);
          scheduled.push(
            ev(EventType.SubOrchestrationInstanceCreated, now, {
              EventId: seq,
              Name: a.functionName,
              Version: a.version ?? '',
              InstanceId: childId,
              Input: input,
            }),
          );
          const problem = this.startChild(inst, seq, childId, a.functionName, a.version ?? null, input, now);
          if (problem) {
            const event = ev(EventType.SubOrchestrationInstanceFailed, now, {
              EventId: -1,
              TaskScheduledId: seq,
              Reason: problem,
              Details: problem,
            });
            this.sendTo(row.id, row.execution_id, event, now);
          }
          break;
        }
        case 'timer':
        case 'retryTimer': {
          let fireAt: number;
          if (a.kind === 'timer') fireAt = a.fireAt.getTime();
          else {
            // The timer after the final failed attempt only lets the library fail the task: fire it at once.
            const last = a.failedAttempts >= a.retryOptions.maxNumberOfAttempts;
            fireAt = now + (last ? 0 : retryDelayMs(a.retryOptions, a.failedAttempts));
          }
          scheduled.push(ev(EventType.TimerCreated, now, { EventId: seq, FireAt: iso(fireAt) }));
          const fired = ev(EventType.TimerFired, now, { TimerId: seq, FireAt: iso(fireAt) });
          this.sendTo(row.id, row.execution_id, fired, fireAt);
          break;
        }
        case 'unsupported':
          return `The local durable engine does not support ${a.what}.`;
        case 'none':
          break;
      }
    }
    row.next_seq = executor.sequenceNumber;
    return undefined;
  }

  /** Persists a message for an active instance (visible at `visibleAt`) and delivers it in memory after commit. */
  private sendTo(instanceId: string, executionId: string | null, event: HistoryEvent, visibleAt: number): void {
    const msg: Message = { kind: 'event', executionId, event };
    const inboxId = this.store.insertInbox(instanceId, executionId, JSON.stringify(msg), visibleAt);
    const pending: Pending = { msg, inboxId };
    const inst = this.active.get(instanceId);
    if (!inst) return;
    if (visibleAt > this.clock.now()) {
      this.timers.push(visibleAt, { instanceId, pending });
      if (visibleAt < this.timerDue) this.armTimersSoon();
    } else {
      inst.pending.push(pending);
      this.markReady(inst);
    }
  }

  private armTimersSoon(): void {
    queueMicrotask(() => this.armTimers());
  }

  private startChild(
    parent: Active,
    seq: number,
    childId: string,
    name: string,
    version: string | null,
    input: string | null,
    now: number,
  ): string | undefined {
    void now;
    if (!this.isFunctionOfType(name, 'orchestrationTrigger')) {
      return `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    }
    const existing = this.active.get(childId)?.row ?? this.store.getInstanceW(childId);
    if (existing && !TERMINAL_STATUSES.has(existing.status)) {
      return `An Orchestration instance with the status ${existing.status} already exists.`;
    }
    this.createInstance({
      id: childId,
      name,
      version,
      input,
      parent: { id: parent.row.id, executionId: parent.row.execution_id, seq },
    });
    return undefined;
  }

  private appendChunk(inst: Active, events: string[]): void {
    if (events.length === 0) return;
    const text = events.join(',');
    const chunks = this.loadHistory(inst); // before the insert, or the new chunk would be loaded twice
    this.store.appendHistory(inst.row.id, inst.row.episodes, text);
    inst.row.episodes++;
    const replay =
      this.replayView === 'extension' ? text : events.filter((e) => !IGNORED_BY_LIBRARY.has(eventTypeOf(e))).join(',');
    if (replay.length > 0) chunks.push(replay);
  }

  /** Ends an instance (terminal status), drops its leftover work and tells its parent. */
  private finish(
    inst: Active,
    status: RuntimeStatus,
    now: number,
    after: (() => void)[],
    outcome: { kind: 'completed'; result: string } | { kind: 'failed'; reason: string; details: string },
  ): void {
    const row = inst.row;
    row.status = status;
    row.updated_at = now;
    this.store.updateInstance(row);
    after.push(() => {
      if (status === 'Completed') this.stats.completed++;
      else if (status === 'Failed') this.stats.failed++;
      else if (status === 'Terminated') this.stats.terminated++;
    });
    this.store.deleteInboxOf(row.id);
    this.store.deleteWorkOf(row.id);
    this.active.delete(row.id);
    inst.inflight = 0;
    if (inst.hold) clearTimeout(inst.hold);
    inst.hold = undefined;
    inst.pending = [];
    inst.chunks = undefined;
    inst.sigs = undefined;
    if (row.parent_id && row.parent_execution_id && row.parent_seq !== null) {
      const event =
        outcome.kind === 'completed'
          ? ev(EventType.SubOrchestrationInstanceCompleted, now, {
              TaskScheduledId: row.parent_seq,
              Result: outcome.result,
            })
          : ev(EventType.SubOrchestrationInstanceFailed, now, {
              TaskScheduledId: row.parent_seq,
              Reason: outcome.reason,
              Details: outcome.details,
            });
      if (this.active.get(row.parent_id)?.row.execution_id === row.parent_execution_id) {
        this.sendTo(row.parent_id, row.parent_execution_id, event, now);
      }
    }
  }

  private continueAsNew(inst: Active, action: ActionJson, now: number): void {
    const row = inst.row;
    const decoded = decodeActionInput(action.input);
    const oldExecution = row.execution_id;
    this.store.deleteHistory(row.id);
    this.store.deleteWorkOf(row.id);
    row.execution_id = newExecutionId();
    row.status = 'ContinuedAsNew';
    row.input = decoded === undefined ? null : JSON.stringify(decoded);
    row.output = null;
    row.next_seq = 0;
    row.action_sig = '[]';
    row.generation++;
    row.episodes = 0;
    row.updated_at = now;
    inst.chunks = [];
    inst.sigs = [];
    inst.started = false;
    inst.inflight = 0;
    // Results and timers of the old execution are dropped; raised events still in the inbox go to the new one.
    inst.pending = inst.pending.filter((p) => !(p.msg.kind === 'event' && p.msg.executionId === oldExecution));
    this.store.updateInstance(row);
    const msg: Message = { kind: 'start', executionId: row.execution_id };
    const inboxId = this.store.insertInbox(row.id, row.execution_id, JSON.stringify(msg), now);
    inst.pending.unshift({ msg, inboxId });
  }

  // ------------------------------------------------------------------ timers

  private armTimers(): void {
    const now = this.clock.now();
    while (this.timers.size > 0 && this.timers.peekKey()! <= now) {
      const t = this.timers.pop()!;
      const inst = this.active.get(t.instanceId);
      if (!inst) continue;
      inst.pending.push(t.pending);
      this.markReady(inst, true);
    }
    if (this.timerHandle) clearTimeout(this.timerHandle);
    this.timerHandle = undefined;
    this.timerDue = Infinity;
    const next = this.timers.peekKey();
    if (next === undefined || this.stopping) return;
    this.timerDue = next;
    const delay = Math.min(Math.max(0, next - now), 60_000);
    this.timerHandle = setTimeout(() => this.armTimers(), delay);
    this.timerHandle.unref();
  }

  // ------------------------------------------------------------------ activities

  private pumpScheduled = false;

  /** Starts more activities from a macrotask, so a run of synchronous activities cannot starve the event loop. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pumpActivities();
    });
  }

  private pumpActivities(): void {
    while (this.activitiesRunning < this.maxActivities && this.activityQueue.length > 0 && !this.stopping) {
      const item = this.activityQueue.shift()!;
      this.activitiesRunning++;
      void this.runActivity(item).finally(() => {
        this.activitiesRunning--;
        if (this.activitiesRunning === 0) this.activityIdle?.();
        this.schedulePump();
      });
    }
  }

  private async runActivity(item: WorkItem): Promise<void> {
    const inst = this.active.get(item.instanceId);
    if (!inst || inst.row.execution_id !== item.executionId) return;
    let event: HistoryEvent;
    const now = (): number => this.clock.now();
    const triggerName = this.isFunctionOfType(item.name, 'activityTrigger') ? this.triggerNameOf(item.name) : undefined;
    if (!triggerName) {
      const reason = `The function '${item.name}' doesn't exist, is disabled, or is not an activity function.`;
      event = ev(EventType.TaskFailed, now(), { TaskScheduledId: item.seq, Reason: reason, Details: reason });
    } else {
      let res;
      try {
        res = await this.host.invoke(item.name, {
          request: {
            inputData: [{ name: triggerName, data: item.input === null ? {} : { json: item.input } }],
          },
        });
      } catch (e) {
        res = { status: 'failure' as const, error: e instanceof Error ? e : new Error(String(e)) };
      }
      this.stats.activities++;
      if (res.status === 'success') {
        const value = fromTyped(res.response.returnValue);
        event = ev(EventType.TaskCompleted, now(), {
          TaskScheduledId: item.seq,
          Result: value === undefined ? 'null' : JSON.stringify(value),
        });
      } else {
        event = ev(EventType.TaskFailed, now(), {
          TaskScheduledId: item.seq,
          Reason: `Activity function '${item.name}' failed: ${res.error.message}`,
          Details: res.error.stack ?? res.error.message,
          ...failureDetailsFrom(res.error),
        });
      }
    }
    const target = this.active.get(item.instanceId);
    if (!target || target.row.execution_id !== item.executionId) return;
    target.inflight = Math.max(0, target.inflight - 1);
    target.pending.push({ msg: { kind: 'event', executionId: item.executionId, event }, workId: item.id });
    this.markReady(target);
  }

  // ------------------------------------------------------------------ introspection

  /** Instances with work in memory (for tests and the admin endpoint). */
  get activeCount(): number {
    return this.active.size;
  }

  get queuedActivities(): number {
    return this.activityQueue.length + this.activitiesRunning;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}

function newExecutionId(): string {
  return randomUUID().replace(/-/g, '');
}

let lastIsoMs = NaN;
let lastIso = '';
/** ISO timestamp with millisecond precision (cached: many events of an episode share one instant). */
export function iso(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

function ev(type: number, at: number, fields: Record<string, unknown> = {}): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: iso(at), ...fields };
}

/** The stored form of an event serialised with `IsPlayed:false` (the flag is its third key). */
function played(json: string): string {
  return json.replace('"IsPlayed":false', '"IsPlayed":true');
}

/** RpcTypedData → JS value, as the extension reads an activity's or orchestrator's return value. */
export function fromTyped(d: RpcTypedData | null | undefined): unknown {
  if (!d) return undefined;
  if (typeof d.json === 'string') return JSON.parse(d.json) as unknown;
  if (typeof d.string === 'string') return d.string;
  if (d.int !== undefined && d.int !== null) return Number(d.int);
  if (d.double !== undefined && d.double !== null) return d.double;
  if (d.bytes) return Buffer.from(d.bytes).toString('base64');
  if (d.collectionString) return d.collectionString.string;
  if (d.collectionDouble) return d.collectionDouble.double;
  if (d.collectionSint64) return d.collectionSint64.sint64.map(Number);
  return undefined;
}

/**
 * With `df.app.setExceptionPropertiesProvider`, the activity wrapper replaces the error message by a JSON
 * failure-details object (protocol §4.7); pass it on as `FailureDetails` so the orchestrator gets a TaskFailedError.
 */
function failureDetailsFrom(error: Error): { FailureDetails?: Record<string, unknown> } {
  const text = error.message;
  if (!text.startsWith('{')) return {};
  try {
    const d = JSON.parse(text) as Record<string, unknown>;
    if (typeof d.errorType !== 'string' || typeof d.errorMessage !== 'string') return {};
    return {
      FailureDetails: {
        ErrorType: d.errorType,
        ErrorMessage: d.errorMessage,
        StackTrace: d.stackTrace ?? null,
        IsNonRetriable: d.isNonRetriable ?? false,
        Properties: d.properties ?? null,
        InnerFailure: null,
      },
    };
  } catch {
    return {};
  }
}
