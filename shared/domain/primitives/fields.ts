import { z } from 'zod';

import { parseArmResourceId } from './arm-resource-id';
import { parseCidr } from './cidr';
import { MONITOR_FREQUENCIES, MONITOR_WINDOWS } from './monitor-duration';
import { roleReferenceProblem } from './role-reference';

/** Renders a received value for an error message (short, never more than 80 characters). */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? `a ${typeof value}`);
  } catch {
    text = `a ${typeof value}`;
  }
  text = text.replace(/\/\/[^/@\s"]*@/g, '//***@'); // never echo credentials embedded in a URL
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const required = (what: string) => (iss: { input: unknown }) =>
  iss.input === undefined ? 'is required' : `must be ${what}, got ${shown(iss.input)}`;

/** An Entra object id / tenant id / application id. */
export const GuidSchema = z
  .string({ error: required('a GUID') })
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    error: (iss) => `must be a GUID (object id), got ${shown(iss.input)}`,
  })
  .transform((s) => s.toLowerCase());

/** Any ARM id: subscription, resource group, management group or resource. */
export const ArmResourceIdSchema = z.string({ error: required('an ARM resource id') }).superRefine((value, ctx) => {
  const parsed = parseArmResourceId(value);
  if (typeof parsed === 'string')
    ctx.addIssue({ code: 'custom', message: `${shown(value)} is not an ARM resource id: it ${parsed}` });
});

/** An ARM id of one resource type (e.g. an Azure ML online endpoint). */
export function armResourceIdOf(resourceType: string, what: string) {
  return z.string({ error: required(`the ARM id of ${what}`) }).superRefine((value, ctx) => {
    const parsed = parseArmResourceId(value);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: `${shown(value)} is not an ARM resource id: it ${parsed}` });
    } else if (parsed.resourceType?.toLowerCase() !== resourceType.toLowerCase()) {
      ctx.addIssue({
        code: 'custom',
        message: `must be the ARM id of ${what} (${resourceType}), got a ${parsed.resourceType ?? 'scope'} id`,
      });
    }
  });
}

/** An IPv4/IPv6 CIDR range or single address, host bits zero. */
export const CidrSchema = z.string({ error: required('a CIDR range') }).superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
});

/** A role name or role definition id. */
export const RoleReferenceSchema = z
  .string({ error: required('a role name or definition id') })
  .superRefine((value, ctx) => {
    const problem = roleReferenceProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** An ISO 8601 date-time with a zone (`Z` or an offset), normalised to UTC `toISOString()` form. */
export const IsoDateTimeSchema = z
  .string({ error: required('an ISO 8601 date-time') })
  .superRefine((value, ctx) => {
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ||
      Number.isNaN(Date.parse(value))
    )
      ctx.addIssue({
        code: 'custom',
        message: `must be an ISO 8601 date-time with a zone (e.g. 2026-01-31T12:00:00Z), got ${shown(value)}`,
      });
  })
  .transform((value) => new Date(value).toISOString());

/** The id of a metadata row: a short slug (`ap-ds-fraud-inference`). */
export const RowIdSchema = z.string({ error: required('an id') }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
  error: (iss) =>
    `must be 1-128 letters, digits, '.', '_' or '-' starting with a letter or digit, got ${shown(iss.input)}`,
});

/** Who made a change: an Entra object id, or a named system actor (`warden`, `demo-seed`). */
export const ActorSchema = z
  .string({ error: required('an actor') })
  .min(1, { error: 'must not be empty' })
  .max(256, { error: 'must be at most 256 characters' })
  .regex(/^[^\p{Cc}]+$/u, { error: 'must not contain control characters' });

/** Free text a person wrote (justification, reason, comment). */
export function textSchema(max: number) {
  return z
    .string({ error: required('text') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });
}

export const MonitorWindowSchema = z.enum(MONITOR_WINDOWS, {
  error: (iss) => `${shown(iss.input)} is not a window Azure Monitor accepts (${MONITOR_WINDOWS.join(', ')})`,
});

export const MonitorFrequencySchema = z.enum(MONITOR_FREQUENCIES, {
  error: (iss) =>
    `${shown(iss.input)} is not an evaluation frequency Azure Monitor accepts (${MONITOR_FREQUENCIES.join(', ')})`,
});

/** A closed set of strings with a message that names the value and the choices. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) => `${shown(iss.input)} is not a known ${what} (expected one of ${values.join(', ')})`,
  });
}

export function integer(min: number, max: number) {
  return z
    .number({ error: required('a whole number') })
    .int({ error: (iss) => `must be a whole number, got ${shown(iss.input)}` })
    .min(min, { error: (iss) => `must be at least ${min}, got ${shown(iss.input)}` })
    .max(max, { error: (iss) => `must be at most ${max}, got ${shown(iss.input)}` });
}

export const BooleanSchema = z.boolean({ error: required('true or false') });

const SECRET_KEY =
  /^(value|secret|secretvalue|password|pwd|token|accesstoken|apikey|clientsecret|connectionstring|sas|sastoken|key)$/i;

/**
 * A JSON object of configuration that may *reference* secrets but never contain one: keys that name a secret
 * value (`password`, `token`, `clientSecret`, `connectionString`, …) are refused anywhere in it, so secret values
 * cannot reach the metadata tables and, through them, the audit log.
 */
export function noSecretValues(value: unknown, ctx: z.RefinementCtx, path: (string | number)[] = []): void {
  if (Array.isArray(value)) {
    value.forEach((v, k) => noSecretValues(v, ctx, [...path, k]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_KEY.test(k) && v !== null && typeof v !== 'boolean')
        ctx.addIssue({
          code: 'custom',
          path: [...path, k],
          message: `looks like a secret value; metadata holds references to secrets (vault + name), never values`,
        });
      noSecretValues(v, ctx, [...path, k]);
    }
  }
}
