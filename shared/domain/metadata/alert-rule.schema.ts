import { z } from 'zod';

import {
  armResourceIdOf,
  ArmResourceIdSchema,
  BooleanSchema,
  integer,
  MonitorFrequencySchema,
  MonitorWindowSchema,
  oneOf,
  RowIdSchema,
  shown,
  textSchema,
} from '../primitives/fields';
import { monitorDurationMinutes } from '../primitives/monitor-duration';

export const ONLINE_ENDPOINT_TYPE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';
export const OPERATORS = ['GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual', 'Equals'] as const;
export const AGGREGATIONS = ['Average', 'Minimum', 'Maximum', 'Total', 'Count'] as const;
export const ALERT_ACTIONS = ['quarantine', 'notify'] as const;

export const MetricSourceSchema = z.strictObject({
  kind: z.literal('metrics'),
  namespace: z.string().regex(/^[A-Za-z][A-Za-z0-9._/-]{0,255}$/, {
    error: (iss) => `must be a metric namespace, got ${shown(iss.input)}`,
  }),
  metric: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,255}$/, {
    error: (iss) => `must be a metric name, got ${shown(iss.input)}`,
  }),
  aggregation: oneOf(AGGREGATIONS, 'aggregation'),
});

export const LogSourceSchema = z.strictObject({
  kind: z.literal('logs'),
  query: textSchema(10000),
  workspace: ArmResourceIdSchema.optional(),
});

/**
 * N of M windows. Azure Monitor enforces this natively only for log search rules (M at most 6); for metric rules
 * Monitor fires on one window and Warden's own confirmation reads the metric and enforces N of M.
 */
export const FailingPeriodsSchema = z
  .strictObject({ min_failing: integer(1, 6), of_last: integer(1, 6) })
  .refine((fp) => fp.min_failing <= fp.of_last, {
    error: (iss) => {
      const fp = iss.input as { min_failing: number; of_last: number };
      return `min_failing (${fp.min_failing}) cannot exceed of_last (${fp.of_last})`;
    },
  });

/** A model-quality alert: the metric or query, the condition, and what Warden does on a confirmed breach. */
export const AlertRuleSchema = z
  .strictObject({
    id: RowIdSchema,
    model_id: RowIdSchema,
    target: armResourceIdOf(ONLINE_ENDPOINT_TYPE, 'an Azure ML online endpoint'),
    source: z.discriminatedUnion('kind', [MetricSourceSchema, LogSourceSchema], {
      error: (iss) => `must be {kind: 'metrics', …} or {kind: 'logs', …}, got ${shown(iss.input)}`,
    }),
    operator: oneOf(OPERATORS, 'operator'),
    threshold: z.number({
      error: (iss) => (iss.input === undefined ? 'is required' : `must be a number, got ${shown(iss.input)}`),
    }),
    window: MonitorWindowSchema,
    frequency: MonitorFrequencySchema.default('PT1M'),
    failing_periods: FailingPeriodsSchema.default({ min_failing: 1, of_last: 1 }),
    action: oneOf(ALERT_ACTIONS, 'alert action'),
    auto_release: BooleanSchema.default(false),
    recovery_windows: integer(1, 100).default(3),
    monitor_name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/, {
        error: (iss) => `must be an Azure ML monitor name, got ${shown(iss.input)}`,
      })
      .nullable()
      .default(null),
    severity: integer(0, 4).default(2),
  })
  .superRefine((row, ctx) => {
    if (monitorDurationMinutes(row.frequency) > monitorDurationMinutes(row.window))
      ctx.addIssue({
        code: 'custom',
        path: ['frequency'],
        message: `${row.frequency} is longer than the window ${row.window}; Azure Monitor requires frequency ≤ window`,
      });
  });
export type AlertRuleInput = z.input<typeof AlertRuleSchema>;
export type AlertRule = z.output<typeof AlertRuleSchema>;
