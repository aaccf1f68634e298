/**
 * Start-or-requeue, the orchestrator's half (the client's half is `startOrRequeue`): a trigger for a busy target
 * raised {@link RERUN_EVENT}; such events are buffered in history, so a zero-length timer raced against the event
 * tells without waiting whether one came. The other buffered reruns are drained too (a runtime may carry unprocessed
 * events over continue-as-new): they coalesce into one rerun on behalf of the latest requester — otherwise each would
 * cost a run and the runs' audit entries would name requesters that lag behind.
 */
import type { OrchestrationContext, Task } from 'durable-functions';

import { RERUN_EVENT } from './catalog';

const MAX_COALESCED_RERUNS = 1000;

/** The latest rerun asked for while the run was busy (`undefined` when none): the caller continues as new with it. */
export function* takeRerun(context: OrchestrationContext): Generator<Task, { readonly latest: unknown } | undefined> {
  const signal = context.df.waitForExternalEvent(RERUN_EVENT);
  const tick = context.df.createTimer(context.df.currentUtcDateTime);
  if (((yield context.df.Task.any([signal, tick])) as Task) !== signal) return undefined;
  tick.cancel();
  return { latest: yield* drainReruns(context, signal.result) };
}

/**
 * The run's closing work (its last activities, scheduled together) and the rerun check in one: the rerun waiter races
 * `closing` instead of waiting for it and then racing a zero-length timer — under load, when a trigger nearly always
 * came during the run, that saves the timer's episode on every run. Only when no rerun arrived while `closing` ran
 * does a zero-length timer follow as the barrier takeRerun uses: every event appended before it has reached the
 * waiter when it fires. `closing` is yielded again on its own (the same task object adds no new action) so its
 * failure surfaces as a plain yield's would. No task is re-yielded inside a new Task.any/all: the library would repeat
 * its action, which the extension schedules again (durable-host-protocol.md §4.3).
 */
export function* closeAndTakeRerun(
  context: OrchestrationContext,
  closing: Task,
): Generator<Task, { readonly latest: unknown } | undefined> {
  const signal = context.df.waitForExternalEvent(RERUN_EVENT);
  yield context.df.Task.any([signal, closing]);
  yield closing;
  if (!signal.isCompleted) yield context.df.createTimer(context.df.currentUtcDateTime);
  if (!signal.isCompleted) return undefined;
  return { latest: yield* drainReruns(context, signal.result) };
}

/** The other buffered reruns after the first: each checked with a zero-length timer; the latest one's data wins. */
function* drainReruns(context: OrchestrationContext, first: unknown): Generator<Task, unknown> {
  let latest = first;
  for (let i = 0; i < MAX_COALESCED_RERUNS; i++) {
    const more = context.df.waitForExternalEvent(RERUN_EVENT);
    const now = context.df.createTimer(context.df.currentUtcDateTime);
    if (((yield context.df.Task.any([more, now])) as Task) !== more) break;
    now.cancel();
    latest = more.result;
  }
  return latest;
}
