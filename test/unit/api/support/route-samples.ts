// Valid inputs for every route of the table, made fresh per call (a put creates a new row, a delete removes a row
// made for it, a decision decides a new pending approval requested by someone else), so the route × role matrix
// can expect 2xx for the route's role.
import { API_TABLES, type ApiTable, METADATA_RESOURCES } from '../../../../shared/api/metadata/metadata-resources';
import { METADATA_COLUMNS } from '../../../../shared/metadata/database';
import { ADA, type ApiHarness, type CallOptions, GRACE, RG } from './api-harness';

let n = 0;

/** A seeded row of `table` with the store-owned fields removed. */
export async function rowTemplate(h: ApiHarness, table: ApiTable): Promise<Record<string, unknown>> {
  const [row] = (await h.store.table(table).list({ limit: 1 })) as unknown as Record<string, unknown>[];
  if (!row) throw new Error(`no seeded ${table} row`);
  const c = METADATA_COLUMNS[table];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (c.fields.includes(k)) out[k] = v;
  return out;
}

/** A fresh key for `table`. */
export function freshKey(table: ApiTable): string {
  n += 1;
  return METADATA_RESOURCES[table].keyParam === 'scope'
    ? `${RG.replace('rg-fraud-ml', `rg-sample-${n}`)}`
    : `sample-${n}`;
}

/** Path params for a key of `table` as the host gives them. */
export function keyParams(table: ApiTable, key: string): Record<string, string> {
  return METADATA_RESOURCES[table].keyParam === 'scope' ? { scope: key.replace(/^\//, '') } : { id: key };
}

/** A valid new row of `table` under `key` (Reader role for policies; another approver for exemptions). */
export async function newRow(h: ApiHarness, table: ApiTable, key: string): Promise<Record<string, unknown>> {
  const row = await rowTemplate(h, table);
  row[METADATA_COLUMNS[table].key] = key;
  if (table === 'access_policies')
    Object.assign(row, { role: 'Reader', scope: RG, approved_by: null, expires_at: null });
  if (table === 'managed_scopes') row.break_glass = [];
  if (table === 'secret_references') row.secret_name = `secret-${key}`;
  if (table === 'models') row.model_version = `${key}`;
  return row;
}

/** Ensures an exemption exists (the demo world has none). */
export async function ensureExemption(h: ApiHarness): Promise<void> {
  if ((await h.store.exemptions.count()) > 0) return;
  await h.store.exemptions.upsert(
    {
      id: 'ex-seeded',
      target: RG,
      kind: 'network',
      reason: 'Vendor migration window',
      expires_at: '2027-01-31T00:00:00Z',
      approved_by: GRACE,
    },
    { actor: 'test-setup' },
  );
}

/** A new pending approval requested by Ada. */
export async function pendingApproval(h: ApiHarness, requestedBy = `${ADA} (Ada Lovelace)`): Promise<string> {
  n += 1;
  const id = `apr-sample-${n}`;
  await h.store.approvals.upsert(
    {
      id,
      kind: 'network',
      target: `network_rules/nr-${n}`,
      plan: { action: 'disable-public-access' },
      requested_by: requestedBy,
      requested_at: h.clock.now().toISOString(),
    },
    { actor: 'test-setup' },
  );
  return id;
}

const tableOf = (name: string): ApiTable | undefined =>
  API_TABLES.find((t) =>
    name.endsWith(
      t.replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase()),
    ),
  );

/** Valid call options for the route `name`. */
export async function sampleCall(h: ApiHarness, name: string): Promise<CallOptions> {
  const table = tableOf(name);
  if (table) {
    if (name.startsWith('list')) return {};
    if (table === 'exemptions') await ensureExemption(h);
    if (name.startsWith('get')) {
      const row = await rowTemplate(h, table);
      return { params: keyParams(table, String(row[METADATA_COLUMNS[table].key])) };
    }
    const key = freshKey(table);
    const body = await newRow(h, table, key);
    if (name.startsWith('put')) return { params: keyParams(table, key), body };
    if (name.startsWith('delete')) {
      await h.store.table(table).upsert(body as never, { actor: 'test-setup' });
      return { params: keyParams(table, key), headers: { 'if-match': '"1"' } };
    }
  }
  switch (name) {
    case 'listApprovals':
    case 'queryAudit':
    case 'exportAudit':
    case 'verifyAudit':
    case 'getStatus':
    case 'health':
    case 'getOpenApi':
    case 'listOrchestrations':
      return {};
    case 'getOrchestration':
      return { params: { instanceId: 'reconcileAccess-0' } };
    case 'startReconcileAccess':
      return { body: { scope: RG } };
    case 'startEnforceNetwork':
      return { body: { resourceId: `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw` } };
    case 'startRotateSecret': {
      const [ref] = await h.store.secretReferences.list({ limit: 1 });
      return { params: { id: ref?.id ?? 'none' }, query: { dryRun: 'true' } };
    }
    case 'quarantineModelHttp':
    case 'releaseModelHttp':
    case 'retireModelHttp': {
      const [model] = await h.store.models.list({ limit: 1 });
      return {
        params: { id: model?.id ?? 'none' },
        ...(name === 'quarantineModelHttp' ? { query: { dryRun: 'true' } } : {}),
      };
    }
    case 'getApproval':
      return { params: { id: await pendingApproval(h) } };
    case 'listPoisonMessages':
      return { query: { top: '5' } };
    case 'getPoisonMessage': {
      await h.store.events.recordPoison({ source: 'sample', messageId: null, reason: 'sample', body: null });
      const [p] = await h.store.events.listPoison(1);
      return { params: { id: String(p?.id ?? 0) } };
    }
    case 'approveApproval':
    case 'rejectApproval':
      return { params: { id: await pendingApproval(h) }, body: { comment: 'looks right' } };
  }
  throw new Error(`no sample for route ${name}: add one`);
}
