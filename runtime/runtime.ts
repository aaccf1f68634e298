import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { adminRoutes, guardAdmin, healthRoute, type RuntimeState } from './admin/admin-routes';
import { KeyStore } from './admin/key-store';
import { SharedClock } from './clock/shared-clock';
import { createDurableComponent } from './durable/durable-component';
import { EventGridComponent } from './eventgrid/event-grid-component';
import type { LogLevel } from './host/core-types';
import { isFunctionDisabled } from './host/disabled-functions';
import { FunctionHost } from './host/function-host';
import { checkTriggersServed, describeFunction, formatFunctionTable, type FunctionRow } from './host/registrations';
import type { RuntimeComponent, RuntimeLogger, RuntimeServices, SystemRouteHandler } from './host/runtime-services';
import { DEFAULT_BODY_LIMIT, HttpServer } from './http/http-server';
import { HttpTriggerComponent } from './http/http-trigger-component';
import { createLogger } from './logging/runtime-logger';
import { createServiceBusComponent } from './servicebus/service-bus-component';
import { readHostJson } from './settings/host-json';
import { injectLocalSettings } from './settings/local-settings';
import { resolveSettingExpression } from './settings/resolve-setting';
import { createSqlTriggerComponent } from './sql/sql-trigger-component';
import { createTimerComponent } from './timer/timer-component';

export interface StartRuntimeOptions {
  /** The function app's directory (holds package.json, host.json, local.settings.json). */
  appDir: string;
  /** Entry point relative to appDir; defaults to package.json `main`. */
  main?: string;
  /** HTTP port; default local.settings.json `Host.LocalHttpPort`, else 7071; 0 = an ephemeral port (tests). */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  hostname?: string;
  /** Where the runtime keeps keys and component state. */
  stateDir: string;
  /**
   * Variables set in `process.env` before the app loads (they win over local.settings.json, as the launcher's
   * environment does) and restored on stop.
   */
  env?: Record<string, string>;
  /** Defaults to `<appDir>/local.settings.json` (a missing file is fine). `null` = read none. */
  localSettingsPath?: string | null;
  /**
   * Trigger components besides the built-in HTTP and Event Grid ones (replacing the defaults). Default:
   * {@link defaultComponents} — timer, SQL, Service Bus and durable.
   */
  components?: RuntimeComponent[];
  /** Defaults to the structured logger on stdout. */
  logger?: RuntimeLogger;
  /** Defaults to `SharedClock.fromEnv` over the environment after settings injection. */
  clock?: SharedClock;
  /** Bound on how long stop() waits for in-flight invocations (ms, default 30 000). */
  drainTimeoutMs?: number;
  /** Print the function table (default true). */
  printTable?: boolean;
}

/** A started runtime. */
export interface RunningRuntime {
  /** e.g. http://127.0.0.1:7071 */
  readonly baseUrl: string;
  readonly host: FunctionHost;
  readonly services: RuntimeServices;
  /** The key store; `keys.masterKey` opens `/admin/...` (header `x-functions-key`). */
  readonly keys: KeyStore;
  readonly functions: FunctionRow[];
  /** Stop accepting, drain in-flight invocations (bounded), stop components, run appTerminate hooks. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The trigger components beyond HTTP and Event Grid, with their default settings: timers, SQL changes, the embedded
 * Service Bus broker and the durable engine. Each reads its host.json section through {@link RuntimeServices.hostJson}.
 */
export function defaultComponents(): RuntimeComponent[] {
  // The durable engine first: it provides the durableClient input binding that functions fired by the other
  // triggers use (a SQL batch polled before it started would fail once); stopped last, after the triggers drained.
  return [createDurableComponent(), createTimerComponent(), createSqlTriggerComponent(), createServiceBusComponent()];
}

const LOG_LEVEL_MAP: Record<LogLevel, 'debug' | 'info' | 'warn' | 'error' | undefined> = {
  trace: 'debug',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  none: undefined,
};

/**
 * Starts the local Functions runtime for an app: settings, app load (registration capture), HTTP listener, every
 * component; fails with a clear message when a function cannot be served.
 *
 * @remarks
 * One app per process (as with the worker); a later call after stop() reloads the app's modules. Order: env and
 * local.settings.json → host.json → key store → load the app → check triggers → listen → start components → ready
 * (`GET /admin/health` 200).
 */
export async function startRuntime(options: StartRuntimeOptions): Promise<RunningRuntime> {
  if (running) {
    throw new Error(
      `A runtime for ${running} is already running in this process; stop() it first (one app per process, as with the worker).`,
    );
  }
  running = path.resolve(options.appDir);
  try {
    return await startOnce(options);
  } catch (e) {
    running = undefined;
    throw e;
  }
}

/** The app directory of the runtime running in this process, if any. */
let running: string | undefined;

async function startOnce(options: StartRuntimeOptions): Promise<RunningRuntime> {
  const logger = options.logger ?? createLogger();
  const appDir = path.resolve(options.appDir);
  const stateDir = path.resolve(options.stateDir);
  const injected: string[] = [];
  const restoreEnv = applyEnv(options.env ?? {}, injected);
  let state: RuntimeState = 'starting';
  const started: RuntimeComponent[] = [];
  let server: HttpServer | undefined;
  let host: FunctionHost | undefined;
  try {
    const localSettings =
      options.localSettingsPath === null
        ? undefined
        : (options.localSettingsPath ?? path.join(appDir, 'local.settings.json'));
    const settings = injectLocalSettings(localSettings, process.env, logger);
    injected.push(...settings.injected);
    if (settings.file) logger.info('settings.loaded', { file: settings.file, injected: settings.injected.length });
    const extraComponents = options.components ?? defaultComponents();
    const hostJson = readHostJson(
      appDir,
      logger,
      extraComponents.flatMap((c) => c.hostJsonSettings ?? []),
    );
    mkdirSync(stateDir, { recursive: true });
    const keys = KeyStore.open(stateDir);
    const clock = options.clock ?? SharedClock.fromEnv(process.env);
    const bodyLimit = parseBodyLimit(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT);

    host = await FunctionHost.load({
      appDir,
      ...(options.main !== undefined ? { main: options.main } : {}),
      systemLog: (level, category, message) => {
        const l = LOG_LEVEL_MAP[level];
        if (l) logger[l]('worker.log', { category, message });
      },
    });
    const loadedHost = host;
    loadedHost.setObserver({
      log: (e) => {
        const l = LOG_LEVEL_MAP[e.level];
        if (l)
          logger[l]('function.log', {
            functionName: e.functionName,
            invocationId: e.invocationId,
            category: e.category,
            message: e.message,
          });
      },
      started: (i) =>
        logger.debug('function.start', {
          functionName: i.functionName,
          invocationId: i.invocationId,
          retryCount: i.retryCount,
        }),
      finished: (i) =>
        i.error
          ? logger.error('function.failed', {
              functionName: i.functionName,
              invocationId: i.invocationId,
              durationMs: i.durationMs,
              error: i.error.message,
              stack: i.error.stack,
            })
          : logger.info('function.succeeded', {
              functionName: i.functionName,
              invocationId: i.invocationId,
              durationMs: i.durationMs,
            }),
    });

    const httpServer = new HttpServer(logger, options.hostname ?? '127.0.0.1');
    server = httpServer;
    const components: RuntimeComponent[] = [
      new HttpTriggerComponent({
        routePrefix: hostJson.routePrefix,
        keys,
        bodyLimit,
        addRoute: (prefix, handler) => httpServer.addRoute(prefix, handler),
      }),
      new EventGridComponent({ keys, bodyLimit }),
      ...extraComponents,
    ];
    checkTriggersServed(loadedHost.functions.values(), components);
    const rows = [...loadedHost.functions.values()].map((fn) => {
      const row = describeFunction(fn, hostJson.routePrefix);
      return isFunctionDisabled(process.env, row.name) ? { ...row, source: `${row.source} (disabled)` } : row;
    });

    const services: RuntimeServices = {
      host: loadedHost,
      clock,
      logger,
      stateDir,
      env: process.env,
      hostJson: hostJson.raw,
      baseUrl: () => httpServer.baseUrl(),
      addSystemRoute: (prefix: string, handler: SystemRouteHandler) => {
        const isAdmin = /^\/?admin(\/|$)/i.test(prefix);
        httpServer.addRoute(prefix, isAdmin ? guardAdmin(keys, handler) : handler);
      },
      resolveSetting: (value: string) => resolveSettingExpression(value, process.env),
    };
    const adminCtx = {
      keys,
      clock,
      logger,
      state: () => state,
      functions: () => rows,
      components: () => components.map((c) => c.name),
      baseUrl: () => httpServer.baseUrl(),
    };
    httpServer.addRoute('/admin/health', healthRoute(adminCtx));
    httpServer.addRoute('/admin', guardAdmin(keys, adminRoutes(adminCtx)));
    await httpServer.listen(options.port ?? localHttpPort(settings.host, logger) ?? 7071);

    for (const component of components) {
      await component.start(services);
      started.push(component);
    }
    const unserved = loadedHost.unsupportedBindings();
    if (unserved.length > 0) {
      logger.warn('runtime.unsupported-bindings', {
        message: 'No component handles these bindings; invocations that use them will fail.',
        bindings: unserved,
      });
    }
    if (options.printTable !== false) {
      process.stdout.write(`\nFunctions (${rows.length}):\n${formatFunctionTable(rows)}\n\n`);
    }
    state = 'ready';
    logger.info('runtime.ready', {
      baseUrl: httpServer.baseUrl(),
      functions: rows.length,
      components: components.map((c) => c.name),
    });

    const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        state = 'stopping';
        logger.info('runtime.stopping', { inFlight: loadedHost.inFlight });
        const httpDrained = await httpServer.close(drainTimeoutMs);
        for (const component of [...started].reverse()) {
          try {
            await component.stop();
          } catch (e) {
            logger.error('runtime.component-stop-failed', { component: component.name, error: (e as Error).message });
          }
        }
        const drained = await loadedHost.drain(drainTimeoutMs);
        if (!httpDrained || !drained) {
          logger.warn('runtime.drain-timeout', { inFlight: loadedHost.inFlight, timeoutMs: drainTimeoutMs });
        }
        try {
          await loadedHost.terminate();
        } catch (e) {
          logger.error('runtime.app-terminate-failed', { error: (e as Error).message });
        }
        restoreEnv();
        running = undefined;
        state = 'stopped';
        logger.info('runtime.stopped', {});
      })());
    return { baseUrl: httpServer.baseUrl(), host: loadedHost, services, keys, functions: rows, stop };
  } catch (e) {
    for (const component of [...started].reverse()) {
      await component.stop().catch(() => undefined);
    }
    await server?.close(0).catch(() => false);
    restoreEnv();
    throw e;
  }
}

/** `Host.LocalHttpPort` of local.settings.json (what func start listens on without --port); CORS is not implemented. */
function localHttpPort(host: Record<string, unknown>, logger: RuntimeLogger): number | undefined {
  if (host.CORS !== undefined || host.CORSCredentials !== undefined) {
    logger.warn('settings.cors-ignored', {
      message: 'local.settings.json Host.CORS is not implemented by this runtime; no CORS headers are added.',
    });
  }
  const port = Number(host.LocalHttpPort);
  return host.LocalHttpPort !== undefined && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

function parseBodyLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_BODY_LIMIT;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new Error(
      `Start-up failed: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes, got "${value}".`,
    );
  }
  return n;
}

/** Sets variables in process.env and returns a function restoring what was there. */
function applyEnv(vars: Record<string, string>, injected: string[]): () => void {
  const before = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    before.set(k, process.env[k]);
    process.env[k] = v;
  }
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    // Variables local.settings.json injected are removed too, so the next runtime in this process starts clean.
    for (const k of injected) if (!before.has(k)) delete process.env[k];
  };
}
