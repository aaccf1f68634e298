// SQL trigger on the metadata tables enforcement reads: each changed row (its key) → handleMetadataChange.
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { ValidationError } from '../../shared/domain/errors';
import { changedRowKey } from '../../shared/metadata/changed-row';
import { ENFORCEMENT_TABLES, handleMetadataChange } from '../../shared/orchestrations/metadata-change-trigger';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { enforcementDeps } from './enforcement-composition';

const FUNCTION_NAMES: Record<(typeof ENFORCEMENT_TABLES)[number], string> = {
  access_policies: 'accessPoliciesChanged',
  managed_scopes: 'managedScopesChanged',
  exemptions: 'exemptionsChanged',
  network_rules: 'networkRulesChanged',
};

for (const table of ENFORCEMENT_TABLES)
  app.sql(FUNCTION_NAMES[table], {
    tableName: `dbo.${table}`,
    connectionStringSetting: 'WARDEN_METADATA_DB',
    extraInputs: [df.input.durableClient()],
    handler: async (changes: unknown, context: InvocationContext) => {
      const { store } = await enforcementDeps();
      const client = fromDurableClient(df.getClient(context));
      for (const change of Array.isArray(changes) ? (changes as unknown[]) : []) {
        const item = (change as { Item?: unknown } | null)?.Item;
        try {
          const key = changedRowKey(table, (item ?? {}) as Record<string, unknown>);
          const r = await handleMetadataChange(store, client, {
            table,
            key,
            correlationId: `${table}-${key}-${context.invocationId}`.slice(0, 128),
          });
          context.log(
            JSON.stringify({ event: 'enforcement.metadata-change', table, key, started: r.started, note: r.note }),
          );
        } catch (e) {
          // A change that can never succeed (no key, a row the store cannot read) is logged and skipped: retrying
          // it would block the batch; transient failures go back to the trigger, which redelivers.
          if (!(e instanceof ValidationError)) throw e;
          context.warn(JSON.stringify({ event: 'enforcement.metadata-change-invalid', table, error: e.message }));
        }
      }
    },
  });
