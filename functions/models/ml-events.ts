// Event Grid: Azure ML workspace events (RunStatusChanged with the model-monitor tag, legacy DatasetDriftDetected).
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { handleMlEvent } from '../../shared/orchestrations/models/model-triggers';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { modelDeps } from './model-composition';

app.eventGrid('onMachineLearningEvent', {
  extraInputs: [df.input.durableClient()],
  handler: async (event, context) => {
    const { store } = await modelDeps();
    const r = await handleMlEvent(store, fromDurableClient(df.getClient(context)), event);
    const id = (event as { id?: unknown }).id;
    context.log(JSON.stringify({ event: 'models.ml-event', id: typeof id === 'string' ? id : null, ...r }));
  },
});
