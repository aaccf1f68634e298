// Every minute: quarantine re-checks that are due, alert rules not yet in Monitor, approved model decisions not yet
// applied.
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { sweepModels } from '../../shared/orchestrations/models/model-triggers';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { modelDeps } from './model-composition';

app.timer('sweepModels', {
  schedule: '30 * * * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => {
    const { store, clock } = await modelDeps();
    const r = await sweepModels(store, fromDurableClient(df.getClient(context)), clock.now());
    context.log(
      JSON.stringify({
        event: 'models.sweep',
        rechecks: r.rechecks.length,
        approvals: r.approvals.length,
        syncs: r.syncs.length,
      }),
    );
  },
});
