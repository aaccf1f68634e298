/**
 * Routes an ARM resource event (Event Grid, `Microsoft.Resources.*`) to the enforcement it hints at: reconcile a
 * managed scope, enforce a governed resource's network rule, or dismiss it cheaply, saying why. Pure: the caller
 * passes the managed scopes and governed resource ids. Events are hints (CONVENTIONS 10): only identifiers are read
 * (`data.resourceUri`, else `subject`, `data.operationName`, and the caller's object id in `data.claims`); the run
 * re-reads everything.
 *
 * Warden's own role assignment deletes (the caller's `oid` claim is one of `wardenPrincipalIds`) at a managed scope
 * are dismissed: the run that deleted the assignment verifies its own result by re-reading (`verifyAccess`), and a
 * model access cut records what it removed and holds it against reconcileAccess — a rerun for such an event could only
 * re-plan what its writer already checked (under load one rerun per burst of Warden's own deletes). Out-of-band
 * changes made meanwhile have their own events, and the sweep re-reads every scope regardless. Warden's own writes
 * (creates, restores) still reconcile.
 */
import { isWithinScope } from '../guardrails/scope-coverage';
import { parseArmResourceId } from '../primitives/arm-resource-id';

export type ResourceEventRoute =
  | { readonly action: 'reconcileAccess'; readonly scope: string; readonly reason: string }
  | { readonly action: 'enforceNetwork'; readonly resourceId: string; readonly reason: string }
  | { readonly action: 'dismiss'; readonly reason: string }
  /** The event can never be acted on (malformed): record it with the reason, never retry it. */
  | { readonly action: 'invalid'; readonly reason: string };

const HANDLED = new Set(['microsoft.resources.resourcewritesuccess', 'microsoft.resources.resourcedeletesuccess']);
const ROLE_ASSIGNMENTS = '/providers/microsoft.authorization/roleassignments/';
/** The caller's object id in ARM's flattened claims: the URI name (always sent) or the short one. */
const OID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function routeResourceEvent(
  event: unknown,
  known: {
    readonly managedScopes: readonly string[];
    readonly governedResources: readonly string[];
    /** Warden's own principal ids (its managed identity): role assignment deletes they made are not rerun. */
    readonly wardenPrincipalIds?: readonly string[];
  },
): ResourceEventRoute {
  if (typeof event !== 'object' || event === null) return { action: 'invalid', reason: 'the event is not an object' };
  const e = event as Record<string, unknown>;
  const type = str(e.eventType);
  if (!type) return { action: 'invalid', reason: 'the event has no eventType' };
  if (!HANDLED.has(type.toLowerCase()))
    return { action: 'dismiss', reason: `event type ${type} is not one enforcement acts on` };
  const data = typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : {};
  const uri = str(data.resourceUri) ?? str(e.subject);
  if (!uri) return { action: 'invalid', reason: 'the event names no resource (no data.resourceUri, no subject)' };
  const parsed = parseArmResourceId(uri);
  if (typeof parsed === 'string')
    return { action: 'invalid', reason: `the event's resource '${uri.slice(0, 200)}' is not an ARM id: it ${parsed}` };

  const lower = uri.toLowerCase();
  const at = lower.lastIndexOf(ROLE_ASSIGNMENTS);
  const operation = str(data.operationName)?.toLowerCase() ?? '';
  if (at >= 0 || operation.startsWith('microsoft.authorization/roleassignments/')) {
    const scope = at > 0 ? uri.slice(0, at) : at === 0 ? '/' : uri;
    const managed = [...known.managedScopes]
      .filter((m) => isWithinScope(scope, m))
      .sort((a, b) => b.length - a.length)[0];
    if (managed) {
      const own = type.toLowerCase() === 'microsoft.resources.resourcedeletesuccess' ? wardenCaller(data, known) : null;
      if (own)
        return {
          action: 'dismiss',
          reason:
            `role assignment deleted at ${scope} by Warden's own identity (${own}): the run that deleted it verifies ` +
            `its result by re-reading (a model access cut holds what it removed); the sweep re-reads ${managed}`,
        };
      return { action: 'reconcileAccess', scope: managed, reason: `role assignment change at ${scope}` };
    }
    const below = known.managedScopes.filter((m) => isWithinScope(m, scope));
    if (below.length > 0)
      return {
        action: 'dismiss',
        reason: `role assignment change at ${scope}, above managed scope(s): inherited there, reported by the sweep, never changed from below`,
      };
    return { action: 'dismiss', reason: `role assignment change at ${scope}, outside every managed scope` };
  }
  const governed = known.governedResources.find((r) => isWithinScope(uri, r));
  if (governed)
    return { action: 'enforceNetwork', resourceId: governed, reason: `${type.split('.').pop() ?? type} on ${uri}` };
  return { action: 'dismiss', reason: `${uri} is not a governed resource` };
}

/** The caller's object id when it is one of Warden's own principals (`null` otherwise or when the event has none). */
function wardenCaller(
  data: Record<string, unknown>,
  known: { readonly wardenPrincipalIds?: readonly string[] },
): string | null {
  const ids = known.wardenPrincipalIds ?? [];
  if (ids.length === 0) return null;
  const claims =
    typeof data.claims === 'object' && data.claims !== null ? (data.claims as Record<string, unknown>) : {};
  for (const name of OID_CLAIMS) {
    const oid = str(claims[name])?.toLowerCase();
    if (oid && ids.some((w) => w.toLowerCase() === oid)) return oid;
  }
  return null;
}
