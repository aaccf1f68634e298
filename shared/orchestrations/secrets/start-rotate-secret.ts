import { NotFoundError } from '../../domain/errors';
import type { MetadataStore } from '../../metadata/metadata-store';
import type { OrchestrationClient } from '../orchestration-client';
import { type RotateSecretInput, rotateSecretInstanceId, ROTATION_ORCHESTRATION } from './rotation-catalog';

/** What became of a rotation request. */
export interface RotationStartOutcome {
  readonly instanceId: string;
  /** `started`: a new rotation; `joined`: one is already running for the reference — this request is part of it. */
  readonly action: 'started' | 'joined';
}

const ACTIVE = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);

/**
 * Starts `rotateSecret` for one reference under its deterministic instance id, or joins the rotation already running.
 *
 * @remarks
 * Every trigger calls this: the sweep (due time), Key Vault near-expiry/expired events, `POST
 * /api/secrets/{id}/rotate` and the Service Bus command handler. Unlike the enforcement remediations, a busy
 * rotation is joined, not requeued: a second rotation right after the first would throw away a credential that was
 * just proven to work (two triggers at once → one rotation). A finished instance (Completed, Failed, Terminated) is
 * started again under the same id. The durable singleton check is not atomic on Azure either; a rare duplicate start
 * is caught by the activities (the staging secret names its rotation's correlation id; publish refuses a staged
 * version that is not its own).
 */
export async function startRotateSecret(
  client: OrchestrationClient,
  request: RotateSecretInput,
): Promise<RotationStartOutcome> {
  const instanceId = rotateSecretInstanceId(request.referenceId);
  const status = await client.getStatus(instanceId);
  if (status && ACTIVE.has(status.runtimeStatus)) return { instanceId, action: 'joined' };
  try {
    await client.startNew(ROTATION_ORCHESTRATION.name, {
      instanceId,
      input: {
        referenceId: request.referenceId,
        correlationId: request.correlationId,
        requestedBy: request.requestedBy,
        reason: request.reason,
      },
    });
  } catch (e) {
    // Another trigger started it between the status read and this start (the engine refuses a second instance
    // under a running id): join that one.
    const again = await client.getStatus(instanceId);
    if (again && ACTIVE.has(again.runtimeStatus)) return { instanceId, action: 'joined' };
    throw e;
  }
  return { instanceId, action: 'started' };
}

/**
 * {@link startRotateSecret} for callers that must refuse an unknown reference up front (a queue command: a
 * `NotFoundError` there means poison, not a retry): the reference is looked up first.
 */
export async function startRotateSecretFor(
  store: Pick<MetadataStore, 'secretReferences'>,
  client: OrchestrationClient,
  request: RotateSecretInput,
): Promise<RotationStartOutcome> {
  if (!(await store.secretReferences.get(request.referenceId)))
    throw new NotFoundError('secret reference', request.referenceId);
  return startRotateSecret(client, request);
}
