/** {@link CredentialIssuerPort}: `POST {base}/credentials`, `DELETE {base}/credentials/{id}`, as Warden (Entra token). */
import type { TokenCredential } from '@azure/identity';

import { TransientCloudError } from '../../domain/errors';
import type { CredentialIssuerPort } from '../../rotation/rotation-ports';
import { type DataPlaneOptions, dataPlaneRequest, jsonOf } from './data-plane-http';
import { dataPlaneError } from './databricks-tokens';

const join = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;

export class HttpCredentialIssuer implements CredentialIssuerPort {
  constructor(
    private readonly credential: TokenCredential,
    private readonly http: DataPlaneOptions,
  ) {}

  private async bearer(audience: string): Promise<string> {
    const t = await this.credential.getToken(`${audience.replace(/\/+$/, '')}/.default`);
    if (!t) throw new TransientCloudError(`no Entra token for ${audience}`);
    return `Bearer ${t.token}`;
  }

  async issue(
    baseUrl: string,
    audience: string,
    request: { comment: string; lifetimeSeconds: number | undefined },
  ): Promise<{ id: string; value: string; expiresAt: string | null }> {
    const res = await dataPlaneRequest(this.http, {
      method: 'POST',
      url: join(baseUrl, '/credentials'),
      headers: { authorization: await this.bearer(audience), 'content-type': 'application/json' },
      body: JSON.stringify({
        comment: request.comment,
        ...(request.lifetimeSeconds !== undefined ? { lifetimeSeconds: request.lifetimeSeconds } : {}),
      }),
    });
    if (res.status !== 200 && res.status !== 201) throw dataPlaneError(res, `issue a credential at ${baseUrl}`);
    const body = jsonOf(res) as { id?: unknown; value?: unknown; expiresAt?: unknown } | undefined;
    if (typeof body?.id !== 'string' || typeof body.value !== 'string')
      throw new TransientCloudError(`${baseUrl} answered without a credential id or value`);
    return {
      id: body.id,
      value: body.value,
      expiresAt: typeof body.expiresAt === 'string' ? new Date(body.expiresAt).toISOString() : null,
    };
  }

  async revoke(baseUrl: string, audience: string, id: string): Promise<void> {
    const res = await dataPlaneRequest(this.http, {
      method: 'DELETE',
      url: join(baseUrl, `/credentials/${encodeURIComponent(id)}`),
      headers: { authorization: await this.bearer(audience) },
    });
    if (res.status === 200 || res.status === 204 || res.status === 404) return;
    throw dataPlaneError(res, `revoke credential ${id} at ${baseUrl}`);
  }
}
