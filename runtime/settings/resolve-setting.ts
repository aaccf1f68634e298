/**
 * Resolves `%NAME%` binding expressions against app settings, as the Functions host does for binding properties
 * (`schedule: '%SCHEDULE%'`, `queueName: '%QUEUE%'`). `%%` is not an escape in the host either; a lone `%` is kept.
 *
 * @throws Error naming the setting when one is unset.
 */
export function resolveSettingExpression(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/%([^%\s]+)%/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      throw new Error(`The binding expression %${name}% names an app setting that is not set.`);
    }
    return v;
  });
}
