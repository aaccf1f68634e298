import path from 'node:path';

import type { RpcTypedData } from '../host/core-types';
import type { RuntimeComponent, RuntimeServices } from '../host/runtime-services';
import { durableClientData } from './client-binding';
import { DurableEngine, type ReplayView } from './durable-engine';
import { DurableHttpApi, handleAdmin } from './durable-http-api';
import { DurableStore, type SynchronousMode } from './durable-store';

export interface DurableComponentOptions {
  /** Activities running at once (default 32). */
  maxConcurrentActivities?: number;
  /** Orchestration episodes replayed and committed per transaction (default 256). */
  maxEpisodesPerBatch?: number;
  /** SQLite `synchronous` (default NORMAL: WAL commits survive a process crash; FULL also survives power loss). */
  synchronous?: SynchronousMode;
  /** Largest request body (input, event data) the durable HTTP API accepts (default 1 MiB); larger → 413. */
  maxBodyBytes?: number;
  /** SQLite file (default `<stateDir>/durable.sqlite`). */
  dbFile?: string;
  /** History sent to the library: `extension` (default, as on Azure) or `compact` (see {@link ReplayView}). */
  replayView?: ReplayView;
}

/** The local durable engine as a runtime component (see docs/durable.md). */
export interface DurableComponent extends RuntimeComponent {
  /** The engine once started (for tests, the benchmark and the admin surface). */
  readonly engine: DurableEngine | undefined;
}

/** Hub name used when host.json names none, as the extension does locally. */
export const DEFAULT_TASK_HUB = 'TestHubName';

export function createDurableComponent(options: DurableComponentOptions = {}): DurableComponent {
  let engine: DurableEngine | undefined;
  let store: DurableStore | undefined;
  let hostnameSet: string | undefined;
  return {
    name: 'durable',
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    get engine() {
      return engine;
    },
    start(services: RuntimeServices): Promise<void> {
      const entities = [...services.host.functions.values()]
        .filter((fn) =>
          Object.values(fn.metadata.bindings).some((b) => String(b.type).toLowerCase() === 'entitytrigger'),
        )
        .map((fn) => `'${fn.metadata.name}'`);
      if (entities.length > 0) {
        throw new Error(
          `Start-up failed: durable entities are not supported by the local durable engine, but the app registers ` +
            `${entities.join(', ')} (df.app.entity). Remove them or run under the Azure Functions host.`,
        );
      }
      const hub = taskHubName(services);
      store = new DurableStore(
        options.dbFile ?? path.join(services.stateDir, 'durable.sqlite'),
        options.synchronous ?? 'NORMAL',
      );
      engine = new DurableEngine({
        store,
        host: services.host,
        clock: services.clock,
        logger: services.logger,
        ...(options.maxConcurrentActivities ? { maxConcurrentActivities: options.maxConcurrentActivities } : {}),
        ...(options.maxEpisodesPerBatch ? { maxEpisodesPerBatch: options.maxEpisodesPerBatch } : {}),
        replayView:
          options.replayView ?? (services.env.WARDEN_DURABLE_REPLAY_VIEW === 'compact' ? 'compact' : 'extension'),
      });
      const api = new DurableHttpApi({
        engine,
        taskHubName: () => hub,
        maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      });
      const provide = (): RpcTypedData => {
        const origin = new URL(services.baseUrl()).origin;
        // getClient rewrites management URL origins to localhost:7071 unless WEBSITE_HOSTNAME is set (§7.1).
        const host = new URL(origin).host;
        if (!process.env.WEBSITE_HOSTNAME) {
          process.env.WEBSITE_HOSTNAME = host;
          hostnameSet = host;
        }
        if (!services.env.WEBSITE_HOSTNAME) services.env.WEBSITE_HOSTNAME = host;
        return { json: JSON.stringify(durableClientData(origin, hub)) };
      };
      services.host.addInputBindingProvider('durableClient', provide);
      services.host.addInputBindingProvider('orchestrationClient', provide);
      const e = engine;
      services.addSystemRoute('/runtime/webhooks/durabletask/', (req, res, url) => api.handle(req, res, url));
      services.addSystemRoute('/admin/durable', (req, res, url) => handleAdmin(e, req, res, url));
      engine.start();
      services.logger.info('durable.started', {
        taskHub: hub,
        db: store.file,
        synchronous: store.synchronous,
        orchestrators: engine.orchestratorNames().length,
        activities: engine.functionsOfType('activityTrigger').length,
      });
      return Promise.resolve();
    },
    async stop(): Promise<void> {
      await engine?.stop();
      store?.close();
      store = undefined;
      // Leave the environment as found (a later runtime in this process may listen elsewhere).
      if (hostnameSet !== undefined && process.env.WEBSITE_HOSTNAME === hostnameSet)
        delete process.env.WEBSITE_HOSTNAME;
      hostnameSet = undefined;
    },
  };
}

function taskHubName(services: RuntimeServices): string {
  const extensions = (services.hostJson.extensions ?? {}) as Record<string, unknown>;
  const durable = (extensions.durableTask ?? {}) as Record<string, unknown>;
  const raw = typeof durable.hubName === 'string' ? durable.hubName : undefined;
  if (!raw) return DEFAULT_TASK_HUB;
  try {
    return services.resolveSetting(raw);
  } catch (e) {
    services.logger.warn('durable.hub_name_unresolved', {
      hubName: raw,
      fallback: DEFAULT_TASK_HUB,
      reason: e instanceof Error ? e.message : String(e),
    });
    return DEFAULT_TASK_HUB;
  }
}
