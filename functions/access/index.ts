// Access enforcement: reconcileAccess (+ the shared remediation activities), the SQL trigger on the metadata
// tables and the sweep (the HTTP routes are functions/api/enforcement-http.ts).
import './reconcile-access';
import './metadata-change-sql';
import './sweep-timer';
