import type { DatabaseSync } from 'node:sqlite';

import { isFunctionDisabled } from '../host/disabled-functions';
import { triggerBindingOf } from '../host/function-host';
import type { RuntimeComponent, RuntimeServices } from '../host/runtime-services';
import { sleepFor, sleepUntil } from '../state/clock-sleep';
import { openStateDb } from '../state/state-db';
import { formatWithOffset, type NcrontabSchedule, parseNcrontab } from './ncrontab';
import { type RetryPolicy, retryPolicyOf } from './retry-policy';

export interface TimerComponentOptions {
  /** State file name under `services.stateDir` (default `timers.db`). */
  stateFile?: string;
  /** How long stop() waits for a running timer invocation before giving up on it (default 30 s). */
  drainTimeoutMs?: number;
}

/** `DateTime.MinValue` as the host serialises an occurrence that never happened (`Last` before the first run). */
const NEVER = '0001-01-01T00:00:00';

/** The schedule status the host's schedule monitor persists per timer (`ScheduleStatus`). */
export interface ScheduleStatus {
  /** The last occurrence that ran (ms), undefined before the first. */
  last: number | undefined;
  /** The next occurrence expected to run (ms). */
  next: number;
  /** When the status was last written (ms). */
  lastUpdated: number;
}

interface TimerJob {
  readonly functionName: string;
  readonly triggerName: string;
  readonly schedule: NcrontabSchedule;
  readonly runOnStartup: boolean;
  readonly useMonitor: boolean;
  readonly retry: RetryPolicy | undefined;
  status: ScheduleStatus;
  running: Promise<void> | undefined;
}

/**
 * The timer trigger (`app.timer`): NCRONTAB schedules on the shared clock, `runOnStartup`, `isPastDue`, the
 * host's schedule monitor (status persisted in SQLite, so an occurrence missed while the runtime was down runs
 * once at start-up) and function-level retry policies.
 *
 * @remarks
 * Mirrors the WebJobs `TimerListener`: one invocation of a timer at a time; the status passed to the function is
 * the one before the run (`Next` is the occurrence being run); after the run (success or failure) the status
 * becomes `{Last: run time, Next: next occurrence after it}`. When the clock moves past several occurrences at
 * once (a suspended process, a test advancing the clock), the timer runs once with `IsPastDue: true`.
 */
export function createTimerComponent(options: TimerComponentOptions = {}): RuntimeComponent {
  const jobs: TimerJob[] = [];
  const abort = new AbortController();
  let services: RuntimeServices | undefined;
  let db: DatabaseSync | undefined;
  let loops: Promise<void>[] = [];

  const saveStatus = (job: TimerJob): void => {
    if (!db || !job.useMonitor) return;
    db.prepare(
      `INSERT INTO timer_status (function_name, schedule, time_zone, last, next, last_updated) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (function_name) DO UPDATE SET schedule = excluded.schedule, time_zone = excluded.time_zone,
         last = excluded.last, next = excluded.next, last_updated = excluded.last_updated`,
    ).run(
      job.functionName,
      job.schedule.expression,
      job.schedule.timeZone,
      job.status.last ?? null,
      job.status.next,
      job.status.lastUpdated,
    );
  };

  const invoke = async (
    job: TimerJob,
    svc: RuntimeServices,
    kind: { isPastDue: boolean; scheduled: boolean },
  ): Promise<void> => {
    const tz = job.schedule.timeZone;
    const payload = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: job.useMonitor
        ? {
            Last: job.status.last === undefined ? NEVER : formatWithOffset(job.status.last, tz),
            Next: formatWithOffset(job.status.next, tz),
            LastUpdated: formatWithOffset(job.status.lastUpdated, tz),
          }
        : null,
      IsPastDue: kind.isPastDue,
    };
    const invocationTime = svc.clock.now();
    let retryCount = 0;
    let lastError: Error | undefined;
    for (;;) {
      const result = await svc.host.invoke(job.functionName, {
        request: {
          inputData: [{ name: job.triggerName, data: { json: JSON.stringify(payload) } }],
          triggerMetadata: { TimerTrigger: { string: formatWithOffset(invocationTime, tz) } },
          retryContext: job.retry
            ? {
                retryCount,
                maxRetryCount: job.retry.maxRetryCount,
                exception: lastError
                  ? { message: lastError.message, source: job.functionName, stackTrace: lastError.stack ?? '' }
                  : null,
              }
            : null,
        },
      });
      if (result.status === 'success') {
        svc.logger.debug('timer.succeeded', { functionName: job.functionName, retryCount });
        break;
      }
      lastError = result.error;
      svc.logger.error('timer.failed', { functionName: job.functionName, retryCount, error: result.error.message });
      const retry = job.retry;
      if (!retry || (retry.maxRetryCount !== -1 && retryCount >= retry.maxRetryCount) || abort.signal.aborted) break;
      retryCount += 1;
      svc.logger.warn('timer.retrying', {
        functionName: job.functionName,
        retryCount,
        delayMs: retry.delayMs(retryCount),
      });
      await sleepFor(svc.clock, retry.delayMs(retryCount), abort.signal);
      if (abort.signal.aborted) break;
    }
    if (kind.scheduled) {
      const ran = Math.max(invocationTime, job.status.next);
      job.status = { last: ran, next: nextAfter(job, ran), lastUpdated: svc.clock.now() };
      try {
        saveStatus(job); // a no-op once stop() closed the state after its drain timeout
      } catch (e) {
        svc.logger.error('timer.status-not-saved', { functionName: job.functionName, error: String(e) });
      }
    }
  };

  const runJob = async (job: TimerJob, svc: RuntimeServices): Promise<void> => {
    const track = async (kind: { isPastDue: boolean; scheduled: boolean }): Promise<void> => {
      job.running = invoke(job, svc, kind);
      try {
        await job.running;
      } finally {
        job.running = undefined;
      }
    };
    const now = svc.clock.now();
    if (job.useMonitor && now > job.status.next) {
      svc.logger.info('timer.past-due', {
        functionName: job.functionName,
        missedOccurrence: new Date(job.status.next).toISOString(),
      });
      await track({ isPastDue: true, scheduled: true });
    } else if (job.runOnStartup) {
      await track({ isPastDue: false, scheduled: false });
    }
    while (!abort.signal.aborted) {
      const due = job.status.next;
      await sleepUntil(svc.clock, due, abort.signal);
      if (abort.signal.aborted) break;
      const firedAt = svc.clock.now();
      const laterOccurrence = job.schedule.next(due);
      const isPastDue = laterOccurrence !== undefined && laterOccurrence <= firedAt;
      await track({ isPastDue, scheduled: true });
    }
  };

  const begin = (svc: RuntimeServices): void => {
    services = svc;
    const timeZone = svc.env.WEBSITE_TIME_ZONE?.trim() || 'UTC';
    for (const fn of svc.host.functions.values()) {
      const trigger = triggerBindingOf(fn);
      if (String(trigger.binding.type).toLowerCase() !== 'timertrigger') continue;
      if (isFunctionDisabled(svc.env, fn.metadata.name)) continue;
      const raw = trigger.binding.schedule;
      if (typeof raw !== 'string' || raw.trim() === '') {
        throw new Error(`Timer function "${fn.metadata.name}" has no schedule.`);
      }
      let schedule: NcrontabSchedule;
      try {
        schedule = parseNcrontab(svc.resolveSetting(raw), timeZone);
      } catch (e) {
        throw new Error(`Timer function "${fn.metadata.name}": ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      }
      const now = svc.clock.now();
      const first = schedule.next(now);
      if (first === undefined) throw new Error(`Timer function "${fn.metadata.name}": the schedule never occurs.`);
      const second = schedule.next(first);
      const useMonitor =
        typeof trigger.binding.useMonitor === 'boolean'
          ? trigger.binding.useMonitor
          : second === undefined || second - first >= 60_000;
      jobs.push({
        functionName: fn.metadata.name,
        triggerName: trigger.name,
        schedule,
        runOnStartup: trigger.binding.runOnStartup === true || trigger.binding.runOnStartup === 'true',
        useMonitor,
        retry: retryPolicyOf(fn.metadata.retryOptions),
        status: { last: undefined, next: first, lastUpdated: now },
        running: undefined,
      });
    }
    if (jobs.length === 0) return;
    db = openStateDb(svc.stateDir, options.stateFile ?? 'timers.db');
    db.exec(`CREATE TABLE IF NOT EXISTS timer_status (
        function_name TEXT PRIMARY KEY, schedule TEXT NOT NULL, time_zone TEXT NOT NULL,
        last INTEGER, next INTEGER NOT NULL, last_updated INTEGER NOT NULL)`);
    const read = db.prepare(
      'SELECT schedule, time_zone, last, next, last_updated FROM timer_status WHERE function_name = ?',
    );
    for (const job of jobs) {
      if (!job.useMonitor) continue;
      const row = read.get(job.functionName) as
        { schedule: string; time_zone: string; last: number | null; next: number; last_updated: number } | undefined;
      if (!row) {
        saveStatus(job); // first start: record the status, so an occurrence missed from now on is detected
      } else if (row.schedule !== job.schedule.expression || row.time_zone !== job.schedule.timeZone) {
        // The schedule changed: the host recomputes the next occurrence from the last run under the new schedule.
        const from = row.last ?? row.last_updated;
        job.status = { last: row.last ?? undefined, next: nextAfter(job, from), lastUpdated: row.last_updated };
        saveStatus(job);
      } else {
        job.status = { last: row.last ?? undefined, next: row.next, lastUpdated: row.last_updated };
      }
      svc.logger.info('timer.scheduled', {
        functionName: job.functionName,
        schedule: job.schedule.expression,
        timeZone: job.schedule.timeZone,
        next: new Date(job.status.next).toISOString(),
      });
    }
    loops = jobs.map((job) =>
      runJob(job, svc).catch((e: unknown) => {
        svc.logger.error('timer.stopped-unexpectedly', { functionName: job.functionName, error: String(e) });
      }),
    );
    return;
  };

  let stopping: Promise<void> | undefined;
  const halt = async (): Promise<void> => {
    abort.abort();
    const drain = Promise.all(loops);
    const timeout = options.drainTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drain.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeout);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut) {
      services?.logger.warn('timer.stop-timeout', {
        running: jobs.filter((j) => j.running !== undefined).map((j) => j.functionName),
      });
    }
    db?.close();
    db = undefined;
  };

  return {
    name: 'timer',
    triggerTypes: ['timerTrigger'],
    start(svc: RuntimeServices): Promise<void> {
      // Executor errors become a rejection: start-up problems reach startRuntime as a rejected promise.
      return new Promise<void>((resolve) => {
        begin(svc);
        resolve();
      });
    },
    stop(): Promise<void> {
      // Idempotent: the runtime and tests may both stop a component.
      return (stopping ??= halt());
    },
  };
}

function nextAfter(job: TimerJob, ms: number): number {
  const next = job.schedule.next(ms);
  if (next === undefined)
    throw new Error(`Timer function "${job.functionName}": the schedule has no further occurrence.`);
  return next;
}
