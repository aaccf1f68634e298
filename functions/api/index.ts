// Warden's HTTP API (and the audit-head timer): one registration file per capability.
import './metadata-http';
import './approvals-http';
import './audit-http';
import './orchestrations-http';
import './enforcement-http';
import './secrets-http';
import './models-http';
import './poison-http';
import './status-http';
import './openapi-http';
import './audit-head-timer';
