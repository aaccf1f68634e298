/**
 * {@link DatabricksTokensPort} on the workspace data plane (token-management API) with an Entra token for the
 * AzureDatabricks application; the workspace URL is read from ARM (`properties.workspaceUrl`) once per workspace.
 */
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/identity';

import { TransientCloudError, ValidationError } from '../../domain/errors';
import type { DatabricksTokensPort, IssuedToken } from '../../rotation/rotation-ports';
import { CloudAuthorizationError } from '../ports/cloud-authorization-error';
import { toWardenError } from './arm-clients';
import { type DataPlaneOptions, dataPlaneRequest, type DataPlaneResponse, jsonOf } from './data-plane-http';

/** The AzureDatabricks first-party application: the audience of Entra tokens for every workspace. */
export const DATABRICKS_AUDIENCE = '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d';
const WORKSPACE_API_VERSION = '2026-01-01';

/** Maps a data-plane failure to the error vocabulary (no body echoed: it may carry a token). */
export function dataPlaneError(res: DataPlaneResponse, what: string): Error {
  const code = (jsonOf(res) as { error_code?: unknown } | undefined)?.error_code;
  const named = typeof code === 'string' ? ` ${code}` : '';
  if (res.status === 401 || res.status === 403)
    return new CloudAuthorizationError(undefined, what, `${what} was refused (${res.status}${named})`);
  if (res.status === 408 || res.status === 429 || res.status >= 500)
    return new TransientCloudError(`${what} failed (${res.status}${named})`);
  return new ValidationError(what, [{ path: String(res.status), message: `refused (${res.status}${named})` }]);
}

export class DatabricksWorkspaceClient {
  private readonly urls = new Map<string, string>();

  constructor(
    private readonly resources: ResourceManagementClient,
    private readonly credential: TokenCredential,
    private readonly http: DataPlaneOptions,
  ) {}

  /** `https://<workspaceUrl>` of a workspace (ARM, cached). */
  async workspaceUrl(workspaceResourceId: string): Promise<string> {
    const key = workspaceResourceId.toLowerCase();
    const cached = this.urls.get(key);
    if (cached) return cached;
    let host: unknown;
    try {
      const r = await this.resources.resources.getById(workspaceResourceId, WORKSPACE_API_VERSION);
      host = (r.properties as { workspaceUrl?: unknown } | undefined)?.workspaceUrl;
    } catch (e) {
      throw toWardenError(e, 'read Databricks workspace', workspaceResourceId);
    }
    if (typeof host !== 'string' || host.length === 0)
      throw new ValidationError('Databricks workspace', [
        { path: 'properties.workspaceUrl', message: `${workspaceResourceId} has no workspace URL` },
      ]);
    const url = `https://${host.replace(/^https:\/\//, '').replace(/\/+$/, '')}`;
    this.urls.set(key, url);
    return url;
  }

  /** A call to the workspace's REST API as Warden (Entra token). */
  async call(workspaceResourceId: string, method: string, path: string, body?: unknown): Promise<DataPlaneResponse> {
    const base = await this.workspaceUrl(workspaceResourceId);
    const token = await this.credential.getToken(`${DATABRICKS_AUDIENCE}/.default`);
    if (!token) throw new TransientCloudError('no Entra token for the AzureDatabricks application');
    return dataPlaneRequest(this.http, {
      method,
      url: `${base}${path}`,
      headers: {
        authorization: `Bearer ${token.token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }
}

export class AzureDatabricksTokens implements DatabricksTokensPort {
  constructor(private readonly workspaces: DatabricksWorkspaceClient) {}

  async createOnBehalfOf(
    workspaceResourceId: string,
    applicationId: string,
    lifetimeSeconds: number,
    comment: string,
  ): Promise<IssuedToken> {
    const res = await this.workspaces.call(
      workspaceResourceId,
      'POST',
      '/api/2.0/token-management/on-behalf-of/tokens',
      {
        application_id: applicationId,
        lifetime_seconds: lifetimeSeconds,
        comment,
      },
    );
    if (res.status !== 200 && res.status !== 201)
      throw dataPlaneError(res, `create token on behalf of ${applicationId} in ${workspaceResourceId}`);
    const body = jsonOf(res) as
      { token_value?: unknown; token_info?: { token_id?: unknown; expiry_time?: unknown } } | undefined;
    const value = body?.token_value;
    const tokenId = body?.token_info?.token_id;
    if (typeof value !== 'string' || typeof tokenId !== 'string')
      throw new TransientCloudError(`token-management answered without a token id or value (${workspaceResourceId})`);
    const expiry = body?.token_info?.expiry_time;
    const expiresAt = typeof expiry === 'number' && expiry > 0 ? new Date(expiry).toISOString() : null;
    return { tokenId, value, expiresAt };
  }

  async deleteToken(workspaceResourceId: string, tokenId: string): Promise<void> {
    const res = await this.workspaces.call(
      workspaceResourceId,
      'DELETE',
      `/api/2.0/token-management/tokens/${encodeURIComponent(tokenId)}`,
    );
    if (res.status === 200 || res.status === 204 || res.status === 404) return;
    throw dataPlaneError(res, `delete token ${tokenId} in ${workspaceResourceId}`);
  }
}
