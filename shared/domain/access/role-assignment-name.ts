import { parse as parseUuid, v5 as uuidv5 } from 'uuid';

/**
 * Warden's fixed UUIDv5 namespace for role-assignment names. Never change it: the names of every assignment Warden
 * has made derive from it, and the planner recognises Warden's own grants by recomputing them.
 */
export const WARDEN_ROLE_ASSIGNMENT_NAMESPACE = '3b0b7c1e-5f0a-5d7e-9a44-6f1f2f4d8c21';
const NAMESPACE_BYTES = parseUuid(WARDEN_ROLE_ASSIGNMENT_NAMESPACE);
const utf8 = new TextEncoder();

/**
 * The deterministic name of the assignment of `roleDefinitionGuid` to `principalId` at `scope`: a UUIDv5 over
 * `lower(scope)|lower(principal)|lower(role GUID)` in {@link WARDEN_ROLE_ASSIGNMENT_NAMESPACE}.
 *
 * @remarks
 * A retry (activity retry, replay, duplicate orchestration) PUTs the same name, which ARM answers 200 for an
 * identical grant instead of creating a second one. The role is taken by GUID so the different id forms ARM returns
 * (`/subscriptions/…/providers/…` or `/providers/…`) name the same assignment; the scope is trimmed of a trailing `/`.
 */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionGuid: string): string {
  const key = [scope.replace(/\/+$/, '').toLowerCase(), principalId.toLowerCase(), roleDefinitionGuid.toLowerCase()];
  // UTF-8 bytes and the parsed namespace, as uuid's v5 would derive them from the strings (the planner names
  // thousands of grants per plan; uuid's own string-to-bytes conversion dominated)
  return uuidv5(utf8.encode(key.join('|')), NAMESPACE_BYTES);
}
