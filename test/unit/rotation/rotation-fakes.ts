/**
 * In-memory fakes of the rotation ports for unit tests of the activities and triggers (the Azure adapters have their
 * contract tests against the emulator). The vault keeps every version with its value, attributes and tags; the
 * rotators record what they issued, revoked and retired.
 */
import type { Notification, Notifier } from '../../../shared/cloud/ports/notifier';
import type {
  SecretPropertiesPatch,
  SecretVault,
  SecretVersionProperties,
  SetSecretOptions,
} from '../../../shared/cloud/ports/secret-vault.port';
import type { OrchestrationClient } from '../../../shared/orchestrations/orchestration-client';
import type { ConsumerCheck, ConsumerCheckPort } from '../../../shared/rotation/rotation-ports';
import type { NewCredential, Rotator } from '../../../shared/rotation/rotators';

interface Stored {
  props: SecretVersionProperties;
  value: string;
}

export class FakeVault implements SecretVault {
  readonly secrets = new Map<string, Stored[]>();
  readonly writes: string[] = [];
  private n = 0;
  constructor(private readonly now: () => Date) {}

  private key(vaultUri: string, name: string): string {
    return `${new URL(vaultUri).host}/${name.toLowerCase()}`;
  }
  listVersions(vaultUri: string, name: string): Promise<SecretVersionProperties[]> {
    return Promise.resolve([...(this.secrets.get(this.key(vaultUri, name)) ?? [])].reverse().map((s) => s.props));
  }
  async getProperties(vaultUri: string, name: string, version?: string) {
    const all = await this.listVersions(vaultUri, name);
    return version === undefined ? all[0] : all.find((v) => v.version === version);
  }
  getValue(vaultUri: string, name: string, version?: string): Promise<string | undefined> {
    const all = this.secrets.get(this.key(vaultUri, name)) ?? [];
    const s = version === undefined ? all[all.length - 1] : all.find((v) => v.props.version === version);
    return Promise.resolve(s?.value);
  }
  setSecret(vaultUri: string, name: string, value: string, o: SetSecretOptions): Promise<SecretVersionProperties> {
    this.n += 1;
    const at = new Date(this.now().getTime() + this.n).toISOString();
    const props: SecretVersionProperties = {
      vaultUri,
      name,
      version: this.n.toString(16).padStart(32, '0'),
      enabled: true,
      expiresOn: o.expiresOn ?? null,
      notBefore: o.notBefore ?? null,
      createdOn: at,
      updatedOn: at,
      contentType: o.contentType ?? null,
      tags: { ...(o.tags ?? {}) },
    };
    const k = this.key(vaultUri, name);
    this.secrets.set(k, [...(this.secrets.get(k) ?? []), { props, value }]);
    this.writes.push(`set ${name}`);
    return Promise.resolve(props);
  }
  updateProperties(vaultUri: string, name: string, version: string, p: SecretPropertiesPatch) {
    const s = (this.secrets.get(this.key(vaultUri, name)) ?? []).find((v) => v.props.version === version);
    if (!s) throw new Error('no such version');
    s.props = {
      ...s.props,
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
      ...(p.tags !== undefined ? { tags: { ...p.tags } } : {}),
      ...(p.expiresOn !== undefined ? { expiresOn: p.expiresOn } : {}),
    };
    this.writes.push(`update ${name}/${version}`);
    return Promise.resolve(s.props);
  }
  removeSecret(vaultUri: string, name: string): Promise<void> {
    if (this.secrets.delete(this.key(vaultUri, name))) this.writes.push(`remove ${name}`);
    return Promise.resolve();
  }
  /** Every value the vault holds (the scan for leaks looks for these). */
  values(): string[] {
    return [...this.secrets.values()].flat().map((s) => s.value);
  }
}

export class FakeRotator implements Rotator {
  readonly issued: string[] = [];
  readonly revoked: string[] = [];
  readonly retired: string[] = [];
  private n = 0;
  constructor(private readonly prefix = 'cred') {}
  issue(): Promise<NewCredential> {
    this.n += 1;
    const id = `${this.prefix}-${this.n}`;
    this.issued.push(id);
    return Promise.resolve({
      value: `VALUE-${id}-${'s3cr3t'.repeat(3)}`,
      credentialId: id,
      expiresOn: null,
      contentType: 'text/plain',
      replaces: null,
    });
  }
  revoke(_c: unknown, id: string): Promise<void> {
    this.revoked.push(id);
    return Promise.resolve();
  }
  retire(_c: unknown, id: string): Promise<void> {
    this.retired.push(id);
    return Promise.resolve();
  }
}

export class FakeConsumers implements ConsumerCheckPort {
  /** Consumer names that reject. */
  readonly failing = new Set<string>();
  readonly seen: { name: string; value: string | undefined }[] = [];
  /** What vault readers report (the version they read). */
  readerVersion: () => Promise<string | null> = () => Promise.resolve(null);
  async check(consumer: Readonly<Record<string, unknown>> & { kind: string }, value: string | undefined) {
    const name = String(consumer.name);
    this.seen.push({ name, value });
    const ok = !this.failing.has(name);
    const r: ConsumerCheck =
      consumer.kind === 'vault-reader'
        ? { ok, detail: ok ? 'healthy' : 'rejected', version: await this.readerVersion() }
        : { ok, detail: ok ? '200' : '401' };
    return r;
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  publish(n: readonly Notification[]): Promise<void> {
    this.sent.push(...n);
    return Promise.resolve();
  }
}

export class FakeOrchestrations implements OrchestrationClient {
  readonly started: { name: string; instanceId: string; input: unknown }[] = [];
  readonly status = new Map<string, string>();
  getStatus(instanceId: string) {
    const s = this.status.get(instanceId);
    return Promise.resolve(s ? { runtimeStatus: s } : undefined);
  }
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string> {
    this.started.push({ name, ...options });
    this.status.set(options.instanceId, 'Running');
    return Promise.resolve(options.instanceId);
  }
  raiseEvent(): Promise<void> {
    return Promise.reject(new Error('rotation never raises events'));
  }
}
