// reconcileAccess and its activities, registered under the catalogue's names (handlers from the composition root).
import * as df from 'durable-functions';

import { reconcileAccessOrchestrator } from '../../shared/orchestrations/access/reconcile-access.orchestrator';
import { ORCHESTRATIONS } from '../../shared/orchestrations/catalog';
import { notifying } from '../api/api-composition';
import { ACCESS_ACTIVITY_NAMES, activity, REMEDIATION_ACTIVITY_NAMES } from './enforcement-composition';

df.app.orchestration(ORCHESTRATIONS.reconcileAccess.name, reconcileAccessOrchestrator);
// The shared remediation activities (audit, approval, notify) serve both orchestrations; registered once, here.
for (const name of [...ACCESS_ACTIVITY_NAMES, ...REMEDIATION_ACTIVITY_NAMES])
  df.app.activity(name, notifying({ handler: activity(name) }));
