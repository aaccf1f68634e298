/**
 * What a resource provider module tells the generic ARM resource handler about one resource type: the api-versions
 * it serves, how PUT and PATCH change it, its read-only properties, defaults, child collections and POST actions.
 *
 * @remarks
 * One file per resource provider under `emulator/arm/providers/`. Later features (storage keys, Key Vault, Azure ML
 * models and endpoints, Monitor alert rules) add types, children and actions here without touching the router.
 */
import type { CallerIdentity, EmulatorRequest, EmulatorResponse } from '../../core/module';
import type { ResourceEnvelope } from '../store';

/** What the emulator knows when it builds or changes a resource. */
export interface ResourceContext {
  readonly subscriptionId: string;
  readonly tenantId: string;
  /** Default location (the world's). */
  readonly location: string;
  /** The emulator clock, ISO. */
  readonly now: string;
  /** A fresh GUID (random; not for anything security-relevant). */
  newId(): string;
}

/** A child collection served under a resource (`GET {id}/privateEndpointConnections`). */
export interface ChildCollection {
  /** The RBAC action for reading it, e.g. `Microsoft.Storage/storageAccounts/privateEndpointConnections/read`. */
  readAction: string;
  list(resource: ResourceEnvelope): unknown[];
}

/** A POST action on a resource (`POST {id}/listKeys`): later issues add these. */
export interface ResourceAction {
  /** The RBAC action and event operation name, e.g. `Microsoft.Storage/storageAccounts/listKeys/action`. */
  action: string;
  /** Whether ARM emits `ResourceActionSuccess` for it (list operations that only read do too, e.g. listKeys). */
  emitsEvent: boolean;
  handle(input: {
    resource: ResourceEnvelope;
    request: EmulatorRequest;
    caller: CallerIdentity;
    context: ResourceContext;
    /** Persists a changed envelope. */
    save(next: ResourceEnvelope): void;
  }): EmulatorResponse;
}

export interface ResourceTypeSpec {
  /** `Microsoft.Storage/storageAccounts` (canonical casing). */
  readonly type: string;
  /** Supported api-versions, newest first. */
  readonly apiVersions: readonly string[];
  /** Tracked resources carry `location` (required on PUT); proxy resources (linked services) do not. */
  readonly tracked: boolean;
  /**
   * PATCH semantics: `merge` (top-level `properties` keys replace, `tags`/`sku`/`identity` replace), `tags`
   * (only `tags`; anything else is refused, e.g. Databricks), `none` (no PATCH in the API, e.g. linked services).
   */
  readonly patch: 'merge' | 'tags' | 'none';
  /** Operations the emulator implements for this type; others answer 501 naming the operation. */
  readonly operations: ReadonlyArray<'read' | 'write' | 'delete'>;
  /** Read-only properties: kept from the stored resource, ignored in PUT/PATCH bodies. */
  readonly readOnlyProperties: readonly string[];
  /** Fills Azure's defaults into a stored envelope (on create, seed and after every change). */
  normalize(envelope: ResourceEnvelope, context: ResourceContext): ResourceEnvelope;
  /** Validates a PUT/PATCH body beyond the generic checks; returns an error message or undefined. */
  validate?(body: Record<string, unknown>, method: 'PUT' | 'PATCH'): string | undefined;
  /** Child collections by lower-case segment name. */
  readonly children?: Readonly<Record<string, ChildCollection>>;
  /** POST actions by lower-case segment name. */
  readonly actions?: Readonly<Record<string, ResourceAction>>;
}

// ---- helpers shared by the provider files

/** A value as text for messages and ids (JSON for non-strings). */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return `${v}`;
  return JSON.stringify(v) ?? '';
}

/** An error message when `value` is present and not one of `allowed`. */
export function notOneOf(value: unknown, field: string, allowed: readonly string[]): string | undefined {
  if (value === undefined || (typeof value === 'string' && allowed.includes(value))) return undefined;
  return `The value '${text(value)}' is not valid for ${field}. Allowed values: ${allowed.join(', ')}.`;
}

export function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function propertiesOf(envelope: ResourceEnvelope): Record<string, unknown> {
  const p = obj(envelope.properties);
  envelope.properties = p;
  return p;
}

/** Sets `key` on `target` when it is absent (undefined or null). */
export function dflt(target: Record<string, unknown>, key: string, value: unknown): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

/** `networkAcls` with Azure's defaults for the fields a caller left out. */
export function normalizeNetworkAcls(acls: unknown, withResourceAccessRules = false): Record<string, unknown> {
  const a = { ...obj(acls) };
  dflt(a, 'bypass', 'AzureServices');
  dflt(a, 'virtualNetworkRules', []);
  dflt(a, 'ipRules', []);
  dflt(a, 'defaultAction', 'Allow');
  if (withResourceAccessRules && a.resourceAccessRules === undefined) delete a.resourceAccessRules;
  return a;
}

/**
 * Private endpoint connections in their ARM shape. Accepts the full shape or the seed shorthand
 * `{ name, privateEndpoint: "<id>", status }`. `stateField` is `actionRequired` (Storage) or `actionsRequired`
 * (Key Vault, Azure ML, SQL, Network).
 */
export function normalizePrivateEndpointConnections(
  list: unknown,
  resourceId: string,
  connectionType: string,
  stateField: 'actionRequired' | 'actionsRequired',
  provisioningState = 'Succeeded',
): Record<string, unknown>[] {
  if (!Array.isArray(list)) return [];
  return list.map((raw, i) => {
    const c = obj(raw);
    const props = obj(c.properties);
    const name = text(c.name ?? (typeof c.id === 'string' ? c.id.split('/').pop() : `connection-${i}`));
    const peRaw = c.privateEndpoint ?? props.privateEndpoint;
    const privateEndpoint = typeof peRaw === 'string' ? { id: peRaw } : obj(peRaw);
    const stateRaw = obj(props.privateLinkServiceConnectionState);
    const status = text(c.status ?? stateRaw.status ?? 'Approved');
    const state: Record<string, unknown> = {
      status,
      description: stateRaw.description ?? (status === 'Approved' ? 'Auto-Approved' : ''),
      [stateField]: stateRaw[stateField] ?? 'None',
    };
    return {
      id: `${resourceId}/privateEndpointConnections/${name}`,
      name,
      type: connectionType,
      properties: {
        ...props,
        privateEndpoint,
        privateLinkServiceConnectionState: state,
        provisioningState: props.provisioningState ?? provisioningState,
      },
    };
  });
}
