/** The resource types the emulator's ARM serves, by provider. Add a provider file and list its types here. */
import { databricksTypes } from './databricks';
import { dataFactoryTypes } from './datafactory';
import { keyVaultTypes } from './keyvault';
import { machineLearningTypes } from './machinelearning';
import { monitorTypes } from './monitor';
import { sqlTypes } from './sql';
import { storageTypes } from './storage';
import type { ResourceTypeSpec } from './types';

export const RESOURCE_TYPES: readonly ResourceTypeSpec[] = [
  ...storageTypes,
  ...keyVaultTypes,
  ...machineLearningTypes,
  ...databricksTypes,
  ...sqlTypes,
  ...dataFactoryTypes,
  ...monitorTypes,
];

/** Namespaces the emulator models: an unknown type inside one is Azure's `InvalidResourceType`. */
export const KNOWN_NAMESPACES: ReadonlySet<string> = new Set(
  RESOURCE_TYPES.map((t) => t.type.split('/')[0]!.toLowerCase()),
);

const byType = new Map(RESOURCE_TYPES.map((t) => [t.type.toLowerCase(), t]));

export function resourceTypeSpec(type: string): ResourceTypeSpec | undefined {
  return byType.get(type.toLowerCase());
}
