// quarantineModel, releaseModel, retireModel, syncAlertRules and their activities, under the catalogue's names.
import * as df from 'durable-functions';

import { MODEL_ORCHESTRATIONS } from '../../shared/orchestrations/models/model-catalog';
import {
  quarantineModelOrchestrator,
  releaseModelOrchestrator,
  retireModelOrchestrator,
  syncAlertRulesOrchestrator,
} from '../../shared/orchestrations/models/model-flows.orchestrator';
import { notifying } from '../api/api-composition';
import { MODEL_ACTIVITY_NAMES, modelActivity } from './model-composition';

df.app.orchestration(MODEL_ORCHESTRATIONS.quarantineModel.name, quarantineModelOrchestrator);
df.app.orchestration(MODEL_ORCHESTRATIONS.releaseModel.name, releaseModelOrchestrator);
df.app.orchestration(MODEL_ORCHESTRATIONS.retireModel.name, retireModelOrchestrator);
df.app.orchestration(MODEL_ORCHESTRATIONS.syncAlertRules.name, syncAlertRulesOrchestrator);
for (const name of MODEL_ACTIVITY_NAMES) df.app.activity(name, notifying({ handler: modelActivity(name) }));
