// Model quarantine (issue 9): the orchestrations, the Monitor alert webhook, Azure ML events, the SQL triggers on
// alert_rules and models and the sweep (the HTTP routes: functions/api/models-http.ts). ARM writes on online endpoints arrive through
// functions/network/resource-events.ts (one ARM subscription), which hands them to handleEndpointWrite.
import './model-orchestrations';
import './model-changes-sql';
import './ml-events';
import './sweep-models-timer';
import './alerts-webhook';
