import type { Principal } from '../../auth/principal';
import { NOTIFICATION_TYPES } from '../../cloud/ports/notifier';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors';
import { assertFourEyes } from '../../domain/guardrails/four-eyes';
import type { RecordOf } from '../../domain/metadata/metadata-tables';
import type { MetadataBatch } from '../../metadata/metadata-store';
import type { ApiServices } from '../api-services';
import { notifySafely } from '../metadata/metadata-use-cases';
import { decodeContinuation, DEFAULT_PAGE_SIZE, encodeContinuation, type Page } from '../paging';
import type { RemediationStart } from '../remediation-starter';

export type ApprovalRecord = RecordOf<'approvals'>;
export type ApprovalState = 'pending' | 'approved' | 'rejected';

/** Lists approvals (newest id order is not meaningful: key order), filtered by state, kind and target. */
export async function listApprovals(
  services: ApiServices,
  query: { state?: ApprovalState; kind?: string; target?: string; limit?: number; continuationToken?: string },
): Promise<Page<ApprovalRecord>> {
  const after = decodeContinuation<string>('approvals', query.continuationToken, 'string');
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const backend = services.store.backend;
  let q = backend.db.selectFrom('approvals').select('id');
  if (query.state === 'pending') q = q.where('decision', 'is', null);
  else if (query.state) q = q.where('decision', '=', query.state);
  if (query.kind) q = q.where('kind', '=', query.kind);
  if (query.target) q = q.where('target', '=', query.target);
  if (after !== undefined) q = q.where('id', '>', after);
  q = q.orderBy('id', 'asc');
  q = backend.kind === 'mssql' ? q.top(limit + 1) : q.limit(limit + 1);
  const ids = (await q.execute()).map((r) => String(r.id));
  const items: ApprovalRecord[] = [];
  for (const id of ids.slice(0, limit)) {
    const row = await services.store.approvals.get(id);
    if (row) items.push(row);
  }
  const last = ids[limit - 1];
  return ids.length > limit && last !== undefined
    ? { items, continuationToken: encodeContinuation('approvals', last) }
    : { items };
}

/** The outcome of a decision. */
export interface DecisionOutcome {
  readonly approval: ApprovalRecord;
  readonly remediation: RemediationStart;
}

/**
 * Decides an approval with four eyes: the decider must differ from the requester (403), a decided request cannot be
 * decided again (409), and If-Match (optional) pins the version read. The decision is recorded in `approvals` and
 * audited with the decider as actor; for an access grant, an approval also records `approved_by` on the policy (the
 * reconcile's gate) — provided the policy is still the version that was asked for (else 409). An approved request
 * is then handed to the {@link RemediationStarter}; the API does not wait for the remediation.
 */
export async function decideApproval(
  services: ApiServices,
  id: string,
  decision: 'approved' | 'rejected',
  input: { comment?: string | undefined; expectedVersion: number | undefined },
  caller: { principal: Principal; correlationId: string },
): Promise<DecisionOutcome> {
  const existing = await services.store.approvals.get(id);
  if (!existing) throw new NotFoundError('approval', id);
  if (input.expectedVersion !== undefined && existing.version !== input.expectedVersion)
    throw new PreconditionFailedError('approval', id, input.expectedVersion, existing.version);
  if (existing.decision !== null)
    throw new ConflictError(`approval '${id}' was already ${existing.decision} by ${existing.decided_by ?? 'someone'}`);
  assertFourEyes(existing.requested_by, caller.principal.objectId);

  const actor = caller.principal.actor;
  const now = services.clock.now().toISOString();
  const write = { actor, correlationId: caller.correlationId, reason: `approval ${decision}` };
  // Read before the write transaction (reads inside it would wait for the writer's own lock).
  const grant =
    decision === 'approved' && existing.kind === 'access' ? await grantToApprove(services, existing) : undefined;
  const approval = await services.store.batch(async (tx) => {
    if (grant) await recordGrantApproval(tx, grant, existing, caller);
    const { created_at: _c, updated_at: _u, updated_by: _b, ...fields } = existing;
    return tx.upsert(
      'approvals',
      { ...fields, decided_by: actor, decision, decided_at: now, comment: input.comment ?? null },
      { ...write, expectedVersion: existing.version },
    );
  });
  await notifySafely(services, {
    type: NOTIFICATION_TYPES.approvalDecided,
    subject: `approvals/${id}`,
    data: { approvalId: id, kind: approval.kind, target: approval.target, decision, decidedBy: actor },
    correlationId: caller.correlationId,
  });
  let remediation: RemediationStart = { started: false, reason: 'the request was rejected' };
  if (decision === 'approved') {
    try {
      remediation = await services.remediations.start({ approval, actor, correlationId: caller.correlationId });
    } catch (e) {
      services.reportError?.('approval.remediation-start-failed', e, { approvalId: id });
      remediation = {
        started: false,
        reason: 'the remediation could not be started (see the logs); the decision is recorded',
      };
    }
  }
  return { approval, remediation };
}

/** The policy version an access approval was asked for; a policy changed since is a 409. */
async function grantToApprove(
  services: ApiServices,
  approval: ApprovalRecord,
): Promise<RecordOf<'access_policies'> | undefined> {
  const plan = approval.plan as { table?: unknown; id?: unknown; version?: unknown };
  if (plan.table !== 'access_policies' || typeof plan.id !== 'string') return undefined;
  const policy = await services.store.accessPolicies.get(plan.id);
  if (!policy || policy.version !== plan.version)
    throw new ConflictError(
      `access policy '${plan.id}' changed since approval '${approval.id}' was requested (asked for version ${String(plan.version)}, now ${policy ? policy.version : 'deleted'}); decide the newer request`,
    );
  return policy;
}

/** For an approved access grant: set `approved_by` on the policy version that was asked for (version-checked). */
async function recordGrantApproval(
  tx: MetadataBatch,
  policy: RecordOf<'access_policies'>,
  approval: ApprovalRecord,
  caller: { principal: Principal; correlationId: string },
): Promise<void> {
  const { created_at: _c, updated_at: _u, updated_by: _b, version, ...fields } = policy;
  await tx.upsert(
    'access_policies',
    { ...fields, approved_by: caller.principal.objectId },
    {
      actor: caller.principal.actor,
      correlationId: caller.correlationId,
      reason: `approved by approval ${approval.id}`,
      expectedVersion: version,
    },
  );
}
