import { z } from 'zod';

import type { MetadataConnection } from './metadata-connection';

/**
 * Settings the Functions host reads itself (host.json `%TASKHUB_NAME%`, the durable storage provider's connection,
 * the worker runtime, host storage). The app never reads them; they are listed so local.settings.sample.json can be
 * checked for completeness.
 */
export const HOST_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'AzureWebJobsStorage',
  'TASKHUB_NAME',
  'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
  // The Service Bus connection of the bindings (`connection: 'WARDEN_SERVICEBUS'`), identity-based:
  // `<namespace>.servicebus.windows.net` on Azure; the local runtime's broker needs none.
  'WARDEN_SERVICEBUS__fullyQualifiedNamespace',
] as const;

/** Settings whose values are secrets: never logged, never echoed in errors. */
export const SECRET_SETTINGS = ['WARDEN_NOTIFY_EVENTGRID_KEY'] as const;

const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { error: 'must be a GUID' })
  .transform((s) => s.toLowerCase());
const httpsUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((s) => s.replace(/\/+$/, ''));
const flag = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', ''], { error: 'must be true or false' }))
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true' || v === '1'));
const int = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    )
    .optional()
    .transform((v) => v ?? fallback);
const share = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { error: 'must be a number from 0 to 1' })
    .transform(Number)
    .optional()
    .transform((v) => v ?? fallback);
const list = (item: z.ZodType<string, string>) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/**
 * Every app setting Warden reads, by its environment name (the Functions host — and our local runtime — injects
 * local.settings.json Values as environment variables). Defaults are production-safe; required settings have none.
 */
export const EnvSettingsSchema = z.object({
  /** The metadata database: a SQLite file locally, an Azure SQL connection string on Azure. Also the `app.sql` connectionStringSetting. */
  WARDEN_METADATA_DB: z
    .string({ error: 'is required (a SQLite path, or an Azure SQL connection string)' })
    .min(1, { error: 'is empty' }),
  /** `sqlite` or `mssql`; inferred from WARDEN_METADATA_DB when unset. */
  WARDEN_METADATA_DIALECT: z.enum(['sqlite', 'mssql'], { error: 'must be sqlite or mssql' }).optional(),
  /** The Entra tenant Warden and its callers live in. */
  WARDEN_TENANT_ID: guid,
  /** Entra authority (https://login.microsoftonline.com, or the emulator locally). */
  WARDEN_AUTHORITY_HOST: httpsUrl.default('https://login.microsoftonline.com'),
  /** The user-assigned managed identity's client id, if Warden uses one (DefaultAzureCredential reads it too). */
  AZURE_CLIENT_ID: guid.optional(),
  /** The subscription Warden governs by default. */
  WARDEN_SUBSCRIPTION_ID: guid.optional(),
  /** Azure Resource Manager (https://management.azure.com, or the emulator locally). */
  WARDEN_ARM_ENDPOINT: httpsUrl.default('https://management.azure.com'),
  /** DNS suffix of Key Vault URIs (vault.azure.net in the public cloud). */
  WARDEN_KEYVAULT_DNS_SUFFIX: z
    .string()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$|^localhost$/i, { error: 'must be a DNS suffix like vault.azure.net' })
    .default('vault.azure.net'),
  /**
   * Data-plane hosts served elsewhere, as a JSON object host → https origin — e.g.
   * `{"kv-fraud-ml.vault.azure.net":"https://127.0.0.1:40123"}`. Empty on Azure; locally the launcher sets it from
   * the emulator's origins (one per vault, workspace, storage account, Monitor endpoint) so metadata keeps the real
   * URIs and the adapters stay the same code path.
   */
  WARDEN_HOST_OVERRIDES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v?.trim()) return {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of host → https origin' });
        return z.NEVER;
      }
      const result = z
        .record(
          z.string().regex(/^[a-z0-9.-]+$/i, { error: 'keys must be host names' }),
          z.url({ protocol: /^https$/, error: 'values must be https origins' }),
        )
        .safeParse(parsed);
      if (!result.success) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a JSON object of host → https origin (${result.error.issues[0]?.message ?? 'invalid'})`,
        });
        return z.NEVER;
      }
      return Object.fromEntries(Object.entries(result.data).map(([h, o]) => [h.toLowerCase(), new URL(o).origin]));
    }),
  /** Warden's own principal ids (its managed identity, …), comma-separated: never the subject of a policy or remediation. */
  WARDEN_PRINCIPAL_IDS: list(guid).refine((ids) => ids.length > 0, { error: "must name Warden's own principal id(s)" }),
  /** Audiences the HTTP API accepts (its identifier URI and client id), comma-separated. */
  WARDEN_API_AUDIENCES: list(z.string()).refine((a) => a.length > 0, { error: 'must name at least one audience' }),
  WARDEN_API_BODY_LIMIT_BYTES: int(1024, 16 * 1024 * 1024, 256 * 1024),
  /** Where notifications go: an Event Grid custom topic, a Service Bus topic (output binding), or nowhere. */
  WARDEN_NOTIFIER: z
    .enum(['eventgrid', 'servicebus', 'none'], { error: 'must be eventgrid, servicebus or none' })
    .default('none'),
  WARDEN_NOTIFY_EVENTGRID_ENDPOINT: httpsUrl.optional(),
  /** The topic's access key; unset → managed identity (EventGrid Data Sender). A secret: never logged. */
  WARDEN_NOTIFY_EVENTGRID_KEY: optionalText,
  WARDEN_NOTIFY_SERVICEBUS_TOPIC: z.string().min(1).default('warden-notifications'),
  /** Global kill switch: every remediation becomes report-only. */
  WARDEN_KILL_SWITCH: flag(false),
  /** Blast radius: a plan beyond these waits for approval. */
  WARDEN_BLAST_MAX_DELETES: int(0, 10_000, 10),
  WARDEN_BLAST_MAX_DELETE_SHARE: share(0.5),
  WARDEN_BLAST_MAX_RESOURCES_CHANGED: int(0, 10_000, 20),
  /** Circuit breakers: the same drift reverted this often within the window, or this many quarantines in it, stops and asks. */
  WARDEN_BREAKER_MAX_REVERTS: int(1, 1000, 3),
  WARDEN_BREAKER_MAX_QUARANTINES: int(1, 1000, 3),
  WARDEN_BREAKER_WINDOW_MINUTES: int(1, 7 * 24 * 60, 60),
  /** The action group (ARM id) every Monitor alert rule syncAlertRules creates notifies (Warden's secure webhook). */
  WARDEN_ALERT_ACTION_GROUP_ID: z
    .string()
    .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/microsoft\.insights\/actionGroups\/[^/]+$/i, {
      error: 'must be the ARM id of an action group',
    })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Blast radius: the delete share applies once a scope holds this many grants. */
  WARDEN_BLAST_SHARE_APPLIES_FROM: int(0, 1_000_000, 10),
  /** Remediation steps one run applies at once. */
  WARDEN_REMEDIATION_PARALLELISM: int(1, 64, 4),
  /** How long an approved plan stays usable after its decision. */
  WARDEN_APPROVAL_VALIDITY_HOURS: int(1, 30 * 24, 24),
  /** Raw-data stores (ARM resource ids, comma-separated): inference-only principals get no data-plane read there. */
  WARDEN_RAW_DATA_STORES: list(z.string().regex(/^\/subscriptions\/[^/]+\//i, { error: 'must be an ARM resource id' })),
  /**
   * The resources Warden depends on and how it reaches them, as JSON:
   * `[{"resourceId":"/subscriptions/…","path":"private-endpoint","privateEndpoint":"pe-…"}]` (path: public-network,
   * private-endpoint or trusted-service). A network change that would cut Warden off from one is refused.
   */
  WARDEN_DEPENDENCIES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return [];
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
        return z.NEVER;
      }
    })
    .pipe(
      z.array(
        z.strictObject({
          resourceId: z.string().regex(/^\/subscriptions\/[^/]+\//i, { error: 'must be an ARM resource id' }),
          path: z.enum(['public-network', 'private-endpoint', 'trusted-service']),
          privateEndpoint: z.string().min(1).optional(),
        }),
        { error: 'must be a JSON array of {resourceId, path, privateEndpoint?}' },
      ),
    ),
  /** The shared clock's offset file (local system only) and whether it may be advanced. */
  WARDEN_CLOCK_FILE: optionalText,
  WARDEN_CLOCK_MODE: z.enum(['real', 'test'], { error: 'must be real or test' }).default('real'),
  WARDEN_APP_VERSION: optionalText,
});

/** The names of every setting the app reads. */
export const APP_SETTINGS = Object.keys(EnvSettingsSchema.shape) as (keyof typeof EnvSettingsSchema.shape)[];

type Env = z.output<typeof EnvSettingsSchema>;

/** Warden's validated settings, grouped by concern. */
export interface Settings {
  readonly metadata: MetadataConnection & { readonly connectionSetting: 'WARDEN_METADATA_DB' };
  readonly identity: {
    readonly tenantId: string;
    readonly authorityHost: string;
    readonly managedIdentityClientId: string | undefined;
    readonly wardenPrincipalIds: readonly string[];
  };
  readonly azure: {
    readonly subscriptionId: string | undefined;
    readonly armEndpoint: string;
    readonly keyVaultDnsSuffix: string;
    /** Data-plane host → origin overrides (WARDEN_HOST_OVERRIDES; empty on Azure). */
    readonly hostOverrides: Readonly<Record<string, string>>;
  };
  readonly api: {
    readonly audiences: readonly string[];
    readonly bodyLimitBytes: number;
    readonly appVersion: string | undefined;
  };
  readonly notifier:
    | { readonly kind: 'none' }
    | { readonly kind: 'eventgrid'; readonly endpoint: string; readonly accessKey: string | undefined }
    | { readonly kind: 'servicebus'; readonly topic: string };
  readonly safety: {
    readonly killSwitch: boolean;
    readonly blastRadius: {
      readonly maxDeletes: number;
      readonly maxDeleteShare: number;
      readonly maxResourcesChanged: number;
    };
    readonly breakers: { readonly maxReverts: number; readonly maxQuarantines: number; readonly windowMinutes: number };
  };
  /** What the enforcement remediations (reconcileAccess, enforceNetwork) read beyond `safety`. */
  readonly enforcement: {
    readonly shareAppliesFrom: number;
    readonly parallelism: number;
    readonly approvalValidityHours: number;
    readonly rawDataStores: readonly string[];
    readonly dependencies: readonly {
      readonly resourceId: string;
      readonly path: 'public-network' | 'private-endpoint' | 'trusted-service';
      readonly privateEndpoint?: string;
    }[];
  };
  readonly clock: { readonly file: string | undefined; readonly mode: 'real' | 'test' };
  /** Model quarantine (issue 9): the action group the synced alert rules notify. */
  readonly models: { readonly alertActionGroupId: string | undefined };
}

/** Groups the flat environment values (already validated) into {@link Settings}. */
export function groupSettings(env: Env, metadata: MetadataConnection): Settings {
  return {
    metadata: { ...metadata, connectionSetting: 'WARDEN_METADATA_DB' },
    identity: {
      tenantId: env.WARDEN_TENANT_ID,
      authorityHost: env.WARDEN_AUTHORITY_HOST,
      managedIdentityClientId: env.AZURE_CLIENT_ID,
      wardenPrincipalIds: env.WARDEN_PRINCIPAL_IDS,
    },
    azure: {
      subscriptionId: env.WARDEN_SUBSCRIPTION_ID,
      armEndpoint: env.WARDEN_ARM_ENDPOINT,
      keyVaultDnsSuffix: env.WARDEN_KEYVAULT_DNS_SUFFIX.toLowerCase(),
      hostOverrides: env.WARDEN_HOST_OVERRIDES,
    },
    api: {
      audiences: env.WARDEN_API_AUDIENCES,
      bodyLimitBytes: env.WARDEN_API_BODY_LIMIT_BYTES,
      appVersion: env.WARDEN_APP_VERSION,
    },
    notifier:
      env.WARDEN_NOTIFIER === 'eventgrid'
        ? {
            kind: 'eventgrid',
            endpoint: env.WARDEN_NOTIFY_EVENTGRID_ENDPOINT ?? '',
            accessKey: env.WARDEN_NOTIFY_EVENTGRID_KEY,
          }
        : env.WARDEN_NOTIFIER === 'servicebus'
          ? { kind: 'servicebus', topic: env.WARDEN_NOTIFY_SERVICEBUS_TOPIC }
          : { kind: 'none' },
    safety: {
      killSwitch: env.WARDEN_KILL_SWITCH,
      blastRadius: {
        maxDeletes: env.WARDEN_BLAST_MAX_DELETES,
        maxDeleteShare: env.WARDEN_BLAST_MAX_DELETE_SHARE,
        maxResourcesChanged: env.WARDEN_BLAST_MAX_RESOURCES_CHANGED,
      },
      breakers: {
        maxReverts: env.WARDEN_BREAKER_MAX_REVERTS,
        maxQuarantines: env.WARDEN_BREAKER_MAX_QUARANTINES,
        windowMinutes: env.WARDEN_BREAKER_WINDOW_MINUTES,
      },
    },
    enforcement: {
      shareAppliesFrom: env.WARDEN_BLAST_SHARE_APPLIES_FROM,
      parallelism: env.WARDEN_REMEDIATION_PARALLELISM,
      approvalValidityHours: env.WARDEN_APPROVAL_VALIDITY_HOURS,
      rawDataStores: env.WARDEN_RAW_DATA_STORES,
      dependencies: env.WARDEN_DEPENDENCIES,
    },
    clock: { file: env.WARDEN_CLOCK_FILE, mode: env.WARDEN_CLOCK_MODE },
    models: { alertActionGroupId: env.WARDEN_ALERT_ACTION_GROUP_ID },
  };
}
