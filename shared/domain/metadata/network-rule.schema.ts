import { z } from 'zod';

import {
  ArmResourceIdSchema,
  BooleanSchema,
  CidrSchema,
  oneOf,
  RowIdSchema,
  shown,
  textSchema,
} from '../primitives/fields';

export const PUBLIC_NETWORK_ACCESS = ['Enabled', 'Disabled'] as const;
export const CONSUMER_PATHS = ['private-endpoint', 'integration-runtime', 'trusted-service', 'ip-rule'] as const;

/** `azure` or `self-hosted:<name>` (Data Factory integration runtime names: letters, digits, '-'). */
export const IntegrationRuntimeSchema = z
  .string()
  .regex(/^(azure|self-hosted:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$/, {
    error: (iss) => `must be 'azure' or 'self-hosted:<runtime name>', got ${shown(iss.input)}`,
  });

/** Who must keep access to the resource, and by which path: the input of the impact pre-check. */
export const NetworkConsumerSchema = z
  .looseObject({
    name: textSchema(256),
    via: oneOf(CONSUMER_PATHS, 'access path'),
    privateEndpoint: z.string().min(1).optional(),
    integrationRuntime: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.via === 'private-endpoint' && !c.privateEndpoint)
      ctx.addIssue({
        code: 'custom',
        path: ['privateEndpoint'],
        message: "is required when via is 'private-endpoint'",
      });
    if (c.via === 'integration-runtime' && !c.integrationRuntime)
      ctx.addIssue({
        code: 'custom',
        path: ['integrationRuntime'],
        message: "is required when via is 'integration-runtime'",
      });
  });

/** Desired network posture of one resource. `null` in a posture field means "not governed". */
export const NetworkRuleSchema = z
  .strictObject({
    id: RowIdSchema,
    resource_id: ArmResourceIdSchema,
    public_network_access: oneOf(PUBLIC_NETWORK_ACCESS, 'public network access setting').nullable().default(null),
    private_endpoint_required: BooleanSchema.default(false),
    allowed_ip_ranges: z.array(CidrSchema, { error: 'must be a list of CIDR ranges' }).max(200).default([]),
    integration_runtime: IntegrationRuntimeSchema.nullable().default(null),
    consumers: z.array(NetworkConsumerSchema, { error: 'must be a list of consumers' }).max(100).default([]),
    enabled: BooleanSchema.default(true),
  })
  .superRefine((row, ctx) => {
    if (row.public_network_access === 'Disabled' && row.allowed_ip_ranges.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['allowed_ip_ranges'],
        message: 'has no effect when public_network_access is Disabled: remove the ranges or enable public access',
      });
  });
export type NetworkRuleInput = z.input<typeof NetworkRuleSchema>;
export type NetworkRule = z.output<typeof NetworkRuleSchema>;
