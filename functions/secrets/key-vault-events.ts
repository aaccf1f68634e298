// Event Grid: Key Vault secret events (near expiry, expired, new version) → handleKeyVaultEvent.
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { handleKeyVaultEvent } from '../../shared/orchestrations/secrets/secret-triggers';
import { notifying } from '../api/api-composition';
import { rotationDeps } from './rotation-composition';

app.eventGrid(
  'onKeyVaultEvent',
  notifying({
    extraInputs: [df.input.durableClient()],
    handler: async (event, context) => {
      const deps = await rotationDeps();
      // Malformed events are recorded as poison and answered normally; only transient failures throw (redelivered).
      const r = await handleKeyVaultEvent(deps, fromDurableClient(df.getClient(context)), event);
      const id = (event as { id?: unknown }).id;
      context.log(JSON.stringify({ event: 'secrets.key-vault-event', id: typeof id === 'string' ? id : null, ...r }));
    },
  }),
);
