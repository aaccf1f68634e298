// Event Grid: ARM resource events (role assignment writes/deletes, writes on governed resources) → handleResourceEvent.
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { handleResourceEvent } from '../../shared/orchestrations/enforcement-triggers';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { enforcementDeps } from '../access/enforcement-composition';

app.eventGrid('onResourceEvent', {
  extraInputs: [df.input.durableClient()],
  handler: async (event, context) => {
    const { store } = await enforcementDeps();
    // Invalid events are recorded as poison and answered normally; only transient failures throw (redelivered).
    const r = await handleResourceEvent(store, fromDurableClient(df.getClient(context)), event);
    const id = (event as { id?: unknown }).id;
    context.log(JSON.stringify({ event: 'enforcement.resource-event', id: typeof id === 'string' ? id : null, ...r }));
  },
});
