import { type FieldIssue, ValidationError } from '../domain/errors';

/**
 * App settings are missing or malformed: start-up stops. Each issue names the setting and what is wrong with it —
 * never its value, which may be a secret.
 */
export class SettingsError extends ValidationError {
  constructor(issues: readonly FieldIssue[]) {
    super('app settings', issues);
    this.message = `Warden cannot start: the app settings are invalid.\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`;
  }
}
