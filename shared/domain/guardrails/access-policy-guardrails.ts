import { type FieldIssue, ValidationError } from '../errors';
import { isPrivilegedRole, roleDefinitionGuid } from '../primitives/role-reference';
import type { GuardedPolicy, GuardedScope } from './guarded-rows';
import { GuardrailRefusedError } from './guardrail-refused-error';
import { governingScope } from './scope-coverage';

/** What the access-policy guardrails need to know besides the policy. */
export interface AccessGuardrailContext {
  /** Every managed scope (the governing one is found by the policy's scope; break-glass lists are global). */
  readonly managedScopes: readonly GuardedScope[];
  /** Warden's own principal ids (its managed identity; never the subject of a policy). */
  readonly wardenPrincipalIds: readonly string[];
}

/** The outcome of a policy that passed the guardrails. */
export interface AccessGuardrailVerdict {
  /** The managed scope the policy falls under. */
  readonly governingScope: string;
  /**
   * The role is privileged (Owner, User Access Administrator, RBAC Administrator): the policy is stored but the
   * reconcile grants it only once `approved_by` is set by a four-eyes approval.
   */
  readonly needsApproval: boolean;
}

const sameRole = (a: string, b: string): boolean => {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  const ga = roleDefinitionGuid(a);
  return ga !== undefined && ga === roleDefinitionGuid(b);
};

/**
 * Refuses a policy (on create, update or delete) that touches a break-glass principal or Warden's own identity.
 * Throws {@link GuardrailRefusedError} naming `principal_id`.
 */
export function assertPrincipalTouchable(principalId: string, ctx: AccessGuardrailContext): void {
  const id = principalId.toLowerCase();
  if (ctx.wardenPrincipalIds.some((w) => w.toLowerCase() === id))
    throw new GuardrailRefusedError('WARDEN_IDENTITY', "A policy may not change Warden's own identity.", [
      { path: 'principal_id', message: `${principalId} is Warden's own identity; its access is managed in infra/` },
    ]);
  const scope = ctx.managedScopes.find((m) => m.break_glass.some((b) => b.toLowerCase() === id));
  if (scope)
    throw new GuardrailRefusedError('BREAK_GLASS', 'A policy may not touch a break-glass principal.', [
      {
        path: 'principal_id',
        message: `${principalId} is a break-glass principal of ${scope.scope}; Warden never touches it`,
      },
    ]);
}

/**
 * The guardrails of DESIGN.md on one access policy write: the principal is neither break-glass nor Warden itself
 * (403), the scope is under a managed scope and the role is one of that scope's `allowed_roles` (400 naming the
 * field), and privileged roles are flagged for approval.
 */
export function checkAccessPolicy(
  policy: Pick<GuardedPolicy, 'id' | 'principal_id' | 'role' | 'scope'>,
  ctx: AccessGuardrailContext,
): AccessGuardrailVerdict {
  assertPrincipalTouchable(policy.principal_id, ctx);
  const governing = governingScope(policy.scope, ctx.managedScopes);
  const issues: FieldIssue[] = [];
  if (!governing) {
    issues.push({
      path: 'scope',
      message: `${policy.scope} is not at or below a managed scope; Warden grants access only on managed scopes`,
    });
  } else if (!governing.allowed_roles.some((r) => sameRole(r, policy.role))) {
    issues.push({
      path: 'role',
      message: `'${policy.role}' is not among the roles managed scope ${governing.scope} allows (${governing.allowed_roles.join(', ') || 'none'})`,
    });
  }
  if (issues.length > 0 || !governing) throw new ValidationError(`access policy '${policy.id}'`, issues);
  return { governingScope: governing.scope, needsApproval: isPrivilegedRole(policy.role) };
}

/** The fields whose change makes a previous approval of a policy void. */
export const GRANT_FIELDS = ['principal_id', 'principal_type', 'role', 'scope', 'data_access'] as const;

/**
 * `approved_by` is recorded by an approval decision, never by the writer: it must stay what it was, and a change to
 * what is granted clears it (the new grant needs a new approval). Returns the value to store, or throws a
 * ValidationError naming `approved_by` when the caller tried to set it.
 */
export function approvedByAfterWrite(
  requested: GuardedPolicy,
  existing: Omit<GuardedPolicy, 'id'> | undefined,
): string | null {
  const previous = existing?.approved_by ?? null;
  if (requested.approved_by !== null && requested.approved_by !== previous)
    throw new ValidationError(`access policy '${requested.id}'`, [
      {
        path: 'approved_by',
        message: 'is recorded by an approval decision (POST /api/approvals/{id}/approve), not by the writer',
      },
    ]);
  const grantChanged = existing === undefined || GRANT_FIELDS.some((f) => requested[f] !== existing[f]);
  return grantChanged ? null : previous;
}
