/** Warden's app roles (Entra app roles on the Warden API registration). */
export const WARDEN_ROLES = ['Warden.Reader', 'Warden.Operator', 'Warden.PolicyAdmin', 'Warden.Auditor'] as const;
export type WardenRole = (typeof WARDEN_ROLES)[number];

/** The Azure Monitor action-group first-party application that calls secure webhooks. */
export const ACTION_GROUP_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';
/** The app role the action-group application must hold on Warden's API to deliver alerts. */
export const ACTION_GROUP_WEBHOOK_ROLE = 'ActionGroupsSecureWebhook';

/**
 * Who is calling, from a validated Entra ID token.
 *
 * @remarks
 * `actor` is what Warden records everywhere (audit, `updated_by`, approvals): the object id with the user's name,
 * or with the application id for app-only tokens (which carry no name).
 */
export interface Principal {
  readonly objectId: string;
  readonly tenantId: string;
  readonly kind: 'user' | 'application';
  readonly name?: string;
  readonly appId?: string;
  readonly roles: readonly string[];
  readonly actor: string;
}

export function toActor(p: Pick<Principal, 'objectId' | 'kind' | 'name' | 'appId'>): string {
  if (p.kind === 'user' && p.name) return `${p.objectId} (${p.name})`;
  if (p.appId) return `${p.objectId} (app ${p.appId})`;
  return p.objectId;
}

export function hasRole(principal: Principal, role: string): boolean {
  return principal.roles.includes(role);
}
