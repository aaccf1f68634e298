import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Clock } from '../clock/shared-clock';
import type { FunctionHost } from './function-host';

/** Structured logging for the runtime: one JSON line per entry off a terminal. Never pass secret values. */
export interface RuntimeLogger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Handles a request under a prefix registered with {@link RuntimeServices.addSystemRoute}. */
export type SystemRouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/**
 * What the runtime's composition root hands every component (trigger listeners, the durable engine, the broker).
 *
 * @remarks
 * Components never import each other; they meet here. The HTTP listener owns the port and routes `/api/...` to
 * HTTP-triggered functions; everything else (`/runtime/webhooks/...`, `/admin/...`) is a system route.
 */
export interface RuntimeServices {
  readonly host: FunctionHost;
  readonly clock: Clock;
  readonly logger: RuntimeLogger;
  /** Directory for the runtime's durable state (`.warden/runtime` by default). */
  readonly stateDir: string;
  /** The environment after local.settings.json injection; binding expressions (%NAME%) resolve against it. */
  readonly env: NodeJS.ProcessEnv;
  /** host.json as read at start-up (the runtime honours what it implements and warns about the rest). */
  readonly hostJson: Record<string, unknown>;
  /** Base URL of the runtime's HTTP listener, e.g. http://localhost:7071 (known once it listens). */
  baseUrl(): string;
  /** Routes every request whose path starts with `prefix` (outside the HTTP-trigger route prefix) to `handler`. */
  addSystemRoute(prefix: string, handler: SystemRouteHandler): void;
  /** Resolves `%SETTING%` binding expressions against {@link env}; throws naming an unset setting. */
  resolveSetting(value: string): string;
}

/** A part of the runtime with a lifecycle: started after the app is loaded, stopped (drained) on shutdown. */
export interface RuntimeComponent {
  readonly name: string;
  /** Trigger binding types this component serves, e.g. `['timerTrigger']`; start-up fails for unserved ones. */
  readonly triggerTypes: readonly string[];
  /**
   * Optional: the dotted host.json paths this component honours (e.g. `extensions.serviceBus.maxConcurrentCalls`), so
   * the start-up warning can name the settings of its section it ignores. Without it the whole section counts as read.
   */
  readonly hostJsonSettings?: readonly string[];
  start(services: RuntimeServices): Promise<void>;
  /** Stop accepting work, let in-flight invocations finish or release their locks. */
  stop(): Promise<void>;
}
