import { isGuid } from './arm-resource-id';

/** Built-in roles that can grant access themselves: a policy for one of them always needs an approval. */
export const PRIVILEGED_ROLES: ReadonlyMap<string, string> = new Map([
  ['owner', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'],
  ['user access administrator', '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9'],
  ['role based access control administrator', 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'],
]);

const ROLE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 ()._&-]{0,126}[A-Za-z0-9)])?$/;
const DEFINITION_ID =
  /^(?:\/subscriptions\/[0-9a-f-]{36}(?:\/resourceGroups\/[^/]+)?)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i;

/**
 * Checks a role reference: a role name (`Reader`, `AzureML Online Endpoint Scorer`), a role definition GUID, or a
 * role definition resource id. Returns undefined when valid, else the problem.
 */
export function roleReferenceProblem(role: string): string | undefined {
  if (role.startsWith('/')) {
    const m = DEFINITION_ID.exec(role);
    if (!m || !isGuid(m[1] ?? ''))
      return `'${role}' is not a role definition id (…/providers/Microsoft.Authorization/roleDefinitions/{guid})`;
    return undefined;
  }
  if (/^[0-9a-f-]{36}$/i.test(role)) return isGuid(role) ? undefined : `'${role}' is not a valid role definition GUID`;
  if (!ROLE_NAME.test(role) || role.includes('  '))
    return `'${role}' is not a role name (letters, digits, spaces, ( ) . _ & -; at most 128 characters)`;
  return undefined;
}

/** The definition GUID of a role reference, when it carries one. */
export function roleDefinitionGuid(role: string): string | undefined {
  if (isGuid(role)) return role.toLowerCase();
  const m = DEFINITION_ID.exec(role);
  return m?.[1]?.toLowerCase();
}

/** Whether a role reference names Owner, User Access Administrator or RBAC Administrator (by name or id). */
export function isPrivilegedRole(role: string): boolean {
  if (PRIVILEGED_ROLES.has(role.toLowerCase())) return true;
  const guid = roleDefinitionGuid(role);
  return guid !== undefined && [...PRIVILEGED_ROLES.values()].includes(guid);
}
