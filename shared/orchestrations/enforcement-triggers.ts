/**
 * The bodies of the enforcement triggers that are not HTTP: the Event Grid resource-event handler and the sweep.
 * `functions/access/*` and `functions/network/*` only parse their payload and call these (CONVENTIONS 1).
 */
import { routeResourceEvent } from '../domain/access/route-resource-event';
import type { MetadataStore } from '../metadata/metadata-store';
import { startReconcileAccess } from './access/start-reconcile-access';
import { startEnforceNetwork } from './network/start-enforce-network';
import type { OrchestrationClient } from './orchestration-client';
import type { StartOutcome } from './start-remediation';

/** What the handler did with one event. */
export type EventHandling =
  | { readonly handled: 'duplicate' }
  | { readonly handled: 'dismissed' | 'invalid'; readonly reason: string }
  | { readonly handled: 'started'; readonly start: StartOutcome; readonly reason: string };

/**
 * Handles one ARM resource event: dedupe by event id (atomic insert), route by its identifiers only, then start or
 * requeue the remediation. Ungoverned resources and Warden's own role assignment deletes (see
 * {@link routeResourceEvent}; `wardenPrincipalIds`) are dismissed cheaply; an event that can never be acted on is
 * recorded as poison with its reason and answered normally (Event Grid must not retry it for 24 h). Throws only for
 * transient failures (the store or the durable client), so Event Grid redelivers.
 */
export async function handleResourceEvent(
  store: MetadataStore,
  client: OrchestrationClient,
  event: unknown,
  options: { readonly source?: string; readonly wardenPrincipalIds?: readonly string[] } = {},
): Promise<EventHandling> {
  const source = options.source ?? 'eventgrid:arm';
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const id = typeof e.id === 'string' && e.id.length > 0 ? e.id : undefined;
  if (!id) {
    await store.events.recordPoison({ source, messageId: null, reason: 'the event has no id', body: safeBody(event) });
    return { handled: 'invalid', reason: 'the event has no id' };
  }
  const [scopes, rules] = await Promise.all([store.managedScopes.list(), store.networkRules.list()]);
  const route = routeResourceEvent(event, {
    managedScopes: scopes.map((s) => s.scope),
    governedResources: rules.filter((r) => r.enabled).map((r) => r.resource_id),
    wardenPrincipalIds: options.wardenPrincipalIds ?? [],
  });
  if (route.action === 'invalid') {
    if (await store.events.firstReceipt(id, source))
      await store.events.recordPoison({ source, messageId: id, reason: route.reason, body: safeBody(event) });
    return { handled: 'invalid', reason: route.reason };
  }
  if (route.action === 'dismiss') return { handled: 'dismissed', reason: route.reason };
  // The receipt is taken before the start, so a redelivery racing this one is a duplicate; a start that fails
  // (transient) gives it back, so Event Grid's redelivery of the error is processed.
  const common = {
    correlationId: `event-${id}`.slice(0, 128),
    requestedBy: `warden (event ${id})`.slice(0, 256),
    reason: route.reason,
  };
  const done = await store.events.handleOnce(id, source, async () =>
    route.action === 'reconcileAccess'
      ? startReconcileAccess(client, { ...common, scope: route.scope })
      : startEnforceNetwork(client, { ...common, resourceId: route.resourceId }),
  );
  return done ? { handled: 'started', start: done.value, reason: route.reason } : { handled: 'duplicate' };
}

/**
 * The sweep: every managed scope and every governed resource, started or requeued — the safety net for lost events,
 * and how expiries and lapsed exemptions take effect (each run plans with the current time).
 */
export async function sweepEnforcement(
  store: MetadataStore,
  client: OrchestrationClient,
  at: Date,
): Promise<{ access: StartOutcome[]; network: StartOutcome[] }> {
  const correlationId = `sweep-${at.toISOString()}`;
  const common = { correlationId, requestedBy: 'warden (sweep)', reason: `sweep at ${at.toISOString()}` };
  const access: StartOutcome[] = [];
  for (const s of await store.managedScopes.list())
    access.push(await startReconcileAccess(client, { ...common, scope: s.scope }));
  const network: StartOutcome[] = [];
  const seen = new Set<string>();
  for (const r of await store.networkRules.list()) {
    const key = r.resource_id.toLowerCase();
    if (!r.enabled || seen.has(key)) continue;
    seen.add(key);
    network.push(await startEnforceNetwork(client, { ...common, resourceId: r.resource_id }));
  }
  return { access, network };
}

function safeBody(event: unknown): string | null {
  try {
    return JSON.stringify(event)?.slice(0, 10_000) ?? null;
  } catch {
    return null;
  }
}
