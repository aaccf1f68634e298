import { ORCHESTRATIONS, type ReconcileAccessInput, reconcileAccessInstanceId } from '../catalog';
import type { OrchestrationClient } from '../orchestration-client';
import { startOrRequeue, type StartOutcome } from '../start-remediation';

/**
 * The one entry point every access trigger calls (SQL change, Event Grid event, sweep, HTTP, approval): start
 * `reconcileAccess` for the managed scope, or requeue it when a run for that scope is busy (see
 * {@link startOrRequeue}). Validates the input against the catalogue schema (a ValidationError names the fields).
 * Dry runs never start an orchestration: the HTTP edge calls `planAccessForScope` directly.
 */
export async function startReconcileAccess(
  client: OrchestrationClient,
  request: Omit<ReconcileAccessInput, 'dryRun'>,
): Promise<StartOutcome> {
  const input = ORCHESTRATIONS.reconcileAccess.input.parse({ ...request, dryRun: false });
  return startOrRequeue(client, ORCHESTRATIONS.reconcileAccess.name, reconcileAccessInstanceId(input.scope), input);
}
