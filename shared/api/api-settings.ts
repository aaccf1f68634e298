import { z } from 'zod';

import { ValidationError } from '../domain/errors';
import { GuidSchema } from '../domain/primitives/fields';
import { fieldIssues } from './field-issues';

const flag = z
  .enum(['true', 'false', '1', '0', ''], { error: 'must be true or false' })
  .optional()
  .transform((v) => v === 'true' || v === '1');

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/**
 * The HTTP API's settings, read from the environment (app settings; local.settings.json Values locally).
 *
 * @remarks
 * Lives here until the API's settings join `shared/config` (FOUNDATION's module); names are final.
 */
export const ApiSettingsSchema = z
  .object({
    WARDEN_TENANT_ID: GuidSchema,
    /** https://login.microsoftonline.com, or the emulator. */
    WARDEN_AUTHORITY_HOST: z.url().default('https://login.microsoftonline.com'),
    /** Accepted audiences, comma-separated: the API's identifier URI and its client id. */
    WARDEN_API_AUDIENCES: list.refine((a) => a.length > 0, { error: 'name at least one audience' }),
    /** Warden's own principal ids (managed identity, …), comma-separated: never the subject of a policy. */
    WARDEN_PRINCIPAL_IDS: list.pipe(z.array(GuidSchema)),
    WARDEN_KILL_SWITCH: flag,
    WARDEN_METADATA_DB: z.string().min(1),
    WARDEN_API_BODY_LIMIT_BYTES: z.string().regex(/^\d+$/).transform(Number).optional(),
    /** `eventgrid` (custom topic), `servicebus` (topic output binding) or `none`. */
    WARDEN_NOTIFIER: z.enum(['eventgrid', 'servicebus', 'none']).default('none'),
    WARDEN_NOTIFY_EVENTGRID_ENDPOINT: z.url().optional(),
    /** The topic key; absent → DefaultAzureCredential (managed identity with EventGrid Data Sender). */
    WARDEN_NOTIFY_EVENTGRID_KEY: z.string().min(1).optional(),
    /** The Service Bus topic of the output binding; its connection is the `WARDEN_SERVICEBUS` setting. */
    WARDEN_NOTIFY_SERVICEBUS_TOPIC: z.string().min(1).default('warden-notifications'),
    WARDEN_APP_VERSION: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.WARDEN_NOTIFIER === 'eventgrid' && !s.WARDEN_NOTIFY_EVENTGRID_ENDPOINT)
      ctx.addIssue({
        code: 'custom',
        path: ['WARDEN_NOTIFY_EVENTGRID_ENDPOINT'],
        message: 'is required when WARDEN_NOTIFIER is eventgrid',
      });
  });
export type ApiEnvSettings = z.output<typeof ApiSettingsSchema>;

/** Reads and validates the API's settings; a ValidationError names each bad setting (never its value). */
export function readApiSettings(env: Readonly<Record<string, string | undefined>>): ApiEnvSettings {
  const r = ApiSettingsSchema.safeParse(env);
  if (!r.success)
    throw new ValidationError(
      'API settings',
      fieldIssues(r.error).map((i) => ({ path: i.path, message: i.message.replace(/, got .*$/, '') })),
    );
  return r.data;
}
