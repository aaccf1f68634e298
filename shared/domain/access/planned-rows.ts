/**
 * The fields of metadata rows the access and network planners read: structurally the validated rows of
 * `shared/domain/metadata/*.schema.ts` (a stored record is assignable to them).
 *
 * @remarks
 * Declared here rather than imported: the layering lint's `**\/metadata/**` pattern (meant for `shared/metadata`,
 * the store) also matches `shared/domain/metadata`. A test asserts the schemas' outputs stay assignable.
 */
export interface PlannedPolicy {
  readonly id: string;
  readonly principal_id: string;
  readonly principal_type: 'User' | 'Group' | 'ServicePrincipal';
  readonly role: string;
  readonly scope: string;
  readonly data_access: string | null;
  readonly expires_at: string | null;
  readonly approved_by: string | null;
  readonly enabled: boolean;
}

export interface PlannedScope {
  readonly scope: string;
  readonly mode: 'additive' | 'exclusive';
  readonly enforcement: 'enforce' | 'report-only';
  readonly allowed_roles: readonly string[];
  readonly break_glass: readonly string[];
}

export interface PlannedExemption {
  readonly id: string;
  readonly target: string;
  readonly kind: string;
  readonly reason: string;
  readonly expires_at: string;
}

export interface PlannedConsumer {
  readonly name: string;
  readonly via: 'private-endpoint' | 'integration-runtime' | 'trusted-service' | 'ip-rule';
  readonly privateEndpoint?: string | undefined;
  readonly integrationRuntime?: string | undefined;
}

export interface PlannedNetworkRule {
  readonly id: string;
  readonly resource_id: string;
  readonly public_network_access: 'Enabled' | 'Disabled' | null;
  readonly private_endpoint_required: boolean;
  readonly allowed_ip_ranges: readonly string[];
  readonly integration_runtime: string | null;
  readonly consumers: readonly PlannedConsumer[];
  readonly enabled: boolean;
}
