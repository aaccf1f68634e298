/**
 * The body of the SQL trigger on `access_policies`, `managed_scopes`, `exemptions` and `network_rules`: a changed
 * row (its key; payload values are hints) → re-read → start or requeue the remediation it affects, on behalf of the
 * row's last writer (`updated_by`), so the run's audit entries name who asked.
 */
import { governingScope, isWithinScope } from '../domain/guardrails/scope-coverage';
import type { MetadataStore } from '../metadata/metadata-store';
import { startReconcileAccess } from './access/start-reconcile-access';
import { sweepEnforcement } from './enforcement-triggers';
import { startEnforceNetwork } from './network/start-enforce-network';
import type { OrchestrationClient } from './orchestration-client';
import type { StartOutcome } from './start-remediation';

export const ENFORCEMENT_TABLES = ['access_policies', 'managed_scopes', 'exemptions', 'network_rules'] as const;

export interface ChangeHandling {
  readonly started: readonly StartOutcome[];
  /** Why nothing (more) was started. */
  readonly note: string | null;
}

/**
 * Handles one changed row. A deleted row carries only its key, so what it affected is unknown: a deleted policy or
 * exemption runs the sweep (every managed scope and governed resource — a deleted policy's grant must go); a deleted
 * managed scope or network rule ends enforcement there and starts nothing.
 */
export async function handleMetadataChange(
  store: MetadataStore,
  client: OrchestrationClient,
  change: { readonly table: string; readonly key: string; readonly correlationId: string },
): Promise<ChangeHandling> {
  const base = { correlationId: change.correlationId, reason: `${change.table}/${change.key} changed` };
  const scopes = await store.managedScopes.list();
  const access = async (scope: string, actor: string) =>
    startReconcileAccess(client, { ...base, scope, requestedBy: actor });
  switch (change.table) {
    case 'access_policies': {
      const row = await store.accessPolicies.get(change.key);
      if (!row) return sweep(store, client, 'the policy was deleted: every managed scope is reconciled');
      const managed = governingScope(row.scope, scopes);
      if (!managed) return { started: [], note: `${row.scope} is outside every managed scope` };
      return { started: [await access(managed.scope, row.updated_by)], note: null };
    }
    case 'managed_scopes': {
      const row = await store.managedScopes.get(change.key);
      if (!row) return { started: [], note: `${change.key} is no longer managed: Warden leaves it as it is` };
      return { started: [await access(row.scope, row.updated_by)], note: null };
    }
    case 'exemptions': {
      const row = await store.exemptions.get(change.key);
      if (!row) return sweep(store, client, 'the exemption was deleted: every target is enforced again');
      const started: StartOutcome[] = [];
      if (row.kind === 'access') {
        const affected = scopes.filter((s) => isWithinScope(s.scope, row.target) || isWithinScope(row.target, s.scope));
        for (const s of affected) started.push(await access(s.scope, row.updated_by));
      } else if (row.kind === 'network') {
        for (const r of await store.networkRules.list())
          if (r.enabled && isWithinScope(r.resource_id, row.target))
            started.push(
              await startEnforceNetwork(client, { ...base, resourceId: r.resource_id, requestedBy: row.updated_by }),
            );
      }
      return {
        started,
        note: started.length === 0 ? `exemption ${row.id} (${row.kind}) affects no enforced target` : null,
      };
    }
    case 'network_rules': {
      const row = await store.networkRules.get(change.key);
      if (!row) return { started: [], note: `network rule ${change.key} was deleted: Warden no longer enforces it` };
      if (!row.enabled) return { started: [], note: `network rule ${row.id} is disabled` };
      return {
        started: [
          await startEnforceNetwork(client, { ...base, resourceId: row.resource_id, requestedBy: row.updated_by }),
        ],
        note: null,
      };
    }
    default:
      return { started: [], note: `changes to ${change.table} are not enforcement's` };
  }
}

async function sweep(store: MetadataStore, client: OrchestrationClient, note: string): Promise<ChangeHandling> {
  const r = await sweepEnforcement(store, client, store.clock.now());
  return { started: [...r.access, ...r.network], note };
}
