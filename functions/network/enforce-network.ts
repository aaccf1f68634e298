// enforceNetwork and its activities, registered under the catalogue's names (handlers from the composition root).
import * as df from 'durable-functions';

import { ORCHESTRATIONS } from '../../shared/orchestrations/catalog';
import { enforceNetworkOrchestrator } from '../../shared/orchestrations/network/enforce-network.orchestrator';
import { activity, NETWORK_ACTIVITY_NAMES } from '../access/enforcement-composition';
import { notifying } from '../api/api-composition';

df.app.orchestration(ORCHESTRATIONS.enforceNetwork.name, enforceNetworkOrchestrator);
for (const name of NETWORK_ACTIVITY_NAMES) df.app.activity(name, notifying({ handler: activity(name) }));
