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
  let latest: unknown = signal.result;
  for (let i = 0; i < MAX_COALESCED_RERUNS; i++) {
    const more = context.df.waitForExternalEvent(RERUN_EVENT);
    const now = context.df.createTimer(context.df.currentUtcDateTime);
    if (((yield context.df.Task.any([more, now])) as Task) !== more) break;
    now.cancel();
    latest = more.result;
  }
  return { latest };
}
