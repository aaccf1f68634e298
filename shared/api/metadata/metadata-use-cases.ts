import { z } from 'zod';

import type { Principal } from '../../auth/principal';
import { NOTIFICATION_TYPES } from '../../cloud/ports/notifier';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { approvedByAfterWrite, checkAccessPolicy } from '../../domain/guardrails/access-policy-guardrails';
import { assertPrincipalTouchable } from '../../domain/guardrails/access-policy-guardrails';
import { assertExemptionApprovedByOther } from '../../domain/guardrails/exemption-guardrails';
import { assertBreakGlassKept } from '../../domain/guardrails/managed-scope-guardrails';
import type { AccessPolicy } from '../../domain/metadata/access-policy.schema';
import type { Exemption } from '../../domain/metadata/exemption.schema';
import type { ManagedScope } from '../../domain/metadata/managed-scope.schema';
import { looseSpec, type RecordOf } from '../../domain/metadata/metadata-tables';
import { ArmResourceIdSchema } from '../../domain/primitives/fields';
import { fromColumns, METADATA_COLUMNS, ROW_META_COLUMNS } from '../../metadata/database';
import type { ApiServices } from '../api-services';
import { fieldIssues } from '../field-issues';
import { decodeContinuation, DEFAULT_PAGE_SIZE, encodeContinuation, type Page } from '../paging';
import { type ApiTable, METADATA_RESOURCES } from './metadata-resources';

type AnyRecord = Record<string, unknown> & { version: number };

/** The caller and request facts every write carries. */
export interface WriteCaller {
  readonly principal: Principal;
  readonly correlationId: string;
}

/**
 * The path value of a managed scope (catch-all, without its leading '/') as an ARM id. `.` and `..` segments are
 * refused (path traversal), as is anything that is not an ARM id.
 */
export const ScopeKeySchema = z
  .string()
  .transform((s) => `/${s.replace(/^\/+/, '')}`)
  .superRefine((s, ctx) => {
    if (s.split('/').some((seg) => seg === '.' || seg === '..'))
      ctx.addIssue({ code: 'custom', message: "must not contain '.' or '..' segments" });
  })
  .pipe(ArmResourceIdSchema);

/** Lists a table's rows in key order, filtered by column equality, one page at a time. */
export async function listRows(
  services: ApiServices,
  table: ApiTable,
  query: Record<string, unknown> & { limit?: number; continuationToken?: string },
): Promise<Page<RecordOf<ApiTable>>> {
  const columns = METADATA_COLUMNS[table];
  const after = decodeContinuation<string>(table, query.continuationToken, 'string');
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const backend = services.store.backend;
  let q = backend.db.selectFrom(table).selectAll();
  for (const column of Object.keys(METADATA_RESOURCES[table].filters)) {
    const value = query[column];
    if (value === undefined) continue;
    q = q.where(column, '=', typeof value === 'boolean' ? (value ? 1 : 0) : (value as string));
  }
  if (after !== undefined) q = q.where(columns.key, '>', after);
  q = q.orderBy(columns.key, 'asc');
  q = backend.kind === 'mssql' ? q.top(limit + 1) : q.limit(limit + 1);
  const rows = (await q.execute()).map((r) => fromColumns(table, r) as unknown as RecordOf<ApiTable>);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1] as Record<string, unknown> | undefined;
  return rows.length > limit && last
    ? { items, continuationToken: encodeContinuation(table, String(last[columns.key])) }
    : { items };
}

/** One row by key; a missing row is a NotFoundError. */
export async function getRow(services: ApiServices, table: ApiTable, key: string): Promise<AnyRecord> {
  return (await services.store.table(table).require(key)) as unknown as AnyRecord;
}

/** The outcome of a put: the stored row and, for a privileged access policy, the approval it now waits for. */
export interface PutOutcome {
  readonly record: AnyRecord;
  readonly created: boolean;
  readonly approvalId?: string;
}

/**
 * Creates or replaces a row: strict validation (unknown fields refused, the key from the path), the guardrails of
 * DESIGN.md, then one store transaction with the caller as actor. A privileged access policy is stored with
 * `approved_by` cleared and an approval request recorded in the same transaction; the reconcile grants it only
 * once approved.
 */
export async function putRow(
  services: ApiServices,
  table: ApiTable,
  key: string,
  body: Record<string, unknown>,
  expectedVersion: number | undefined,
  caller: WriteCaller,
): Promise<PutOutcome> {
  const spec = looseSpec(table);
  const columns = METADATA_COLUMNS[table];
  const subject = `${spec.kind} '${key.slice(0, 200)}'`;
  // Read-only fields a client may echo back from a GET: the store owns them. `version` doubles as If-Match.
  const fields: Record<string, unknown> = {};
  let bodyVersion: unknown;
  for (const [k, v] of Object.entries(body)) {
    if (k === 'version') bodyVersion = v;
    else if ((ROW_META_COLUMNS as readonly string[]).includes(k)) continue;
    else if (columns.due.includes(k) && !columns.fields.includes(k)) continue;
    else fields[k] = v;
  }
  if (bodyVersion !== undefined) {
    if (typeof bodyVersion !== 'number' || !Number.isInteger(bodyVersion) || bodyVersion < 1)
      throw new ValidationError(subject, [{ path: 'version', message: 'must be a positive whole number' }]);
    if (expectedVersion !== undefined && expectedVersion !== bodyVersion)
      throw new ValidationError(subject, [
        { path: 'version', message: `is ${bodyVersion} but If-Match says ${expectedVersion}` },
      ]);
    expectedVersion = bodyVersion;
  }
  const sentKey = fields[columns.key];
  if (sentKey === undefined) fields[columns.key] = key;
  else if (sentKey !== key)
    throw new ValidationError(subject, [
      { path: columns.key, message: `must equal the ${columns.key} in the path (or be left out)` },
    ]);
  const parsed = spec.schema.safeParse(fields);
  if (!parsed.success) throw new ValidationError(subject, fieldIssues(parsed.error));
  const row = parsed.data as Record<string, unknown>;

  const repo = services.store.table(table);
  const existing = (await repo.get(key)) as AnyRecord | undefined;
  let approvalPlan: Record<string, unknown> | undefined;
  if (table === 'access_policies') {
    const policy = row as unknown as AccessPolicy;
    const verdict = checkAccessPolicy(policy, await guardrailContext(services));
    if (existing) assertPrincipalTouchable(String(existing.principal_id), await guardrailContext(services));
    row.approved_by = approvedByAfterWrite(policy, existing as unknown as AccessPolicy | undefined);
    if (verdict.needsApproval && row.approved_by === null)
      approvalPlan = {
        action: 'grant',
        table,
        id: policy.id,
        principal_id: policy.principal_id,
        principal_type: policy.principal_type,
        role: policy.role,
        scope: policy.scope,
        governing_scope: verdict.governingScope,
        data_access: policy.data_access,
        expires_at: policy.expires_at,
        justification: policy.justification,
      };
  } else if (table === 'managed_scopes') {
    assertBreakGlassKept(row as unknown as ManagedScope, existing as unknown as ManagedScope | undefined);
  } else if (table === 'exemptions') {
    assertExemptionApprovedByOther(row as unknown as Exemption, caller.principal.objectId);
  }

  const options = {
    actor: caller.principal.actor,
    correlationId: caller.correlationId,
    reason: `PUT /api/metadata/${table} by the HTTP API`,
    ...(expectedVersion !== undefined ? { expectedVersion } : {}),
  };
  if (existing && expectedVersion === undefined)
    throw new ConflictError(
      `${subject} already exists at version ${existing.version}: send If-Match: "${existing.version}" to replace it`,
    );
  const approvalId = approvalPlan ? `apr-${services.newId()}` : undefined;
  const record = await uniqueAsConflict(services, subject, () =>
    services.store.batch(async (tx) => {
      const stored = (await tx.upsert(table, row as never, options)) as unknown as AnyRecord;
      if (approvalPlan && approvalId)
        await tx.upsert(
          'approvals',
          {
            id: approvalId,
            kind: 'access',
            target: `${table}/${key}`,
            plan: { ...approvalPlan, version: stored.version },
            requested_by: caller.principal.actor,
            requested_at: services.clock.now().toISOString(),
          },
          { actor: caller.principal.actor, correlationId: caller.correlationId, reason: 'privileged role' },
        );
      return stored;
    }),
  );
  if (approvalId)
    await notifySafely(services, {
      type: NOTIFICATION_TYPES.approvalRequested,
      subject: `approvals/${approvalId}`,
      data: { approvalId, kind: 'access', target: `${table}/${key}`, requestedBy: caller.principal.actor },
      correlationId: caller.correlationId,
    });
  return { record, created: !existing, ...(approvalId ? { approvalId } : {}) };
}

/** Deletes a row at the expected version; access policies for protected principals are refused. */
export async function deleteRow(
  services: ApiServices,
  table: ApiTable,
  key: string,
  expectedVersion: number,
  caller: WriteCaller,
): Promise<AnyRecord> {
  const existing = (await services.store.table(table).get(key)) as AnyRecord | undefined;
  if (!existing) throw new NotFoundError(looseSpec(table).kind, key);
  if (table === 'access_policies')
    assertPrincipalTouchable(String(existing.principal_id), await guardrailContext(services));
  return (await services.store.table(table).delete(key, {
    actor: caller.principal.actor,
    correlationId: caller.correlationId,
    reason: `DELETE /api/metadata/${table} by the HTTP API`,
    expectedVersion,
  })) as unknown as AnyRecord;
}

/** A unique-constraint violation (e.g. two secret references for one vault secret) is a 409, not a 500. */
async function uniqueAsConflict<T>(services: ApiServices, subject: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (services.store.backend.isUniqueViolation(e))
      throw new ConflictError(`${subject} conflicts with another row holding the same unique values`);
    throw e;
  }
}

async function guardrailContext(services: ApiServices) {
  const managedScopes = await services.store.managedScopes.list();
  return { managedScopes, wardenPrincipalIds: services.settings.wardenPrincipalIds };
}

/** Publishes a notification after a committed change; a failure is reported, never thrown (the change stands). */
export async function notifySafely(
  services: ApiServices,
  notification: Parameters<ApiServices['notifier']['publish']>[0][number],
): Promise<boolean> {
  try {
    await services.notifier.publish([notification]);
    return true;
  } catch (e) {
    services.reportError?.('notification.failed', e, { type: notification.type, subject: notification.subject });
    return false;
  }
}
