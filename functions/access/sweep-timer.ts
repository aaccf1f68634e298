// Every minute: every managed scope and governed resource (expiries, lapsed exemptions, lost events).
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { sweepEnforcement } from '../../shared/orchestrations/enforcement-triggers';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { enforcementDeps } from './enforcement-composition';

app.timer('sweepEnforcement', {
  schedule: '0 * * * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => {
    const { store, clock } = await enforcementDeps();
    const r = await sweepEnforcement(store, fromDurableClient(df.getClient(context)), clock.now());
    context.log(JSON.stringify({ event: 'enforcement.sweep', access: r.access.length, network: r.network.length }));
  },
});
