// Every minute: rotations whose next_rotation_at has come, and notices whose next_notice_at has come.
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { sweepSecrets } from '../../shared/orchestrations/secrets/secret-triggers';
import { notifying } from '../api/api-composition';
import { rotationDeps } from './rotation-composition';

app.timer(
  'sweepSecrets',
  notifying({
    schedule: '0 * * * * *',
    extraInputs: [df.input.durableClient()],
    handler: async (_timer, context) => {
      const deps = await rotationDeps();
      const r = await sweepSecrets(
        { store: deps.store, notifier: deps.notifier, failedRetryMs: deps.settings.failedRetryMs },
        fromDurableClient(df.getClient(context)),
        deps.clock.now(),
      );
      context.log(
        JSON.stringify({
          event: 'secrets.sweep',
          started: r.started.length,
          notices: r.notices.length,
          skipped: r.skipped.length,
        }),
      );
    },
  }),
);
