// Event Grid: ARM resource events (role assignment writes/deletes, writes on governed resources) → handleResourceEvent.
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { handleResourceEvent } from '../../shared/orchestrations/enforcement-triggers';
import { handleEndpointWrite } from '../../shared/orchestrations/models/model-triggers';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { enforcementDeps } from '../access/enforcement-composition';

app.eventGrid('onResourceEvent', {
  extraInputs: [df.input.durableClient()],
  handler: async (event, context) => {
    const { store, settings } = await enforcementDeps();
    // Invalid events are recorded as poison and answered normally; only transient failures throw (redelivered).
    const client = fromDurableClient(df.getClient(context));
    const r = await handleResourceEvent(store, client, event, { wardenPrincipalIds: settings.wardenPrincipalIds });
    const id = (event as { id?: unknown }).id;
    context.log(JSON.stringify({ event: 'enforcement.resource-event', id: typeof id === 'string' ? id : null, ...r }));
    // Model quarantine: a write on an online endpoint holding a quarantined version puts it back to 0% (issue 9).
    const m = await handleEndpointWrite(store, client, event);
    if (m.handled !== 'ignored') context.log(JSON.stringify({ event: 'models.endpoint-write', ...m }));
  },
});
