/** A parsed Azure Resource Manager id (subscription, resource group, management group or resource). */
export interface ArmResourceId {
  readonly id: string;
  readonly subscriptionId: string | undefined;
  readonly resourceGroup: string | undefined;
  readonly managementGroup: string | undefined;
  /** Full resource type, e.g. `Microsoft.Storage/storageAccounts` (undefined for scopes above resources). */
  readonly resourceType: string | undefined;
  /** The last name segment, e.g. the storage account's name. */
  readonly name: string | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[-\w.()]{1,90}$/u;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;
const TYPE = /^[A-Za-z][A-Za-z0-9]*$/;
const NAME = /^[^/?#\s%]{1,260}$/;

/**
 * Parses an ARM id, or returns the reason it is not one. Accepted: `/subscriptions/{guid}`, `…/resourceGroups/{rg}`,
 * `…/providers/{Namespace}/{type}/{name}[/{childType}/{childName}]…`, and
 * `/providers/Microsoft.Management/managementGroups/{name}`. Keywords are case-insensitive, as ARM treats them.
 */
export function parseArmResourceId(id: string): ArmResourceId | string {
  if (id.length === 0) return 'is empty';
  if (id.length > 1024) return 'is longer than 1024 characters';
  if (!id.startsWith('/')) return "must start with '/' (e.g. /subscriptions/{id}/resourceGroups/{name})";
  if (id.endsWith('/')) return "must not end with '/'";
  const parts = id.slice(1).split('/');
  if (parts.some((p) => p.length === 0)) return 'has an empty segment';
  let i: number;
  let subscriptionId: string | undefined;
  let resourceGroup: string | undefined;
  let managementGroup: string | undefined;
  const at = (k: number): string => parts[k] ?? '';
  if (at(0).toLowerCase() === 'subscriptions') {
    if (!GUID.test(at(1))) return `has subscription '${at(1)}', which is not a GUID`;
    subscriptionId = at(1).toLowerCase();
    i = 2;
    if (at(i).toLowerCase() === 'resourcegroups') {
      if (!RESOURCE_GROUP.test(at(i + 1)) || at(i + 1).endsWith('.'))
        return `has resource group '${at(i + 1)}', which is not a valid name`;
      resourceGroup = at(i + 1);
      i += 2;
    }
  } else if (at(0).toLowerCase() === 'providers' && at(1).toLowerCase() === 'microsoft.management') {
    if (at(2).toLowerCase() !== 'managementgroups' || !NAME.test(at(3)) || parts.length !== 4)
      return 'is not a management group id (/providers/Microsoft.Management/managementGroups/{name})';
    managementGroup = at(3);
    return { id, subscriptionId, resourceGroup, managementGroup, resourceType: undefined, name: managementGroup };
  } else {
    return "must start with '/subscriptions/{id}' or '/providers/Microsoft.Management/managementGroups/'";
  }
  if (i === parts.length) {
    return { id, subscriptionId, resourceGroup, managementGroup, resourceType: undefined, name: undefined };
  }
  if (at(i).toLowerCase() !== 'providers') return `has unexpected segment '${at(i)}' where 'providers' belongs`;
  const namespace = at(i + 1);
  if (!NAMESPACE.test(namespace))
    return `has provider namespace '${namespace}', which is not valid (e.g. Microsoft.Storage)`;
  const rest = parts.slice(i + 2);
  if (rest.length === 0 || rest.length % 2 !== 0)
    return `names a resource of provider ${namespace} without matching type/name pairs`;
  const types: string[] = [];
  let name: string | undefined;
  for (let k = 0; k < rest.length; k += 2) {
    const type = rest[k] ?? '';
    const n = rest[k + 1] ?? '';
    if (!TYPE.test(type)) return `has resource type segment '${type}', which is not valid`;
    if (!NAME.test(n)) return `has resource name '${n}', which is not valid`;
    types.push(type);
    name = n;
  }
  return { id, subscriptionId, resourceGroup, managementGroup, resourceType: `${namespace}/${types.join('/')}`, name };
}

/** Whether `id` is an ARM id of the given resource type (compared case-insensitively, as ARM does). */
export function isArmResourceOfType(id: string, resourceType: string): boolean {
  const parsed = parseArmResourceId(id);
  return typeof parsed !== 'string' && parsed.resourceType?.toLowerCase() === resourceType.toLowerCase();
}

/** The GUID pattern used for Entra object ids, tenant ids, subscription ids. */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}
