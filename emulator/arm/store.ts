/**
 * The ARM module's state in the emulator's SQLite database: role definitions, role assignments, PIM activations,
 * resource groups, resources (as ARM envelopes), module settings and pending long-running operations.
 *
 * @remarks
 * Ids are stored as given (canonical casing for responses) plus a lower-case key for lookups, because ARM compares
 * ids case-insensitively.
 */
import type { DatabaseSync } from 'node:sqlite';

import { idKey, normalizeId } from './ids';
import type { Permission } from './rbac';

export interface StoredRoleDefinition {
  /** GUID, lower-case. */
  name: string;
  roleName: string;
  roleType: 'BuiltInRole' | 'CustomRole';
  description: string;
  assignableScopes: string[];
  permissions: Permission[];
  createdOn: string;
  updatedOn: string;
}

export interface StoredRoleAssignment {
  name: string;
  scope: string;
  /** As the creator sent it (any form); compared by GUID. */
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  description: string | null;
  condition: string | null;
  conditionVersion: string | null;
  delegatedManagedIdentityResourceId: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  updatedBy: string | null;
}

/** A PIM activation: an active assignment that came from an eligibility and ends at `endDateTime`. */
export interface StoredActivation {
  /** The instance name (GUID). */
  name: string;
  /** Name and scope of the role assignment the activation created. */
  roleAssignmentName: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  startDateTime: string;
  endDateTime: string | null;
  justification: string | null;
  linkedRoleEligibilityScheduleId: string;
  createdOn: string;
}

export interface StoredResourceGroup {
  subscriptionId: string;
  name: string;
  location: string;
  tags: Record<string, string>;
}

/** A resource as its ARM envelope: `id`, `name`, `type`, `location`, `tags`, `sku`, `kind`, `properties`, ... */
export type ResourceEnvelope = Record<string, unknown> & { id: string; name: string; type: string };

export interface StoredOperation {
  id: string;
  resourceId: string;
  status: string;
  polls: number;
  pollsToComplete: number;
  createdAt: string;
}

type Row = Record<string, unknown>;

export class ArmStore {
  constructor(private readonly db: DatabaseSync) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS arm_role_definitions (
        name TEXT PRIMARY KEY, role_name TEXT NOT NULL, role_type TEXT NOT NULL, description TEXT NOT NULL,
        assignable_scopes TEXT NOT NULL, permissions TEXT NOT NULL, created_on TEXT NOT NULL, updated_on TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS arm_role_assignments (
        key TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, scope_key TEXT NOT NULL,
        role_definition_id TEXT NOT NULL, role_definition_guid TEXT NOT NULL, principal_id TEXT NOT NULL,
        principal_type TEXT NOT NULL, description TEXT, condition TEXT, condition_version TEXT,
        delegated_mi TEXT, created_on TEXT NOT NULL, updated_on TEXT NOT NULL, created_by TEXT, updated_by TEXT,
        seq INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS arm_role_assignments_principal ON arm_role_assignments (principal_id);
      CREATE TABLE IF NOT EXISTS arm_pim_activations (
        name TEXT PRIMARY KEY, role_assignment_name TEXT NOT NULL, scope TEXT NOT NULL, role_definition_id TEXT NOT NULL,
        principal_id TEXT NOT NULL, principal_type TEXT NOT NULL, start_date_time TEXT NOT NULL, end_date_time TEXT,
        justification TEXT, linked_eligibility TEXT NOT NULL, created_on TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS arm_resource_groups (
        key TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, name TEXT NOT NULL, location TEXT NOT NULL, tags TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS arm_resources (
        key TEXT PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, envelope TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS arm_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS arm_operations (
        id TEXT PRIMARY KEY, resource_id TEXT NOT NULL, status TEXT NOT NULL, polls INTEGER NOT NULL,
        polls_to_complete INTEGER NOT NULL, created_at TEXT NOT NULL);
    `);
  }

  // ---- role definitions

  upsertRoleDefinition(d: StoredRoleDefinition): void {
    this.db
      .prepare(
        `INSERT INTO arm_role_definitions (name, role_name, role_type, description, assignable_scopes, permissions, created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET role_name=excluded.role_name, role_type=excluded.role_type,
           description=excluded.description, assignable_scopes=excluded.assignable_scopes,
           permissions=excluded.permissions, updated_on=excluded.updated_on`,
      )
      .run(
        d.name.toLowerCase(),
        d.roleName,
        d.roleType,
        d.description,
        JSON.stringify(d.assignableScopes),
        JSON.stringify(d.permissions),
        d.createdOn,
        d.updatedOn,
      );
  }

  getRoleDefinition(guid: string): StoredRoleDefinition | undefined {
    const row = this.db.prepare('SELECT * FROM arm_role_definitions WHERE name = ?').get(guid.toLowerCase());
    return row ? toDefinition(row) : undefined;
  }

  listRoleDefinitions(): StoredRoleDefinition[] {
    return this.db.prepare('SELECT * FROM arm_role_definitions ORDER BY role_name').all().map(toDefinition);
  }

  findRoleDefinitionByName(roleName: string): StoredRoleDefinition | undefined {
    const row = this.db
      .prepare('SELECT * FROM arm_role_definitions WHERE lower(role_name) = ? ORDER BY role_type LIMIT 1')
      .get(roleName.toLowerCase());
    return row ? toDefinition(row) : undefined;
  }

  // ---- role assignments

  getRoleAssignment(scope: string, name: string): StoredRoleAssignment | undefined {
    const row = this.db.prepare('SELECT * FROM arm_role_assignments WHERE key = ?').get(assignmentKey(scope, name));
    return row ? toAssignment(row) : undefined;
  }

  /** An assignment by name anywhere in the tenant (names are GUIDs, unique across scopes). */
  findRoleAssignmentByName(name: string): StoredRoleAssignment | undefined {
    const row = this.db.prepare('SELECT * FROM arm_role_assignments WHERE lower(name) = ?').get(name.toLowerCase());
    return row ? toAssignment(row) : undefined;
  }

  putRoleAssignment(a: StoredRoleAssignment, guid: string): void {
    const key = assignmentKey(a.scope, a.name);
    const seq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM arm_role_assignments').get() as Row).n;
    this.db
      .prepare(
        `INSERT INTO arm_role_assignments (key, name, scope, scope_key, role_definition_id, role_definition_guid,
           principal_id, principal_type, description, condition, condition_version, delegated_mi, created_on, updated_on,
           created_by, updated_by, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET role_definition_id=excluded.role_definition_id,
           principal_type=excluded.principal_type, description=excluded.description, condition=excluded.condition,
           condition_version=excluded.condition_version, delegated_mi=excluded.delegated_mi,
           updated_on=excluded.updated_on, updated_by=excluded.updated_by`,
      )
      .run(
        key,
        a.name,
        normalizeId(a.scope),
        idKey(a.scope),
        a.roleDefinitionId,
        guid.toLowerCase(),
        a.principalId.toLowerCase(),
        a.principalType,
        a.description,
        a.condition,
        a.conditionVersion,
        a.delegatedManagedIdentityResourceId,
        a.createdOn,
        a.updatedOn,
        a.createdBy,
        a.updatedBy,
        seq as number,
      );
  }

  deleteRoleAssignment(scope: string, name: string): boolean {
    const r = this.db.prepare('DELETE FROM arm_role_assignments WHERE key = ?').run(assignmentKey(scope, name));
    return Number(r.changes) > 0;
  }

  listRoleAssignments(): StoredRoleAssignment[] {
    return this.db.prepare('SELECT * FROM arm_role_assignments ORDER BY seq').all().map(toAssignment);
  }

  listRoleAssignmentsForPrincipals(principalIds: readonly string[]): StoredRoleAssignment[] {
    if (principalIds.length === 0) return [];
    const marks = principalIds.map(() => '?').join(',');
    return this.db
      .prepare(`SELECT * FROM arm_role_assignments WHERE principal_id IN (${marks}) ORDER BY seq`)
      .all(...principalIds.map((p) => p.toLowerCase()))
      .map(toAssignment);
  }

  /** Same principal + role + scope under any name. */
  findDuplicateAssignment(scope: string, principalId: string, guid: string): StoredRoleAssignment | undefined {
    const row = this.db
      .prepare(
        'SELECT * FROM arm_role_assignments WHERE scope_key = ? AND principal_id = ? AND role_definition_guid = ?',
      )
      .get(idKey(scope), principalId.toLowerCase(), guid.toLowerCase());
    return row ? toAssignment(row) : undefined;
  }

  // ---- PIM activations

  putActivation(a: StoredActivation): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO arm_pim_activations (name, role_assignment_name, scope, role_definition_id, principal_id,
           principal_type, start_date_time, end_date_time, justification, linked_eligibility, created_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        a.name,
        a.roleAssignmentName.toLowerCase(),
        normalizeId(a.scope),
        a.roleDefinitionId,
        a.principalId.toLowerCase(),
        a.principalType,
        a.startDateTime,
        a.endDateTime,
        a.justification,
        a.linkedRoleEligibilityScheduleId,
        a.createdOn,
      );
  }

  listActivations(): StoredActivation[] {
    return this.db.prepare('SELECT * FROM arm_pim_activations').all().map(toActivation);
  }

  activationForAssignment(roleAssignmentName: string): StoredActivation | undefined {
    const row = this.db
      .prepare('SELECT * FROM arm_pim_activations WHERE role_assignment_name = ?')
      .get(roleAssignmentName.toLowerCase());
    return row ? toActivation(row) : undefined;
  }

  deleteActivation(name: string): void {
    this.db.prepare('DELETE FROM arm_pim_activations WHERE name = ?').run(name);
  }

  // ---- resource groups

  putResourceGroup(g: StoredResourceGroup): void {
    this.db
      .prepare(
        `INSERT INTO arm_resource_groups (key, subscription_id, name, location, tags) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET location=excluded.location, tags=excluded.tags`,
      )
      .run(rgKey(g.subscriptionId, g.name), g.subscriptionId, g.name, g.location, JSON.stringify(g.tags));
  }

  getResourceGroup(subscriptionId: string, name: string): StoredResourceGroup | undefined {
    const row = this.db.prepare('SELECT * FROM arm_resource_groups WHERE key = ?').get(rgKey(subscriptionId, name));
    if (!row) return undefined;
    return {
      subscriptionId: String(row.subscription_id),
      name: String(row.name),
      location: String(row.location),
      tags: JSON.parse(String(row.tags)) as Record<string, string>,
    };
  }

  // ---- resources

  getResource(id: string): ResourceEnvelope | undefined {
    const row = this.db.prepare('SELECT envelope FROM arm_resources WHERE key = ?').get(idKey(id));
    return row ? (JSON.parse(String(row.envelope)) as ResourceEnvelope) : undefined;
  }

  putResource(envelope: ResourceEnvelope, now: string): void {
    this.db
      .prepare(
        `INSERT INTO arm_resources (key, id, type, envelope, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET envelope=excluded.envelope, updated_at=excluded.updated_at`,
      )
      .run(idKey(envelope.id), normalizeId(envelope.id), envelope.type, JSON.stringify(envelope), now, now);
  }

  deleteResource(id: string): boolean {
    const key = idKey(id);
    const r = this.db.prepare('DELETE FROM arm_resources WHERE key = ? OR key LIKE ?').run(key, `${key}/%`);
    return Number(r.changes) > 0;
  }

  listResources(): ResourceEnvelope[] {
    return this.db
      .prepare('SELECT envelope FROM arm_resources ORDER BY key')
      .all()
      .map((r) => JSON.parse(String(r.envelope)) as ResourceEnvelope);
  }

  // ---- settings

  getSetting(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM arm_settings WHERE key = ?').get(key);
    return row ? String(row.value) : undefined;
  }

  setSetting(key: string, value: string | undefined): void {
    if (value === undefined) this.db.prepare('DELETE FROM arm_settings WHERE key = ?').run(key);
    else this.db.prepare('INSERT OR REPLACE INTO arm_settings (key, value) VALUES (?, ?)').run(key, value);
  }

  // ---- long-running operations

  putOperation(op: StoredOperation): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO arm_operations (id, resource_id, status, polls, polls_to_complete, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(op.id, op.resourceId, op.status, op.polls, op.pollsToComplete, op.createdAt);
  }

  getOperation(id: string): StoredOperation | undefined {
    const row = this.db.prepare('SELECT * FROM arm_operations WHERE id = ?').get(id.toLowerCase());
    if (!row) return undefined;
    return {
      id: String(row.id),
      resourceId: String(row.resource_id),
      status: String(row.status),
      polls: Number(row.polls),
      pollsToComplete: Number(row.polls_to_complete),
      createdAt: String(row.created_at),
    };
  }
}

function assignmentKey(scope: string, name: string): string {
  return `${idKey(scope)}|${name.toLowerCase()}`;
}

function rgKey(subscriptionId: string, name: string): string {
  return `${subscriptionId.toLowerCase()}|${name.toLowerCase()}`;
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : (v as string);
}

function toDefinition(row: Row): StoredRoleDefinition {
  return {
    name: String(row.name),
    roleName: String(row.role_name),
    roleType: String(row.role_type) as StoredRoleDefinition['roleType'],
    description: String(row.description),
    assignableScopes: JSON.parse(String(row.assignable_scopes)) as string[],
    permissions: JSON.parse(String(row.permissions)) as Permission[],
    createdOn: String(row.created_on),
    updatedOn: String(row.updated_on),
  };
}

function toAssignment(row: Row): StoredRoleAssignment {
  return {
    name: String(row.name),
    scope: String(row.scope),
    roleDefinitionId: String(row.role_definition_id),
    principalId: String(row.principal_id),
    principalType: String(row.principal_type),
    description: str(row.description),
    condition: str(row.condition),
    conditionVersion: str(row.condition_version),
    delegatedManagedIdentityResourceId: str(row.delegated_mi),
    createdOn: String(row.created_on),
    updatedOn: String(row.updated_on),
    createdBy: str(row.created_by),
    updatedBy: str(row.updated_by),
  };
}

function toActivation(row: Row): StoredActivation {
  return {
    name: String(row.name),
    roleAssignmentName: String(row.role_assignment_name),
    scope: String(row.scope),
    roleDefinitionId: String(row.role_definition_id),
    principalId: String(row.principal_id),
    principalType: String(row.principal_type),
    startDateTime: String(row.start_date_time),
    endDateTime: str(row.end_date_time),
    justification: str(row.justification),
    linkedRoleEligibilityScheduleId: String(row.linked_eligibility),
    createdOn: String(row.created_on),
  };
}
