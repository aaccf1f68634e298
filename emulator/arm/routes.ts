/**
 * ARM's front door: every request under `/subscriptions/...` and `/providers/...` is authenticated (bearer token for
 * the ARM audience), then dispatched by its path the way ARM routes it — Microsoft.Authorization by the last
 * `providers/Microsoft.Authorization` segment (it is an extension resource at any scope), resource groups, resources
 * and their children, and the operation-status endpoints of long-running operations.
 */
import { notImplemented } from '../core/errors';
import type { EmulatorRequest, EmulatorResponse, Router } from '../core/module';
import { handleAuthorization } from './authorization';
import { ARM_AUDIENCES } from './http';
import { ResourceHandlers } from './resources';
import type { ArmService } from './service';

const METHODS = ['GET', 'PUT', 'PATCH', 'DELETE', 'POST'];

export function registerArmRoutes(router: Router, service: ArmService): ResourceHandlers {
  const resources = new ResourceHandlers(service);
  const handler = (req: EmulatorRequest): EmulatorResponse => dispatch(service, resources, req);
  router.add(METHODS, '/subscriptions/{**rest}', handler, { operation: 'ARM' });
  router.add(METHODS, '/providers/{**rest}', handler, { operation: 'ARM' });
  return resources;
}

export function dispatch(service: ArmService, resources: ResourceHandlers, req: EmulatorRequest): EmulatorResponse {
  const caller = service.ctx.authenticate(req, ARM_AUDIENCES);
  const segments = req.path.split('/').filter((s) => s !== '');
  const lower = segments.map((s) => s.toLowerCase());

  // {scope}/providers/Microsoft.Authorization/... (the last occurrence: scopes may contain other providers)
  for (let i = lower.length - 2; i >= 0; i--) {
    if (lower[i] === 'providers' && lower[i + 1] === 'microsoft.authorization') {
      const scope = i === 0 ? '/' : `/${segments.slice(0, i).join('/')}`;
      return handleAuthorization(service, req, caller, scope, segments.slice(i + 2));
    }
  }

  if (lower[0] === 'subscriptions' && segments.length >= 2) {
    const sub = segments[1]!;
    // /subscriptions/{sub}/providers/{ns}/locations/{loc}/operationStatuses|operationResults/{id}
    if (
      lower[2] === 'providers' &&
      lower[4] === 'locations' &&
      segments.length === 8 &&
      (lower[6] === 'operationstatuses' || lower[6] === 'operationresults') &&
      req.method === 'GET'
    ) {
      return resources.operation(req, segments[7]!, lower[6] === 'operationstatuses' ? 'status' : 'result');
    }
    if (lower[2] === 'resourcegroups' && segments.length === 5 && lower[4] === 'resources' && req.method === 'GET') {
      return resources.listInGroup(req, caller, sub, segments[3]!);
    }
    if (lower[2] === 'resourcegroups' && segments.length === 4) {
      return resources.resourceGroup(req, caller, sub, segments[3]!);
    }
    if (lower[2] === 'resourcegroups' && lower[4] === 'providers' && segments.length >= 7) {
      return resources.resource(req, caller);
    }
  }
  throw notImplemented(`${req.method} ${describe(segments)}`);
}

/** A path with ids replaced by placeholders, to name an unsupported operation without echoing every id. */
function describe(segments: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const prev = (segments[i - 1] ?? '').toLowerCase();
    out.push(prev === 'subscriptions' ? '{subscriptionId}' : prev === 'resourcegroups' ? '{resourceGroup}' : s);
  }
  return `/${out.join('/')}`;
}
