/**
 * The `Microsoft.Resources.*` events ARM publishes to subscription and resource-group system topics
 * (event-schema-resource-groups / -subscriptions docs): `data` carries `authorization`, `claims` (a flat string map
 * with both short and URI claim names, from the caller's token), `correlationId`, `httpRequest`, `operationName`,
 * `resourceProvider`, `resourceUri`, `status`, `subscriptionId` and `tenantId`.
 */
import { randomUUID } from 'node:crypto';

import type { CallerIdentity, EventGridEvent, ResourceEventInput } from '../core/module';

const URI_CLAIMS: Record<string, string> = {
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  scp: 'http://schemas.microsoft.com/identity/claims/scope',
  sub: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  unique_name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  amr: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  idp: 'http://schemas.microsoft.com/identity/claims/identityprovider',
  given_name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  family_name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  acr: 'http://schemas.microsoft.com/claims/authnclassreference',
};

/** The caller's token claims as ARM flattens them into events: every value a string, URI names for some. */
export function eventClaims(caller: CallerIdentity): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(caller.claims)) {
    const value = Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    out[URI_CLAIMS[k] ?? k] = value;
  }
  return out;
}

/** Resource provider namespace of an id or operation (`Microsoft.Storage`). */
export function providerOf(resourceUri: string, operationName: string): string {
  const all = [...resourceUri.matchAll(/\/providers\/([^/]+)/gi)].map((x) => x[1]!);
  return all.at(-1) ?? operationName.split('/')[0] ?? '';
}

export function buildResourceEvent(
  input: ResourceEventInput,
  env: { subscriptionId: string; tenantId: string; nowIso: string },
): EventGridEvent {
  const status = input.status ?? 'Succeeded';
  const suffix = status === 'Succeeded' ? 'Success' : status === 'Failed' ? 'Failure' : 'Cancel';
  const sub = /^\/subscriptions\/([^/]+)/i.exec(input.resourceUri)?.[1] ?? env.subscriptionId;
  const authorization: Record<string, unknown> = { scope: input.resourceUri, action: input.operationName };
  if (input.evidence) authorization.evidence = { ...input.evidence };
  const data: Record<string, unknown> = {
    authorization,
    claims: eventClaims(input.caller),
    correlationId: input.request?.correlationId ?? randomUUID(),
  };
  if (input.request) {
    data.httpRequest = {
      clientRequestId: input.request.clientRequestId,
      clientIpAddress: input.request.clientIp,
      method: input.method ?? input.request.method,
      url: input.request.url,
    };
  }
  Object.assign(data, {
    resourceProvider: providerOf(input.resourceUri, input.operationName),
    resourceUri: input.resourceUri,
    operationName: input.operationName,
    status,
    subscriptionId: sub,
    tenantId: input.caller.tid || env.tenantId,
  });
  return {
    id: randomUUID(),
    topic: `/subscriptions/${sub}`,
    subject: input.resourceUri,
    eventType: `Microsoft.Resources.Resource${input.kind}${suffix}`,
    eventTime: env.nowIso,
    data,
    dataVersion: '2',
    metadataVersion: '1',
  };
}
