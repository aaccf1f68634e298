// Secret rotation: rotateSecret and its activities, the sweep (due rotations and notices) and Key Vault events
// (POST /api/secrets/{id}/rotate is registered with the API: functions/api/secrets-http.ts).
import './rotate-secret';
import './sweep-timer';
import './key-vault-events';
