/**
 * The fields of metadata rows the guardrails read (structurally the validated rows of
 * `shared/domain/metadata/*.schema.ts`).
 *
 * @remarks
 * Declared here rather than imported: the layering lint's `**\/metadata/**` pattern (meant for `shared/metadata`,
 * the store) also matches `shared/domain/metadata`.
 */
export interface GuardedPolicy {
  readonly id: string;
  readonly principal_id: string;
  readonly principal_type: string;
  readonly role: string;
  readonly scope: string;
  readonly data_access: string | null;
  readonly approved_by: string | null;
}

export interface GuardedScope {
  readonly scope: string;
  readonly allowed_roles: readonly string[];
  readonly break_glass: readonly string[];
}
