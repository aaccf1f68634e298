/**
 * Microsoft.Authorization over HTTP, as `@azure/arm-authorization` 9 calls it: role assignments and role
 * definitions at 2022-04-01, PIM role assignment schedule instances at 2020-10-01.
 */
import { armError, notImplemented, unsupported } from '../core/errors';
import type { CallerIdentity, EmulatorRequest, EmulatorResponse } from '../core/module';
import { parseAssignmentFilter, parseDefinitionFilter } from './filters';
import { checkApiVersion, jsonObjectBody, page } from './http';
import { normalizeId, roleDefinitionGuid } from './ids';
import { obj } from './providers/types';
import { type ArmService, assignmentId, AUTH_NS, ROLE_ASSIGNMENT_TYPE, ROLE_DEFINITION_TYPE } from './service';

export const AUTHORIZATION_API_VERSIONS = ['2022-04-01'] as const;
export const PIM_API_VERSIONS = ['2020-10-01'] as const;
export const DEFAULT_PAGE_SIZE = 100;

/**
 * Handles `{scope}/providers/Microsoft.Authorization/{rest}`; `scope` is `/` for tenant-level paths.
 */
export function handleAuthorization(
  service: ArmService,
  req: EmulatorRequest,
  caller: CallerIdentity,
  scope: string,
  rest: readonly string[],
): EmulatorResponse {
  const [collection, name, ...more] = rest;
  const kind = (collection ?? '').toLowerCase();
  if (more.length === 0 && kind === 'roleassignments') {
    checkApiVersion(req, AUTHORIZATION_API_VERSIONS);
    return name === undefined
      ? listAssignments(service, req, caller, scope)
      : assignment(service, req, caller, scope, name);
  }
  if (more.length === 0 && kind === 'roledefinitions') {
    checkApiVersion(req, AUTHORIZATION_API_VERSIONS);
    if (req.method !== 'GET')
      throw notImplemented(`${req.method} ${ROLE_DEFINITION_TYPE} (custom roles come from the world file)`);
    return name === undefined
      ? listDefinitions(service, req, caller, scope)
      : getDefinition(service, caller, scope, name);
  }
  if (more.length === 0 && kind === 'roleassignmentscheduleinstances' && name === undefined && req.method === 'GET') {
    checkApiVersion(req, PIM_API_VERSIONS);
    return listScheduleInstances(service, req, caller, scope);
  }
  throw notImplemented(`${req.method} ${AUTH_NS}/${[collection, ...(name ? ['{name}'] : []), ...more].join('/')}`);
}

function pageSize(service: ArmService): number {
  const n = Number(service.store.getSetting('pageSize'));
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_PAGE_SIZE;
}

function listAssignments(
  service: ArmService,
  req: EmulatorRequest,
  caller: CallerIdentity,
  scope: string,
): EmulatorResponse {
  if (req.method !== 'GET')
    throw armError(405, 'HttpMethodNotAllowed', `The requested method '${req.method}' is not allowed.`);
  service.authorize(caller, scope, `${ROLE_ASSIGNMENT_TYPE}/read`);
  const parsed = parseAssignmentFilter(req.queryParam('$filter'));
  if (!parsed.ok)
    throw unsupported(
      `${parsed.reason} on role assignments (supported: atScope(), principalId eq '{id}', assignedTo('{id}') and their 'and')`,
    );
  service.requireScope(scope);
  const items = service.listAssignments(scope, parsed.filter).map((a) => service.presentAssignment(a));
  return { status: 200, body: page(req, items, pageSize(service), AUTHORIZATION_API_VERSIONS[0]) };
}

function assignment(
  service: ArmService,
  req: EmulatorRequest,
  caller: CallerIdentity,
  scope: string,
  name: string,
): EmulatorResponse {
  const id = assignmentId(scope, name);
  switch (req.method) {
    case 'GET': {
      service.authorize(caller, id, `${ROLE_ASSIGNMENT_TYPE}/read`);
      const a = service.store.getRoleAssignment(scope, name);
      if (!a) throw armError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
      return { status: 200, body: service.presentAssignment(a) };
    }
    case 'PUT': {
      const evidence = service.authorize(caller, id, `${ROLE_ASSIGNMENT_TYPE}/write`);
      const body = jsonObjectBody(req);
      const props = obj(body.properties);
      if (body.properties === undefined || typeof body.properties !== 'object') {
        throw armError(
          400,
          'InvalidRequestContent',
          "The request content was invalid and could not be deserialized: 'Required property 'properties' not found in JSON.'.",
        );
      }
      for (const field of ['roleDefinitionId', 'principalId'] as const) {
        if (typeof props[field] !== 'string' || props[field] === '') {
          throw armError(
            400,
            'InvalidRequestContent',
            `The request content was invalid and could not be deserialized: 'Required property '${field}' not found in JSON. Path 'properties'.'.`,
          );
        }
      }
      const optional = (k: string): string | null | undefined => {
        const v = props[k];
        if (v === undefined || v === null) return v;
        if (typeof v !== 'string')
          throw armError(
            400,
            'InvalidRequestContent',
            `The request content was invalid: 'properties.${k}' must be a string.`,
          );
        return v;
      };
      const principalType = optional('principalType');
      const result = service.createRoleAssignment(
        {
          scope: normalizeId(scope),
          name,
          roleDefinitionId: String(props.roleDefinitionId),
          principalId: String(props.principalId),
          ...(principalType ? { principalType } : {}),
          description: optional('description') ?? null,
          condition: optional('condition') ?? null,
          conditionVersion: optional('conditionVersion') ?? null,
          delegatedManagedIdentityResourceId: optional('delegatedManagedIdentityResourceId') ?? null,
        },
        { caller, request: req, evidence },
      );
      return { status: result.status, body: service.presentAssignment(result.assignment) };
    }
    case 'DELETE': {
      const evidence = service.authorize(caller, id, `${ROLE_ASSIGNMENT_TYPE}/delete`);
      const gone = service.deleteRoleAssignment(scope, name, { caller, request: req, evidence });
      return gone ? { status: 200, body: service.presentAssignment(gone) } : { status: 204 };
    }
    default:
      throw armError(
        405,
        'HttpMethodNotAllowed',
        `The requested method '${req.method}' is not allowed for role assignments.`,
      );
  }
}

function listDefinitions(
  service: ArmService,
  req: EmulatorRequest,
  caller: CallerIdentity,
  scope: string,
): EmulatorResponse {
  service.authorize(caller, scope, `${ROLE_DEFINITION_TYPE}/read`);
  const parsed = parseDefinitionFilter(req.queryParam('$filter'));
  if (!parsed.ok)
    throw unsupported(`${parsed.reason} on role definitions (supported: roleName eq '{name}', type eq '{type}')`);
  const { roleName, type } = parsed.filter;
  const items = service
    .listDefinitions(scope)
    .filter((d) => roleName === undefined || d.roleName.toLowerCase() === roleName.toLowerCase())
    .filter((d) => type === undefined || d.roleType.toLowerCase() === type.toLowerCase())
    .map((d) => service.presentDefinition(d, scope));
  return { status: 200, body: page(req, items, pageSize(service), AUTHORIZATION_API_VERSIONS[0]) };
}

function getDefinition(service: ArmService, caller: CallerIdentity, scope: string, name: string): EmulatorResponse {
  // Tenant-level definitions (`/providers/Microsoft.Authorization/roleDefinitions/{id}`) are readable by any
  // signed-in principal, as in Azure; below the root, reading needs roleDefinitions/read at the scope.
  if (scope !== '/') service.authorize(caller, scope, `${ROLE_DEFINITION_TYPE}/read`);
  const guid = roleDefinitionGuid(name);
  const d = guid ? service.store.getRoleDefinition(guid) : undefined;
  if (!d) throw armError(404, 'RoleDefinitionDoesNotExist', `The role definition '${name}' could not be found.`);
  return { status: 200, body: service.presentDefinition(d, scope) };
}

function listScheduleInstances(
  service: ArmService,
  req: EmulatorRequest,
  caller: CallerIdentity,
  scope: string,
): EmulatorResponse {
  service.authorize(caller, scope, `${AUTH_NS}/roleAssignmentScheduleInstances/read`);
  const parsed = parseAssignmentFilter(req.queryParam('$filter'), true);
  if (!parsed.ok)
    throw unsupported(
      `${parsed.reason} on role assignment schedule instances (supported: atScope(), principalId eq, assignedTo(), asTarget())`,
    );
  service.requireScope(scope);
  const items = service
    .listAssignments(scope, parsed.filter, caller.oid)
    .map((a) => service.presentScheduleInstance(a));
  return { status: 200, body: page(req, items, pageSize(service), PIM_API_VERSIONS[0]) };
}
