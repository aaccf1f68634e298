import Module from 'node:module';

import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  LogCategory,
  LogLevel,
  ProgrammingModel,
} from './core-types';

/** What the app registered while its entry point loaded. */
export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

export class Disposable {
  constructor(private readonly onDispose: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.onDispose();
  }
}

export type SystemLogSink = (level: LogLevel, category: LogCategory, message: string) => void;

/**
 * The `@azure/functions-core` module as the Node worker provides it (`setupCoreModule.ts`), holding the
 * registrations the app makes during start-up.
 *
 * @remarks
 * `@azure/functions` requires this module lazily and caches a miss forever ("test mode": registrations silently
 * skipped), so {@link installCoreApi} must run before anything loads `@azure/functions`.
 */
export class CoreApi {
  readonly version = '3.10.1';
  readonly hostVersion = '4.1040.0-warden-local';
  readonly Disposable = Disposable;
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    appStart: [],
    appTerminate: [],
    preInvocation: [],
    postInvocation: [],
    log: [],
  };
  /** Names registered more than once; the host refuses to start with any (the worker throws on the second). */
  readonly duplicates: string[] = [];
  private programmingModel: ProgrammingModel | undefined;
  private locked = false;
  private sink: SystemLogSink = () => undefined;

  registerFunction = (metadata: FunctionMetadata, callback: FunctionCallback): Disposable => {
    if (this.locked) throw new Error('A function can only be registered during app startup.');
    const id = metadata.functionId ?? metadata.name;
    if (this.functions.has(id)) {
      this.duplicates.push(id);
      throw new Error(`A function with the name "${id}" has already been registered.`);
    }
    this.functions.set(id, { metadata, callback });
    return new Disposable(() => this.functions.delete(id));
  };

  registerHook = (name: string, callback: HookCallback): Disposable => {
    if (!(name in this.hooks)) {
      const error = new RangeError(`Unrecognized hook "${name}"`) as RangeError & {
        isAzureFunctionsSystemError?: boolean;
      };
      error.isAzureFunctionsSystemError = true;
      throw error;
    }
    const list = this.hooks[name as HookName];
    list.push(callback);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  };

  setProgrammingModel = (model: ProgrammingModel): void => {
    this.programmingModel = model;
  };

  getProgrammingModel = (): ProgrammingModel | undefined => this.programmingModel;

  log = (level: LogLevel, category: LogCategory, message: string): void => {
    const hooked = this.runLogHooks(level, category, message, undefined);
    if (hooked) this.sink(hooked.level, category, hooked.message);
  };

  private logHookAppData: Record<string, unknown> = {};
  private inLogHook = false;

  /** The app-wide `appHookData` log hooks receive (set once the app has loaded). */
  setLogHookData(appHookData: Record<string, unknown>): void {
    this.logHookAppData = appHookData;
  }

  /**
   * Runs the `log` hooks on one log entry, as the worker does: each may change `level` and `message`. A hook that
   * throws is skipped (and a log written from inside a hook is not hooked again). Returns undefined for level `none`.
   */
  runLogHooks(
    level: LogLevel,
    category: LogCategory,
    message: string,
    invocationContext: unknown,
  ): { level: LogLevel; message: string } | undefined {
    if (this.hooks.log.length === 0 || this.inLogHook) return { level, message };
    const ctx: Record<string, unknown> = {
      hookData: {},
      appHookData: this.logHookAppData,
      level,
      category,
      message,
      invocationContext,
    };
    this.inLogHook = true;
    try {
      for (const hook of this.hooks.log) {
        try {
          const r = hook(ctx);
          if (r instanceof Promise) r.catch(() => undefined);
        } catch {
          // a failing log hook must not break logging
        }
      }
    } finally {
      this.inLogHook = false;
    }
    const finalLevel = typeof ctx.level === 'string' ? (ctx.level as LogLevel) : level;
    if (finalLevel === 'none') return undefined;
    return { level: finalLevel, message: typeof ctx.message === 'string' ? ctx.message : message };
  }

  setLogSink(sink: SystemLogSink): void {
    this.sink = sink;
  }

  /** Called once start-up is over: from here on `registerFunction` throws, as in the worker. */
  lock(): void {
    this.locked = true;
  }

  /** Whether start-up is over. */
  get isLocked(): boolean {
    return this.locked;
  }

  /**
   * Forgets every registration and hook so another app (or the same app, re-required) can load in this process.
   *
   * @remarks
   * The programming model is kept: `@azure/functions` calls `setProgrammingModel` only on its first registration in
   * a process, and it caches this object, so the same instance must serve every load.
   */
  reset(): void {
    this.functions.clear();
    for (const list of Object.values(this.hooks)) list.length = 0;
    this.duplicates.length = 0;
    this.locked = false;
  }
}

let installed: CoreApi | undefined;

/**
 * Makes `require('@azure/functions-core')` return a {@link CoreApi}, the way the worker does, by wrapping
 * `Module.prototype.require`. Idempotent: one process hosts one app.
 */
export function installCoreApi(): CoreApi {
  if (installed) return installed;
  const core = new CoreApi();
  const proto = Module.prototype as { require: (this: NodeJS.Module, id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg: NodeJS.Module, args: [string]) {
      if (args[0] === '@azure/functions-core') return core;
      return Reflect.apply(target, thisArg, args);
    },
  });
  installed = core;
  return core;
}
