import type { RegisteredFunction } from './core-api';
import type { RpcBindingInfo } from './core-types';
import { triggerBindingOf } from './function-host';
import type { RuntimeComponent } from './runtime-services';

/** One row of the start-up table. */
export interface FunctionRow {
  name: string;
  trigger: string;
  /** Route (HTTP), queue/topic, schedule, table, or endpoint (Event Grid). */
  source: string;
}

/** Trigger types the Functions host knows but this runtime refuses with a specific reason. */
const REFUSED: Record<string, string> = {
  entitytrigger:
    'durable entities are not supported by the local runtime (df.app.entity); use an orchestration or an activity',
};

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The trigger binding of a function, or undefined (a function without one cannot be indexed). */
export function triggerOf(fn: RegisteredFunction): RpcBindingInfo | undefined {
  try {
    return triggerBindingOf(fn).binding;
  } catch {
    return undefined;
  }
}

/** What the start-up table shows for a trigger: route, queue, schedule, table… */
export function describeFunction(fn: RegisteredFunction, routePrefix: string): FunctionRow {
  const trigger = triggerOf(fn);
  const type = String(trigger?.type ?? '(none)');
  const name = fn.metadata.name;
  let source: string;
  switch (type.toLowerCase()) {
    case 'httptrigger': {
      const methods = Array.isArray(trigger?.methods) ? (trigger.methods as unknown[]).map(String).join(',') : '*';
      const route = str(trigger?.route) ?? name;
      const prefix = routePrefix ? `/${routePrefix}` : '';
      source = `${methods} ${prefix}/${route.replace(/^\/+/, '')} [${str(trigger?.authLevel) ?? 'function'}]`;
      break;
    }
    case 'eventgridtrigger':
      source = `POST /runtime/webhooks/eventgrid?functionName=${name}`;
      break;
    case 'servicebustrigger': {
      const entity = str(trigger?.queueName)
        ? `queue ${String(trigger?.queueName)}`
        : `topic ${String(trigger?.topicName)}/${String(trigger?.subscriptionName)}`;
      source = `${entity}${trigger?.isSessionsEnabled === true ? ' (sessions)' : ''}${trigger?.cardinality === 'many' ? ' (batch)' : ''}`;
      break;
    }
    case 'timertrigger':
      source = `schedule ${String(trigger?.schedule)}${trigger?.runOnStartup === true ? ' (runOnStartup)' : ''}`;
      break;
    case 'sqltrigger':
      source = `table ${String(trigger?.tableName)} (${String(trigger?.connectionStringSetting)})`;
      break;
    case 'orchestrationtrigger':
      source = 'durable orchestration';
      break;
    case 'activitytrigger':
      source = 'durable activity';
      break;
    default:
      source = '';
  }
  return { name, trigger: type, source };
}

/** The start-up table: one row per function, sorted by name, columns padded. */
export function formatFunctionTable(rows: FunctionRow[]): string {
  const sorted = [...rows].sort((a, b) => a.name.localeCompare(b.name));
  const header: FunctionRow = { name: 'Function', trigger: 'Trigger', source: 'Route or source' };
  const w1 = Math.max(...[header, ...sorted].map((r) => r.name.length));
  const w2 = Math.max(...[header, ...sorted].map((r) => r.trigger.length));
  const line = (r: FunctionRow): string => `  ${r.name.padEnd(w1)}  ${r.trigger.padEnd(w2)}  ${r.source}`.trimEnd();
  return [
    line(header),
    line({ name: '-'.repeat(w1), trigger: '-'.repeat(w2), source: '-'.repeat(15) }),
    ...sorted.map(line),
  ].join('\n');
}

/**
 * Checks that a component serves every function's trigger type; throws one message listing every offending function
 * (the real host fails indexing when a binding extension is missing).
 */
export function checkTriggersServed(
  functions: Iterable<RegisteredFunction>,
  components: readonly Pick<RuntimeComponent, 'name' | 'triggerTypes'>[],
): void {
  const served = new Set(components.flatMap((c) => c.triggerTypes.map((t) => t.toLowerCase())));
  const problems: string[] = [];
  for (const fn of functions) {
    const trigger = triggerOf(fn);
    if (!trigger) {
      problems.push(`  ${fn.metadata.name}: no trigger binding`);
      continue;
    }
    const type = String(trigger.type);
    const refused = REFUSED[type.toLowerCase()];
    if (refused) problems.push(`  ${fn.metadata.name}: ${type} — ${refused}`);
    else if (!served.has(type.toLowerCase()))
      problems.push(`  ${fn.metadata.name}: ${type} — no component serves this trigger type`);
  }
  if (problems.length > 0) {
    const names = [...new Set(components.flatMap((c) => c.triggerTypes))].sort();
    const supported = names.join(', ') || '(none)';
    throw new Error(
      `Start-up failed: ${problems.length} function(s) cannot be served by the local runtime:\n${problems.join('\n')}\n` +
        `Trigger types served: ${supported}.`,
    );
  }
}
