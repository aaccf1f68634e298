// The app's entry point (package.json "main" → dist/functions/index.js): the Functions host — and our local
// runtime — load it once at start-up. Every registration is imported here; then the settings are validated, so a
// missing or malformed setting stops start-up with a message naming it (shared/config).
//
// Health: the API's route table registers the one anonymous route, GET /api/health (functions/api/status-http.ts);
// a second registration here would collide with its function name and route.
import './api';
import './access';
import './network';
import './models';
import './secrets';
import './commands';

import { appSettings } from '../shared/config/load-settings';

appSettings();
