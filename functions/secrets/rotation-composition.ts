// The composition root of secret rotation: the Key Vault adapter, the rotators over their ports (ARM storage keys,
// Databricks token management, the credential issuer), the consumer checks, and the API's store, notifier and clock.
// The triggers under functions/secrets only parse and call what this builds.
import { DefaultAzureCredential } from '@azure/identity';
import type { DurableClient } from 'durable-functions';

import type { SecretCommands } from '../../shared/api/secrets/secret-commands';
import { createArmClients } from '../../shared/cloud/azure/arm-clients';
import { AzureConsumerChecks } from '../../shared/cloud/azure/consumer-checks';
import { HttpCredentialIssuer } from '../../shared/cloud/azure/credential-issuer';
import type { DataPlaneOptions } from '../../shared/cloud/azure/data-plane-http';
import { AzureDatabricksTokens, DatabricksWorkspaceClient } from '../../shared/cloud/azure/databricks-tokens';
import { KeyVaultSecrets } from '../../shared/cloud/azure/key-vault-secrets';
import { AzureStorageAccountKeys } from '../../shared/cloud/azure/storage-account-keys';
import { appSettings } from '../../shared/config/load-settings';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { createRotationActivities } from '../../shared/orchestrations/secrets/rotation-activities';
import type { RotationDeps } from '../../shared/orchestrations/secrets/rotation-deps';
import { startRotateSecret } from '../../shared/orchestrations/secrets/start-rotate-secret';
import { createRotators } from '../../shared/rotation/rotators';
import { apiServices } from '../api/api-composition';

/** A failed reference is retried by the sweep an hour after its last change. */
const FAILED_RETRY_MS = 3_600_000;

let cached: Promise<RotationDeps> | undefined;

async function compose(): Promise<RotationDeps> {
  const s = appSettings();
  if (!s.azure.subscriptionId)
    throw new Error(
      'WARDEN_SUBSCRIPTION_ID is required for rotation (storage keys and workspaces are read through ARM)',
    );
  const { api } = await apiServices();
  const credential = new DefaultAzureCredential(
    s.identity.managedIdentityClientId ? { managedIdentityClientId: s.identity.managedIdentityClientId } : {},
  );
  const arm = createArmClients({ credential, subscriptionId: s.azure.subscriptionId, endpoint: s.azure.armEndpoint });
  const http: DataPlaneOptions = { hostOverrides: s.azure.hostOverrides };
  const workspaces = new DatabricksWorkspaceClient(arm.resources, credential, http);
  return {
    store: api.store,
    vault: new KeyVaultSecrets({ credential, hostOverrides: s.azure.hostOverrides }),
    rotators: createRotators({
      storageKeys: new AzureStorageAccountKeys(arm.storage),
      databricks: new AzureDatabricksTokens(workspaces),
      issuer: new HttpCredentialIssuer(credential, http),
    }),
    consumers: new AzureConsumerChecks(http, workspaces, () => api.clock.now()),
    notifier: api.notifier,
    clock: api.clock,
    settings: { keyVaultDnsSuffix: s.azure.keyVaultDnsSuffix, failedRetryMs: FAILED_RETRY_MS },
  };
}

/** The rotation ports (built once; a failure is retried on the next call). */
export function rotationDeps(): Promise<RotationDeps> {
  cached ??= compose().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

type ActivityHandler = (input: unknown) => Promise<unknown>;
let handlers: Promise<Record<string, ActivityHandler>> | undefined;

/** The handler registered for one rotation activity: resolves the ports lazily, then runs the factory's handler. */
export function rotationActivity(name: string): ActivityHandler {
  return async (input) => {
    handlers ??= rotationDeps().then(
      (deps) => createRotationActivities(deps) as Record<string, ActivityHandler>,
      (e: unknown) => {
        handlers = undefined;
        throw e;
      },
    );
    const h = (await handlers)[name];
    if (!h) throw new Error(`BUG: no handler for activity '${name}'`);
    return h(input);
  };
}

/** The per-invocation commands of `POST /api/secrets/{id}/rotate` over the invocation's durable client. */
export function secretCommands(client: DurableClient): SecretCommands {
  const s = appSettings();
  return {
    settings: { keyVaultDnsSuffix: s.azure.keyVaultDnsSuffix },
    startRotation: (request) => startRotateSecret(fromDurableClient(client), request),
  };
}
