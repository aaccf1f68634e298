/** ARM's error answers used across the module (bodies as ARM sends them: `{"error":{"code","message"}}`). */
import { armError, type EmulatorHttpError } from '../core/errors';

export const ARM_NOT_FOUND_HINT = 'For more details please go to https://aka.ms/ARMResourceNotFoundFix';

export function missingApiVersion(): EmulatorHttpError {
  return armError(
    400,
    'MissingApiVersionParameter',
    'The api-version query parameter (?api-version=) is required for all requests.',
  );
}

export function invalidApiVersion(version: string, supported: readonly string[]): EmulatorHttpError {
  return armError(
    400,
    'InvalidApiVersionParameter',
    `The api-version '${version}' is invalid. The supported versions are '${supported.join(',')}'.`,
  );
}

export function noRegisteredProvider(
  version: string,
  type: string,
  supported: readonly string[],
  location: string,
): EmulatorHttpError {
  const short = type.split('/').slice(1).join('/');
  return armError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location '${location}' and API version '${version}' for type '${short}'. ` +
      `The supported api-versions are '${supported.join(', ')}'. The supported locations are '${location}'.`,
  );
}

export function invalidRequestContent(detail: string): EmulatorHttpError {
  return armError(
    400,
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: '${detail}'.`,
  );
}

export function unsupportedMediaType(contentType: string): EmulatorHttpError {
  return armError(
    415,
    'UnsupportedMediaType',
    `The content media type '${contentType}' is not supported. Only 'application/json' is supported.`,
  );
}

export function subscriptionNotFound(subscriptionId: string): EmulatorHttpError {
  return armError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}

export function resourceGroupNotFound(name: string): EmulatorHttpError {
  return armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
}

export function resourceNotFound(typeAndName: string, resourceGroup: string): EmulatorHttpError {
  return armError(
    404,
    'ResourceNotFound',
    `The Resource '${typeAndName}' under resource group '${resourceGroup}' was not found. ${ARM_NOT_FOUND_HINT}`,
  );
}

export function parentResourceNotFound(parent: string): EmulatorHttpError {
  return armError(
    404,
    'ParentResourceNotFound',
    `Can not perform requested operation on nested resource. Parent resource '${parent}' not found.`,
  );
}

export function badRequest(code: string, message: string): EmulatorHttpError {
  return armError(400, code, message);
}
