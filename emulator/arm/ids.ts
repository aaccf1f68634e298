/**
 * ARM resource ids and scopes: parsing, canonical comparison and the scope hierarchy RBAC walks.
 *
 * @remarks
 * ARM compares ids case-insensitively (`resourcegroups` and `resourceGroups` both occur on the wire) and the SDKs
 * send scope-based paths with a leading `//` (collapsed before we see them). Everything here is pure.
 */

/** A scope or resource id broken into its parts. */
export interface ParsedId {
  /** The id as given, with repeated slashes collapsed and no trailing slash (`/` for the root scope). */
  readonly id: string;
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  /** Resource provider namespace of the last `providers/` segment, e.g. `Microsoft.Storage`. */
  readonly namespace?: string;
  /** Full resource type of the target, e.g. `Microsoft.Storage/storageAccounts` or `Microsoft.DataFactory/factories/linkedservices`. */
  readonly resourceType?: string;
  /** Names along the resource type chain (`['adf-fraud', 'ls-onprem']` for a linked service). */
  readonly names: readonly string[];
  /** The id of the top-level resource that holds the last provider segment (for nested types). */
  readonly kind: 'root' | 'tenantProvider' | 'subscription' | 'resourceGroup' | 'resource';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Collapses repeated slashes, adds the leading one and drops a trailing one (`/` stays `/`). */
export function normalizeId(id: string): string {
  let s = id.replace(/\/{2,}/g, '/');
  if (!s.startsWith('/')) s = `/${s}`;
  if (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

/** Case-insensitive key for maps and SQL lookups. */
export function idKey(id: string): string {
  return normalizeId(id).toLowerCase();
}

export function sameId(a: string, b: string): boolean {
  return idKey(a) === idKey(b);
}

/**
 * Parses a scope or resource id. Returns undefined when the shape is not an ARM id (odd segment counts after
 * `providers/{namespace}`, unknown top-level segment).
 */
export function parseId(raw: string): ParsedId | undefined {
  const id = normalizeId(raw);
  if (id === '/') return { id, names: [], kind: 'root' };
  const seg = id.slice(1).split('/');
  let i = 0;
  let subscriptionId: string | undefined;
  let resourceGroup: string | undefined;
  if (eq(seg[0], 'subscriptions')) {
    subscriptionId = seg[1];
    if (!subscriptionId) return undefined;
    i = 2;
    if (eq(seg[2], 'resourceGroups')) {
      resourceGroup = seg[3];
      if (!resourceGroup) return undefined;
      i = 4;
    }
  } else if (!eq(seg[0], 'providers')) {
    return undefined;
  }
  if (i === seg.length) {
    return {
      id,
      subscriptionId,
      resourceGroup,
      names: [],
      kind: resourceGroup ? 'resourceGroup' : 'subscription',
    };
  }
  // providers/{ns}/{type}/{name}[/{type}/{name}...] possibly repeated (extension resources: .../providers/{ns2}/...)
  let namespace: string | undefined;
  let types: string[] = [];
  let names: string[] = [];
  while (i < seg.length) {
    if (!eq(seg[i], 'providers')) return undefined;
    const ns = seg[i + 1];
    if (!ns) return undefined;
    namespace = ns;
    types = [];
    names = [];
    i += 2;
    while (i < seg.length && !eq(seg[i], 'providers')) {
      const type = seg[i];
      const name = seg[i + 1];
      if (type === undefined) return undefined;
      types.push(type);
      if (name === undefined) {
        // A collection path (`.../roleAssignments`): a type without a name.
        i += 1;
        break;
      }
      names.push(name);
      i += 2;
    }
  }
  const resourceType = namespace && types.length ? `${namespace}/${types.join('/')}` : undefined;
  return {
    id,
    subscriptionId,
    resourceGroup,
    namespace,
    resourceType,
    names,
    kind: !subscriptionId && !resourceGroup && names.length === 0 ? 'tenantProvider' : 'resource',
  };
}

/** Whether `ancestor` is `scope` itself or one of its parents (segment boundaries, case-insensitive; `/` covers all). */
export function isAtOrAbove(ancestor: string, scope: string): boolean {
  const a = idKey(ancestor);
  const s = idKey(scope);
  if (a === '/') return true;
  return s === a || s.startsWith(`${a}/`);
}

/** The scope and every parent scope up to `/`, nearest first. */
export function scopeChain(scope: string): string[] {
  const id = normalizeId(scope);
  if (id === '/') return ['/'];
  const seg = id.slice(1).split('/');
  const out: string[] = [];
  for (let n = seg.length; n > 0; n--) out.push(`/${seg.slice(0, n).join('/')}`);
  out.push('/');
  return out;
}

/** `/subscriptions/{sub}/resourceGroups/{rg}` of an id, if it has one. */
export function resourceGroupIdOf(id: string): string | undefined {
  const p = parseId(id);
  if (!p?.subscriptionId || !p.resourceGroup) return undefined;
  return `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}`;
}

/** The last name segment of an id. */
export function lastName(id: string): string {
  const seg = normalizeId(id).split('/');
  return seg[seg.length - 1] ?? '';
}

/** The trailing GUID of a role definition id in any of its forms (bare GUID, `/providers/...`, subscription-qualified). */
export function roleDefinitionGuid(id: string): string | undefined {
  const last = lastName(id.trim());
  return isGuid(last) ? last.toLowerCase() : undefined;
}

function eq(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}
