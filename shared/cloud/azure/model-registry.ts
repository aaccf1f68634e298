/**
 * `ModelRegistryPort` on `@azure/arm-machinelearning` 2.1.1 (api-version 2022-10-01): model version tags inside
 * `properties.tags` (GET, merge, PUT of the whole version), online endpoints read with their deployments, traffic
 * moved by a full PUT of the endpoint read just before (`beginUpdate` cannot carry traffic), keys regenerated.
 */
import { AzureMachineLearningWorkspaces, type OnlineEndpoint } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/identity';

import type { DeploymentInfo } from '../../domain/models/traffic-plan';
import type { ModelRegistryPort, ModelVersionRef, OnlineEndpointState } from '../ports/model-registry.port';
import { ARM_AUDIENCE, armErrorInfo, toWardenError } from './arm-clients';

interface Parsed {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly endpoint?: string;
}

function parseWorkspaceId(id: string): Parsed {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)(?:\/onlineEndpoints\/([^/]+))?\/?$/i.exec(
      id,
    );
  if (!m?.[1] || !m[2] || !m[3]) throw new Error(`not an Azure ML workspace or online endpoint id: ${id}`);
  return { subscription: m[1], resourceGroup: m[2], workspace: m[3], ...(m[4] ? { endpoint: m[4] } : {}) };
}

/** The model version a deployment's `model` reference names (an ARM id `…/models/m/versions/3` or `azureml:m:3`). */
export function versionOfModelRef(model: string | undefined): string | undefined {
  if (!model) return undefined;
  const arm = /\/models\/[^/]+\/versions\/([^/]+)\/?$/i.exec(model);
  if (arm?.[1]) return arm[1];
  const short = /^azureml:(?:\/\/)?[^:]+:([^:/]+)$/i.exec(model);
  return short?.[1];
}

function stringTags(tags: Readonly<Record<string, string | null>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

export interface ModelRegistryOptions {
  readonly credential: TokenCredential;
  /** ARM endpoint (https://management.azure.com, or the emulator's). */
  readonly endpoint: string;
  readonly tlsCa?: string;
  /** LRO polling interval (tests: short). */
  readonly pollIntervalMs?: number;
}

export class AzureModelRegistry implements ModelRegistryPort {
  private readonly clients = new Map<string, AzureMachineLearningWorkspaces>();

  constructor(private readonly options: ModelRegistryOptions) {}

  private client(subscription: string): AzureMachineLearningWorkspaces {
    let c = this.clients.get(subscription.toLowerCase());
    if (!c) {
      const endpoint = this.options.endpoint.replace(/\/+$/, '');
      c = new AzureMachineLearningWorkspaces(this.options.credential, subscription, {
        endpoint,
        credentialScopes: [`${ARM_AUDIENCE}/.default`],
        retryOptions: { maxRetries: 3 },
        ...(this.options.tlsCa !== undefined ? { tlsOptions: { ca: this.options.tlsCa } } : {}),
      });
      this.clients.set(subscription.toLowerCase(), c);
    }
    return c;
  }

  private get poll() {
    return { updateIntervalInMs: this.options.pollIntervalMs ?? 2000 };
  }

  async getVersionTags(ref: ModelVersionRef): Promise<Readonly<Record<string, string>> | undefined> {
    const w = parseWorkspaceId(ref.workspaceId);
    try {
      const v = await this.client(w.subscription).modelVersions.get(
        w.resourceGroup,
        w.workspace,
        ref.name,
        ref.version,
      );
      return stringTags(v.properties.tags);
    } catch (e) {
      if (armErrorInfo(e).status === 404) return undefined;
      throw toWardenError(e, 'read model version', `${ref.name}:${ref.version}`);
    }
  }

  async setVersionTags(
    ref: ModelVersionRef,
    tags: Readonly<Record<string, string | null>>,
  ): Promise<Record<string, string>> {
    const w = parseWorkspaceId(ref.workspaceId);
    const c = this.client(w.subscription);
    const target = `${ref.name}:${ref.version}`;
    try {
      const current = await c.modelVersions.get(w.resourceGroup, w.workspace, ref.name, ref.version);
      const next: Record<string, string> = stringTags(current.properties.tags);
      for (const [k, v] of Object.entries(tags)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      const written = await c.modelVersions.createOrUpdate(w.resourceGroup, w.workspace, ref.name, ref.version, {
        properties: { ...current.properties, tags: next },
      });
      return written.properties.tags ? stringTags(written.properties.tags) : next;
    } catch (e) {
      throw toWardenError(e, 'tag model version', target);
    }
  }

  async getEndpoint(endpointId: string): Promise<OnlineEndpointState | undefined> {
    const p = parseWorkspaceId(endpointId);
    if (!p.endpoint) throw new Error(`not an online endpoint id: ${endpointId}`);
    const c = this.client(p.subscription);
    try {
      const ep = await c.onlineEndpoints.get(p.resourceGroup, p.workspace, p.endpoint);
      const deployments: DeploymentInfo[] = [];
      for await (const d of c.onlineDeployments.list(p.resourceGroup, p.workspace, p.endpoint))
        if (d.name) deployments.push({ name: d.name, modelVersion: versionOfModelRef(d.properties.model) });
      return {
        id: ep.id ?? endpointId,
        location: ep.location,
        authMode: ep.properties.authMode,
        traffic: { ...(ep.properties.traffic ?? {}) },
        deployments,
      };
    } catch (e) {
      if (armErrorInfo(e).status === 404) return undefined;
      throw toWardenError(e, 'read online endpoint', endpointId);
    }
  }

  async setTraffic(endpointId: string, traffic: Readonly<Record<string, number>>): Promise<Record<string, number>> {
    const p = parseWorkspaceId(endpointId);
    if (!p.endpoint) throw new Error(`not an online endpoint id: ${endpointId}`);
    const c = this.client(p.subscription);
    try {
      const ep = await c.onlineEndpoints.get(p.resourceGroup, p.workspace, p.endpoint);
      const body: OnlineEndpoint = {
        location: ep.location,
        ...(ep.tags ? { tags: ep.tags } : {}),
        ...(ep.identity ? { identity: ep.identity } : {}),
        ...(ep.kind ? { kind: ep.kind } : {}),
        ...(ep.sku ? { sku: ep.sku } : {}),
        properties: { ...ep.properties, traffic: { ...traffic } },
      };
      const written = await c.onlineEndpoints.beginCreateOrUpdateAndWait(
        p.resourceGroup,
        p.workspace,
        p.endpoint,
        body,
        this.poll,
      );
      return { ...(written.properties.traffic ?? traffic) };
    } catch (e) {
      throw toWardenError(e, 'set endpoint traffic', endpointId);
    }
  }

  async regenerateKeys(endpointId: string): Promise<void> {
    const p = parseWorkspaceId(endpointId);
    if (!p.endpoint) throw new Error(`not an online endpoint id: ${endpointId}`);
    const c = this.client(p.subscription);
    try {
      for (const keyType of ['Primary', 'Secondary'] as const)
        await c.onlineEndpoints.beginRegenerateKeysAndWait(
          p.resourceGroup,
          p.workspace,
          p.endpoint,
          { keyType },
          this.poll,
        );
    } catch (e) {
      throw toWardenError(e, 'regenerate endpoint keys', endpointId);
    }
  }
}
