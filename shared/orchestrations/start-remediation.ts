import { RERUN_EVENT } from './catalog';
import type { OrchestrationClient } from './orchestration-client';

/** What became of a start request. */
export interface StartOutcome {
  readonly instanceId: string;
  /** `started`: a new run; `requeued`: the target was busy, the running instance will run again after it finishes. */
  readonly action: 'started' | 'requeued';
}

const ACTIVE = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);

/**
 * Start-or-requeue for one target's deterministic instance id.
 *
 * @remarks
 * No instance, or a finished one (Completed, Failed, Terminated): start a new run under the same id. A busy one
 * (Running, Pending, ContinuedAsNew, Suspended): raise `rerun` on it instead — the orchestrator checks for it when it
 * is done and continues as new, so the second trigger runs after the first instead of racing it, and several
 * triggers meanwhile coalesce into one more run (events are hints; the rerun re-reads everything). The status is read
 * again after the raise: if the instance finished meanwhile (durable-functions reports the 410 of a raise on a
 * finished instance as a success, and a finished instance drops the event), start a new run — what is left is a
 * raise that lands during the run's final episode and is dropped after this second read; the sweep covers that. If
 * another trigger started it between the read and the start (the start is refused), requeue on that run. Durable's
 * singleton check is not atomic on Azure either: a rare duplicate run is harmless because activities re-read before
 * writing.
 */
export async function startOrRequeue(
  client: OrchestrationClient,
  orchestration: string,
  instanceId: string,
  input: { readonly correlationId: string; readonly requestedBy: string; readonly reason: string },
  /** What the `rerun` event carries to a busy run (default: who asked and why; a quarantine adds its signal). */
  rerun: Readonly<Record<string, unknown>> = {
    correlationId: input.correlationId,
    requestedBy: input.requestedBy,
    reason: input.reason,
  },
): Promise<StartOutcome> {
  const status = await client.getStatus(instanceId);
  if (status && ACTIVE.has(status.runtimeStatus)) {
    let raised = true;
    try {
      await client.raiseEvent(instanceId, RERUN_EVENT, rerun);
    } catch {
      raised = false;
    }
    // Look again: durable-functions answers a raise on an instance that finished meanwhile (HTTP 410) as a success,
    // and a finished instance drops the event — a run that is no longer busy gets a new run instead.
    const again = await client.getStatus(instanceId);
    if (again && ACTIVE.has(again.runtimeStatus)) {
      if (!raised) throw new Error(`could not requeue busy instance ${instanceId}`);
      return { instanceId, action: 'requeued' };
    }
  }
  try {
    await client.startNew(orchestration, { instanceId, input });
  } catch (e) {
    // Another trigger started it between the status read and this start (the engine refuses a second instance under
    // a running id — two metadata tables changing together do this): requeue on that run instead of failing.
    const again = await client.getStatus(instanceId);
    if (!again || !ACTIVE.has(again.runtimeStatus)) throw e;
    await client.raiseEvent(instanceId, RERUN_EVENT, rerun);
    return { instanceId, action: 'requeued' };
  }
  return { instanceId, action: 'started' };
}
