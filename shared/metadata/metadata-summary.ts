import { parseArmResourceId } from '../domain/primitives/arm-resource-id';
import type { MetadataStore } from './metadata-store';

/** Display names for principal ids (from the demo world's principals), to make the summary readable. */
export type PrincipalNames = ReadonlyMap<string, string>;

function shortId(id: string): string {
  const parsed = parseArmResourceId(id);
  if (typeof parsed === 'string') return id;
  if (parsed.resourceType && parsed.name) return `${parsed.resourceType.split('/').pop() ?? ''}/${parsed.name}`;
  if (parsed.resourceGroup) return `resourceGroup/${parsed.resourceGroup}`;
  return id;
}

const day = (iso: string | null): string => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

/**
 * A readable, plain-text summary of the metadata: counts per table, then the intent itself (scopes, policies,
 * secrets, network rules, alert rules, models), then the audit chain's state. Never prints a secret value — the
 * store holds none.
 */
export async function describeMetadata(store: MetadataStore, names: PrincipalNames = new Map()): Promise<string> {
  const who = (id: string): string => names.get(id.toLowerCase()) ?? id;
  const out: string[] = [];
  const counts = await store.counts();
  out.push('Rows per table:');
  for (const [table, n] of Object.entries(counts)) out.push(`  ${table.padEnd(18)} ${n}`);

  const scopes = await store.managedScopes.list();
  out.push('', `Managed scopes (${scopes.length}):`);
  for (const s of scopes)
    out.push(
      `  ${shortId(s.scope)}  ${s.mode}, ${s.enforcement}; allows ${s.allowed_roles.join(', ')}; break-glass ${s.break_glass.map(who).join(', ') || 'none'}`,
    );

  const policies = await store.accessPolicies.list();
  out.push('', `Access policies (${policies.length}):`);
  for (const p of policies)
    out.push(
      `  ${p.id}: ${p.principal_type} ${who(p.principal_id)} → ${p.role} at ${shortId(p.scope)}` +
        `${p.data_access ? ` (${p.data_access})` : ''}, ${p.expires_at ? `until ${day(p.expires_at)}` : 'standing'}${p.enabled ? '' : ', disabled'}`,
    );

  const secrets = await store.secretReferences.list();
  out.push('', `Secret references (${secrets.length}):`);
  for (const s of secrets)
    out.push(
      `  ${s.id}: ${new URL(s.vault_uri).hostname}/${s.secret_name} via ${s.rotator}, every ${s.interval_days} d; ` +
        `next rotation ${day(s.next_rotation_at)}, notice ${day(s.next_notice_at)}; consumers ${s.consumers.map((c) => c.name).join(', ') || 'none'}`,
    );

  const rules = await store.networkRules.list();
  out.push('', `Network rules (${rules.length}):`);
  for (const r of rules) {
    const posture = [
      r.public_network_access ? `public access ${r.public_network_access}` : undefined,
      r.private_endpoint_required ? 'private endpoint required' : undefined,
      r.allowed_ip_ranges.length ? `IPs ${r.allowed_ip_ranges.join(', ')}` : undefined,
      r.integration_runtime ? `runtime ${r.integration_runtime}` : undefined,
    ].filter(Boolean);
    out.push(
      `  ${r.id}: ${shortId(r.resource_id)}: ${posture.join('; ') || 'no posture set'}${r.enabled ? '' : ' (disabled)'}`,
    );
  }

  const alerts = await store.alertRules.list();
  out.push('', `Alert rules (${alerts.length}):`);
  for (const a of alerts) {
    const what = a.source.kind === 'metrics' ? `${a.source.aggregation} ${a.source.metric}` : 'log query';
    out.push(
      `  ${a.id}: ${what} ${a.operator} ${a.threshold} over ${a.window}, ${a.failing_periods.min_failing} of ${a.failing_periods.of_last} windows → ${a.action} (model ${a.model_id})`,
    );
  }

  const models = await store.models.list();
  out.push('', `Models (${models.length}):`);
  for (const m of models)
    out.push(
      `  ${m.id}: ${m.name} v${m.model_version} ${m.stage} on deployment ${m.deployment} of ${shortId(m.endpoint)}` +
        `${m.last_good_version ? `; last good v${m.last_good_version}` : ''}${m.next_check_at ? `; re-check ${day(m.next_check_at)}` : ''}`,
    );

  const verdict = await store.audit.verify();
  out.push(
    '',
    verdict.ok
      ? `Audit chain: ${verdict.entries} entries, intact; head ${verdict.headHash.slice(0, 16)}…`
      : `Audit chain: BROKEN at entry ${verdict.firstBadSeq}: ${verdict.problem}`,
  );
  return out.join('\n');
}
