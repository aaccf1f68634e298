// rotateSecret and its activities, registered under the catalogue's names (handlers from the composition root).
import * as df from 'durable-functions';

import { rotateSecretOrchestrator } from '../../shared/orchestrations/secrets/rotate-secret.orchestrator';
import { ROTATION_ACTIVITIES, ROTATION_ORCHESTRATION } from '../../shared/orchestrations/secrets/rotation-catalog';
import { notifying } from '../api/api-composition';
import { rotationActivity } from './rotation-composition';

df.app.orchestration(ROTATION_ORCHESTRATION.name, rotateSecretOrchestrator);
for (const { name } of Object.values(ROTATION_ACTIVITIES))
  df.app.activity(name, notifying({ handler: rotationActivity(name) }));
