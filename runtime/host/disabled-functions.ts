/**
 * `AzureWebJobs.<FunctionName>.Disabled`: the Functions host's app setting that switches one function's trigger off
 * (true or 1, case-insensitive). A disabled function is not triggered — no timer, queue, table or Event Grid
 * delivery, and its HTTP route answers 404 — while the rest of the app runs; durable orchestrations and activities
 * are invoked by the engine, not by a trigger of their own, and are not affected.
 */
export function isFunctionDisabled(env: NodeJS.ProcessEnv, functionName: string): boolean {
  const value = env[`AzureWebJobs.${functionName}.Disabled`]?.trim().toLowerCase();
  return value === 'true' || value === '1';
}
