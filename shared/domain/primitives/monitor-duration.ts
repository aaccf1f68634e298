/** Aggregation windows Azure Monitor accepts for alert rules (`windowSize`). */
export const MONITOR_WINDOWS = ['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'P1D'] as const;
export type MonitorWindow = (typeof MONITOR_WINDOWS)[number];

/** Evaluation frequencies Azure Monitor accepts for metric alert rules (`evaluationFrequency`). */
export const MONITOR_FREQUENCIES = ['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H'] as const;
export type MonitorFrequency = (typeof MONITOR_FREQUENCIES)[number];

const MINUTES: Record<MonitorWindow, number> = {
  PT1M: 1,
  PT5M: 5,
  PT15M: 15,
  PT30M: 30,
  PT1H: 60,
  PT6H: 360,
  PT12H: 720,
  P1D: 1440,
};

/** The length of an accepted window or frequency in minutes. */
export function monitorDurationMinutes(duration: MonitorWindow | MonitorFrequency): number {
  return MINUTES[duration];
}
