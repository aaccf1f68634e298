/** Path of the durable HTTP API under the runtime's listener (the extension's webhook path). */
export const DURABLE_WEBHOOK_PATH = '/runtime/webhooks/durabletask';

/** The placeholder the library substitutes with the instance id (any unique token works, protocol §7.1). */
export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

/** The value of the `durableClient` input binding the library parses (`OrchestrationClientInputData`). */
export interface DurableClientData {
  taskHubName: string;
  creationUrls: { createNewInstancePostUri: string; createAndWaitOnNewInstancePostUri: string };
  managementUrls: Record<string, string>;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
}

/**
 * Builds the binding JSON the Durable extension sends (`BindingHelper`/`HttpApiHandler.GetClientResponseLinks`).
 *
 * @remarks
 * `rpcBaseUrl` is set, so every `DurableClient` call goes to the runtime's own listener whatever
 * `WEBSITE_HOSTNAME` says; the management URLs (used by `createCheckStatusResponse`) carry the listener's origin
 * too, and the component sets `WEBSITE_HOSTNAME` so `getClient` keeps that origin instead of localhost:7071.
 */
export function durableClientData(origin: string, taskHubName: string): DurableClientData {
  const base = `${origin}${DURABLE_WEBHOOK_PATH}`;
  const q = `taskHub=${encodeURIComponent(taskHubName)}&connection=Storage`;
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: managementUrls(base, INSTANCE_ID_PLACEHOLDER, taskHubName),
    baseUrl: base,
    requiredQueryStringParameters: '',
    rpcBaseUrl: `${base}/`,
  };
}

/** The check-status payload links for one instance (`HttpManagementPayload`). */
export function managementUrls(base: string, instanceId: string, taskHubName: string): Record<string, string> {
  const q = `taskHub=${encodeURIComponent(taskHubName)}&connection=Storage`;
  const inst = `${base}/instances/${instanceId === INSTANCE_ID_PLACEHOLDER ? instanceId : encodeURIComponent(instanceId)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${inst}?${q}`,
    sendEventPostUri: `${inst}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${inst}/terminate?reason={text}&${q}`,
    rewindPostUri: `${inst}/rewind?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${inst}?${q}`,
    restartPostUri: `${inst}/restart?${q}`,
    suspendPostUri: `${inst}/suspend?reason={text}&${q}`,
    resumePostUri: `${inst}/resume?reason={text}&${q}`,
  };
}
