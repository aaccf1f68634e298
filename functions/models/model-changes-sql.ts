// SQL trigger on alert_rules (→ syncAlertRules) and models (→ reconcile tags and traffic with the row).
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { ValidationError } from '../../shared/domain/errors';
import { changedRowKey } from '../../shared/metadata/changed-row';
import { handleAlertRuleChange, handleModelChange } from '../../shared/orchestrations/models/model-triggers';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { modelDeps } from './model-composition';

const TABLES = { alert_rules: 'alertRulesChanged', models: 'modelsChanged' } as const;

for (const table of Object.keys(TABLES) as (keyof typeof TABLES)[])
  app.sql(TABLES[table], {
    tableName: `dbo.${table}`,
    connectionStringSetting: 'WARDEN_METADATA_DB',
    extraInputs: [df.input.durableClient()],
    handler: async (changes: unknown, context: InvocationContext) => {
      const deps = await modelDeps();
      const client = fromDurableClient(df.getClient(context));
      for (const change of Array.isArray(changes) ? (changes as unknown[]) : []) {
        const item = (change as { Item?: unknown } | null)?.Item;
        try {
          const key = changedRowKey(table, (item ?? {}) as Record<string, unknown>);
          const correlationId = `${table}-${key}-${context.invocationId}`.slice(0, 128);
          const r =
            table === 'alert_rules'
              ? { started: await handleAlertRuleChange(deps.store, client, { key, correlationId }), note: null }
              : await handleModelChange(deps.store, client, deps.registry, { key, correlationId });
          context.log(JSON.stringify({ event: 'models.metadata-change', table, key, ...r }));
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          context.warn(JSON.stringify({ event: 'models.metadata-change-invalid', table, error: e.message }));
        }
      }
    },
  });
