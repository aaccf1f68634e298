/**
 * {@link ConsumerCheckPort}: does this credential work against this consumer now. One check per consumer kind:
 * `databricks-job` (SCIM `Me` on the workspace with the token), `storage-account` (List Containers signed with the
 * key), `http-endpoint` (GET with the value as bearer), `vault-reader` (GET its URL; it reads the vault itself and
 * reports the version it accepted). Unknown kinds fail the check: a consumer Warden cannot test blocks publishing.
 */
import { createHmac } from 'node:crypto';

import type { ConsumerCheck, ConsumerCheckPort } from '../../rotation/rotation-ports';
import { type DataPlaneOptions, dataPlaneRequest, jsonOf } from './data-plane-http';
import type { DatabricksWorkspaceClient } from './databricks-tokens';

const STORAGE_VERSION = '2021-08-06';

/** The Shared Key `Authorization` header of `GET /?comp=list` on an account's blob endpoint. */
export function sharedKeyListContainers(account: string, key: string, date: string): string {
  const canonicalHeaders = `x-ms-date:${date}\nx-ms-version:${STORAGE_VERSION}\n`;
  const canonicalResource = `/${account}/\ncomp:list`;
  const stringToSign = `GET\n\n\n\n\n\n\n\n\n\n\n\n${canonicalHeaders}${canonicalResource}`;
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(stringToSign, 'utf8').digest('base64');
  return `SharedKey ${account}:${sig}`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export class AzureConsumerChecks implements ConsumerCheckPort {
  constructor(
    private readonly http: DataPlaneOptions,
    private readonly databricks: DatabricksWorkspaceClient,
    private readonly now: () => Date,
  ) {}

  async check(
    consumer: Readonly<Record<string, unknown>> & { kind: string },
    value: string | undefined,
  ): Promise<ConsumerCheck> {
    switch (consumer.kind) {
      case 'databricks-job': {
        const target = str(consumer.target);
        if (!target || value === undefined) return { ok: false, detail: 'needs target (workspace id) and a token' };
        const base = await this.databricks.workspaceUrl(target);
        const res = await dataPlaneRequest(this.http, {
          method: 'GET',
          url: `${base}/api/2.0/preview/scim/v2/Me`,
          headers: { authorization: `Bearer ${value}`, accept: 'application/scim+json' },
        });
        return { ok: res.status === 200, detail: `SCIM Me answered ${res.status}` };
      }
      case 'storage-account': {
        const target = str(consumer.target);
        const account = target ? /\/storageAccounts\/([^/]+)\/?$/i.exec(target)?.[1] : undefined;
        if (!account || value === undefined)
          return { ok: false, detail: 'needs target (storage account id) and a key' };
        const date = this.now().toUTCString();
        const res = await dataPlaneRequest(this.http, {
          method: 'GET',
          url: `https://${account.toLowerCase()}.blob.core.windows.net/?comp=list`,
          headers: {
            'x-ms-date': date,
            'x-ms-version': STORAGE_VERSION,
            authorization: sharedKeyListContainers(account.toLowerCase(), value, date),
          },
        });
        return { ok: res.status === 200, detail: `List Containers answered ${res.status}` };
      }
      case 'http-endpoint': {
        const url = str(consumer.url);
        if (!url || value === undefined) return { ok: false, detail: 'needs url and a credential' };
        const res = await dataPlaneRequest(this.http, {
          method: 'GET',
          url,
          headers: { authorization: `Bearer ${value}` },
        });
        return { ok: res.status >= 200 && res.status < 300, detail: `${new URL(url).host} answered ${res.status}` };
      }
      case 'vault-reader': {
        const url = str(consumer.url);
        if (!url) return { ok: false, detail: 'needs url' };
        const res = await dataPlaneRequest(this.http, { method: 'GET', url, headers: { accept: 'application/json' } });
        const version = str((jsonOf(res) as { version?: unknown } | undefined)?.version) ?? null;
        return {
          ok: res.status >= 200 && res.status < 300,
          detail: `${new URL(url).host} answered ${res.status}${version ? ` with version ${version}` : ''}`,
          version,
        };
      }
      default:
        return { ok: false, detail: `consumer kind '${consumer.kind}' cannot be tested` };
    }
  }
}
