import { z } from 'zod';

import type { MetadataTableName } from '../../domain/metadata/metadata-tables';
import { shown } from '../../domain/primitives/fields';

/** The metadata tables the API exposes as CRUD resources (approvals have their own routes). */
export const API_TABLES = [
  'access_policies',
  'managed_scopes',
  'secret_references',
  'network_rules',
  'alert_rules',
  'models',
  'exemptions',
] as const satisfies readonly MetadataTableName[];
export type ApiTable = (typeof API_TABLES)[number];

const text = z.string().min(1).max(1024);
const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    error: (iss) => `must be a GUID, got ${shown(iss.input)}`,
  })
  .transform((s) => s.toLowerCase());
const bool = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

/** How one table is exposed: its key parameter and the columns a list may filter on (equality). */
export interface MetadataResource {
  readonly table: ApiTable;
  /** Singular, for summaries. */
  readonly noun: string;
  /** The key's path parameter; managed scopes are addressed by their ARM id (a catch-all segment). */
  readonly keyParam: 'id' | 'scope';
  readonly filters: Readonly<Record<string, z.ZodType<string | boolean>>>;
}

export const METADATA_RESOURCES: Readonly<Record<ApiTable, MetadataResource>> = {
  access_policies: {
    table: 'access_policies',
    noun: 'access policy',
    keyParam: 'id',
    filters: { principal_id: guid, principal_type: text, role: text, scope: text, enabled: bool },
  },
  managed_scopes: {
    table: 'managed_scopes',
    noun: 'managed scope',
    keyParam: 'scope',
    filters: { mode: text, enforcement: text },
  },
  secret_references: {
    table: 'secret_references',
    noun: 'secret reference',
    keyParam: 'id',
    filters: { rotator: text, status: text, vault_uri: text },
  },
  network_rules: {
    table: 'network_rules',
    noun: 'network rule',
    keyParam: 'id',
    filters: { resource_id: text, enabled: bool },
  },
  alert_rules: {
    table: 'alert_rules',
    noun: 'alert rule',
    keyParam: 'id',
    filters: { model_id: text, target: text, action: text },
  },
  models: { table: 'models', noun: 'model', keyParam: 'id', filters: { name: text, stage: text, endpoint: text } },
  exemptions: { table: 'exemptions', noun: 'exemption', keyParam: 'id', filters: { kind: text, target: text } },
};
