import { z } from 'zod';

import { type AnyApiRoute, defineRoute } from './api-route';
import { NoQuerySchema } from './api-schemas';
import { APPROVAL_ROUTES } from './approvals/approval-routes';
import { AUDIT_ROUTES } from './audit/audit-routes';
import { ENFORCEMENT_ROUTES } from './enforcement/enforcement-routes';
import { METADATA_ROUTES } from './metadata/metadata-routes';
import { MODEL_ROUTES } from './models/model-routes';
import { buildOpenApiDocument } from './openapi';
import { ORCHESTRATION_ROUTES } from './orchestrations/orchestration-routes';
import { POISON_ROUTES } from './poison/poison-routes';
import { SECRET_ROUTES } from './secrets/secret-routes';
import { STATUS_ROUTES } from './status/status-routes';

const OPENAPI_ROUTE: AnyApiRoute = defineRoute({
  name: 'getOpenApi',
  capability: 'openapi',
  method: 'GET',
  route: 'openapi.json',
  access: 'Warden.Reader',
  summary: 'This API as an OpenAPI 3.1 document, generated from the route table',
  tags: ['status'],
  query: NoQuerySchema,
  response: z.record(z.string(), z.unknown()),
  successStatus: 200,
  ifMatch: 'none',
  handle: (_input, services) =>
    Promise.resolve({
      status: 200,
      body: buildOpenApiDocument(API_ROUTES, { version: services.settings.appVersion }),
    }),
});

/**
 * THE route table of Warden's HTTP API: every route with its name, method, template, role, schemas and summary.
 * `functions/api/*` registers exactly these, the OpenAPI document is generated from them and the route × role
 * test walks them.
 *
 * Roles: Warden.Reader reads (status, orchestrations, metadata, approvals, audit query, poison messages, OpenAPI); Warden.Operator decides
 * approvals and triggers the enforcement remediations (reconcile access, enforce network); Warden.PolicyAdmin writes metadata;
 * Warden.Auditor exports the audit log and verifies its chain. Only health is anonymous.
 */
export const API_ROUTES: readonly AnyApiRoute[] = [
  ...METADATA_ROUTES,
  ...APPROVAL_ROUTES,
  ...AUDIT_ROUTES,
  ...ORCHESTRATION_ROUTES,
  ...ENFORCEMENT_ROUTES,
  ...MODEL_ROUTES,
  ...SECRET_ROUTES,
  ...POISON_ROUTES,
  ...STATUS_ROUTES,
  OPENAPI_ROUTE,
];

/** The routes of one capability (one registration file each). */
export function routesOf(capability: AnyApiRoute['capability']): AnyApiRoute[] {
  return API_ROUTES.filter((r) => r.capability === capability);
}
