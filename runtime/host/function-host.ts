import { randomUUID } from 'node:crypto';
import { globSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { type CoreApi, installCoreApi, type RegisteredFunction } from './core-api';
import type {
  CoreInvocationContext,
  LogCategory,
  LogLevel,
  ProgrammingModel,
  RpcBindingInfo,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcTypedData,
} from './core-types';

/** The capabilities the Node worker reports by default (`getWorkerCapabilities.ts`). */
const WORKER_CAPABILITIES: Record<string, string> = {
  RawHttpBodyBytes: 'true',
  RpcHttpTriggerMetadataRemoved: 'true',
  RpcHttpBodyOnly: 'true',
  IgnoreEmptyValuedRpcHttpHeaders: 'true',
  UseNullableValueDictionaryForHttp: 'true',
  WorkerStatus: 'true',
  TypedDataCollection: 'true',
  HandlesWorkerTerminateMessage: 'true',
};

export interface InvocationLogEntry {
  invocationId: string;
  functionName: string;
  level: LogLevel;
  category: LogCategory;
  message: string;
}

/** What the host reports about every invocation (logging, metrics, drain). */
export interface InvocationObserver {
  /** A log line from the app (`context.log`) or the library, carrying the invocation id. */
  log?(entry: InvocationLogEntry): void;
  /** An invocation is about to start. */
  started?(info: { invocationId: string; functionName: string; retryCount?: number }): void;
  /** An invocation finished; `error` is set for a failure. */
  finished?(info: { invocationId: string; functionName: string; durationMs: number; error?: Error }): void;
}

/** Supplies the value of a non-trigger input binding (e.g. `durableClient`) for one invocation. */
export type InputBindingProvider = (
  fn: RegisteredFunction,
  bindingName: string,
  binding: RpcBindingInfo,
) => RpcTypedData | Promise<RpcTypedData>;

/**
 * Consumes one output binding's value after a successful invocation (e.g. `serviceBus`, `eventGrid`). A handler
 * that throws fails the invocation, as an output binding failure does in the Functions host.
 */
export type OutputBindingHandler = (
  fn: RegisteredFunction,
  bindingName: string,
  binding: RpcBindingInfo,
  data: RpcTypedData,
) => Promise<void>;

export interface InvokeOptions {
  /** Defaults to a new UUID, as the host assigns one per invocation. */
  invocationId?: string;
  request: Omit<RpcInvocationRequest, 'invocationId' | 'functionId'>;
  onLog?: (entry: InvocationLogEntry) => void;
}

/** The outcome of one invocation, as the worker reports it to the host. */
export type InvocationResult =
  { status: 'success'; response: RpcInvocationResponse } | { status: 'failure'; error: Error };

/** The binding that triggers a function, found by `type` (names are the app's choice). */
export function triggerBindingOf(fn: RegisteredFunction): { name: string; binding: RpcBindingInfo } {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction === 'in' && typeof binding.type === 'string' && /trigger$/i.test(binding.type)) {
      return { name, binding };
    }
  }
  throw new Error(`Function "${fn.metadata.name}" has no trigger binding.`);
}

/**
 * Loads a v4 Node.js programming-model app and invokes its functions through the same sequence the Node worker
 * uses: invocation model, arguments, pre-invocation hooks, invoke, post-invocation hooks, response.
 *
 * @remarks
 * One process hosts one app, as with the real worker. The app is loaded from `package.json` `main`
 * (see ../shared/reference/functions-host-contract.md §1.4).
 */
export class FunctionHost {
  private readonly inputProviders = new Map<string, InputBindingProvider>();
  private readonly outputHandlers = new Map<string, OutputBindingHandler>();
  private observer: InvocationObserver = {};
  private active = 0;
  private readonly idleWaiters = new Set<() => void>();

  private constructor(
    readonly appDir: string,
    private readonly core: CoreApi,
    private readonly model: ProgrammingModel,
    /** The worker's app-level hook data: `hookData` of appStart/appTerminate, `appHookData` of the others. */
    private readonly appHookData: Record<string, unknown>,
  ) {}

  get functions(): ReadonlyMap<string, RegisteredFunction> {
    return this.core.functions;
  }

  get coreApi(): CoreApi {
    return this.core;
  }

  /**
   * Installs the core module, loads the app's entry point(s), runs `appStart` hooks, asks for capabilities and
   * locks registration. Throws with a clear message when nothing registered.
   */
  static async load(options: {
    appDir: string;
    /** Overrides package.json `main` (a path relative to appDir; a glob, as the worker allows). */
    main?: string;
    systemLog?: (level: LogLevel, category: LogCategory, message: string) => void;
  }): Promise<FunctionHost> {
    const core = installCoreApi();
    if (options.systemLog) core.setLogSink(options.systemLog);
    const appDir = path.resolve(options.appDir);
    const main = options.main ?? readMain(appDir);
    const entries = resolveEntries(appDir, main);
    const entry = entries.join(', ');
    if (loadedDirs.size > 0) {
      // A previous load in this process (tests, restart): start from a clean registry and re-run the app's modules.
      core.reset();
      for (const dir of new Set([...loadedDirs, appDir, ...entries.map((e) => path.dirname(e))])) purgeAppModules(dir);
    }
    loadedDirs.add(appDir);
    for (const e of entries) loadedDirs.add(path.dirname(e));
    for (const file of entries) {
      try {
        if (file.endsWith('.mjs')) {
          await import(pathToFileURL(file).href);
        } else {
          // The worker require()s CommonJS entry points; the core-module shim only intercepts CommonJS loads.
          createRequire(__filename)(file);
        }
      } catch (e) {
        if (core.duplicates.length > 0) break; // reported below, with every duplicate name
        throw new Error(`Start-up failed: the app's entry point ${file} threw while loading: ${toError(e).message}`, {
          cause: e,
        });
      }
    }
    if (core.duplicates.length > 0) {
      throw new Error(
        `Start-up failed: more than one function is named ${[...new Set(core.duplicates)].map((d) => `"${d}"`).join(', ')}; function names must be unique.`,
      );
    }
    if (core.functions.size === 0) {
      throw new Error(
        `Start-up failed: no function registered by ${entry}. Is "@azure/functions" one copy shared with the app?`,
      );
    }
    const model = core.getProgrammingModel();
    if (!model) throw new Error('Start-up failed: the app registered functions but no programming model.');
    const appHookData: Record<string, unknown> = {};
    for (const hook of core.hooks.appStart) {
      await hook({ hookData: appHookData, appHookData, functionAppDirectory: appDir });
    }
    const capabilities = model.getCapabilities ? await model.getCapabilities({ ...WORKER_CAPABILITIES }) : {};
    if (capabilities.HttpUri) {
      // The library started its streaming proxy: requests would have to be forwarded to it, which this host does not do.
      throw new Error(
        'Start-up failed: the app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local runtime does not support; remove it to run locally.',
      );
    }
    core.lock();
    core.setLogHookData(appHookData);
    return new FunctionHost(appDir, core, model, appHookData);
  }

  /** Registers the provider of an input binding type; the host fills such bindings on every invocation. */
  addInputBindingProvider(type: string, provider: InputBindingProvider): void {
    this.inputProviders.set(type.toLowerCase(), provider);
  }

  /** Registers the consumer of an output binding type; the host hands it outputs after each successful invocation. */
  addOutputBindingHandler(type: string, handler: OutputBindingHandler): void {
    this.outputHandlers.set(type.toLowerCase(), handler);
  }

  /**
   * Non-trigger bindings no provider or handler serves, as `"function: binding (type)"`, for the start-up check
   * (the real host fails to index a function whose binding extension is missing).
   */
  unsupportedBindings(): string[] {
    const problems: string[] = [];
    for (const fn of this.functions.values()) {
      for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
        const type = String(binding.type ?? '').toLowerCase();
        if (binding.direction === 'in' && /trigger$/.test(type)) continue;
        if (name === '$return' && type === 'http') continue;
        const served = binding.direction === 'out' ? this.outputHandlers.has(type) : this.inputProviders.has(type);
        if (!served)
          problems.push(`${fn.metadata.name}: ${name} (${String(binding.type)}, ${String(binding.direction)})`);
      }
    }
    return problems;
  }

  /** Receives logs and start/finish events of every invocation (the runtime's logger). */
  setObserver(observer: InvocationObserver): void {
    this.observer = observer;
  }

  /** Invocations currently running. */
  get inFlight(): number {
    return this.active;
  }

  /** Resolves true once no invocation runs, or false after `timeoutMs` with some still running. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return true;
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  /** Runs the `appTerminate` hooks (on shutdown). */
  async terminate(): Promise<void> {
    for (const hook of this.core.hooks.appTerminate) {
      await hook({ hookData: this.appHookData, appHookData: this.appHookData });
    }
  }

  /** Invokes one function the way the worker's `InvocationHandler` does. Never throws for a handler failure. */
  async invoke(functionName: string, options: InvokeOptions): Promise<InvocationResult> {
    const fn = this.core.functions.get(functionName);
    if (!fn) throw new Error(`No function named "${functionName}".`);
    const invocationId = options.invocationId ?? randomUUID();
    const started = performance.now();
    this.active++;
    const retryCount = options.request.retryContext?.retryCount ?? undefined;
    this.observer.started?.({ invocationId, functionName, ...(retryCount != null ? { retryCount } : {}) });
    let result: InvocationResult | undefined;
    try {
      result = await this.invokeOnce(fn, functionName, invocationId, options);
      return result;
    } finally {
      this.active--;
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      this.observer.finished?.({
        invocationId,
        functionName,
        durationMs,
        ...(result?.status === 'failure' ? { error: result.error } : {}),
      });
      if (this.active === 0) for (const w of [...this.idleWaiters]) w();
    }
  }

  private async invokeOnce(
    fn: RegisteredFunction,
    functionName: string,
    invocationId: string,
    options: InvokeOptions,
  ): Promise<InvocationResult> {
    const onLog = options.onLog;
    const observer = this.observer;
    let inputData: RpcParameterBinding[];
    try {
      inputData = await this.withProvidedInputs(fn, options.request.inputData ?? []);
    } catch (e) {
      return { status: 'failure', error: toError(e) };
    }
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: { ...options.request, inputData, invocationId, functionId: functionName },
      metadata: { ...fn.metadata, name: fn.metadata.name, bindings: fn.metadata.bindings },
      state: undefined,
      log: (level, category, message) => {
        // Log hooks (`app.hook.log`) see every log first and may change its level or message, as in the worker.
        const hooked = this.core.runLogHooks(level, category, message, invocationContext);
        if (!hooked) return;
        const entry = { invocationId, functionName, level: hooked.level, category, message: hooked.message };
        observer.log?.(entry);
        onLog?.(entry);
      },
    };
    const appHookData = this.appHookData;
    let invocationContext: unknown;
    try {
      const model = await this.model.getInvocationModel(coreCtx);
      const { context, inputs } = await model.getArguments();
      invocationContext = context;
      const pre = { hookData: {}, appHookData, invocationContext: context, inputs, functionCallback: fn.callback };
      coreCtx.state = 'preInvocationHooks';
      for (const hook of this.core.hooks.preInvocation) await hook(pre);
      coreCtx.state = 'invocation';
      let result: unknown;
      let error: unknown;
      try {
        result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
      } catch (e) {
        error = e;
      }
      const post = {
        hookData: pre.hookData,
        appHookData,
        invocationContext: context,
        inputs: pre.inputs,
        result,
        error,
      };
      coreCtx.state = 'postInvocationHooks';
      for (const hook of this.core.hooks.postInvocation) await hook(post);
      coreCtx.state = undefined;
      if (post.error !== undefined && post.error !== null) return { status: 'failure', error: toError(post.error) };
      const response = await model.getResponse(context, post.result);
      await this.deliverOutputs(fn, response);
      return { status: 'success', response: { ...response, invocationId } };
    } catch (e) {
      return { status: 'failure', error: toError(e) };
    }
  }

  private async withProvidedInputs(
    fn: RegisteredFunction,
    given: RpcParameterBinding[],
  ): Promise<RpcParameterBinding[]> {
    const result = [...given];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'in' || result.some((d) => d.name === name)) continue;
      const provider = this.inputProviders.get(String(binding.type ?? '').toLowerCase());
      if (provider) result.push({ name, data: await provider(fn, name, binding) });
    }
    return result;
  }

  private async deliverOutputs(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
    for (const output of response.outputData ?? []) {
      if (!output.name || !output.data) continue;
      const binding = fn.metadata.bindings[output.name];
      if (!binding) continue;
      const handler = this.outputHandlers.get(String(binding.type ?? '').toLowerCase());
      if (!handler)
        throw new Error(`No handler for output binding "${output.name}" of type "${String(binding.type)}".`);
      await handler(fn, output.name, binding, output.data);
    }
  }
}

/** Directories whose modules an earlier load required (purged before the next load). */
const loadedDirs = new Set<string>();

/** Drops the app's own modules (not its node_modules) from the require cache so a reload re-registers. */
function purgeAppModules(appDir: string): void {
  const prefix = appDir.endsWith(path.sep) ? appDir : appDir + path.sep;
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(prefix) && !id.slice(prefix.length).split(path.sep).includes('node_modules')) {
      delete require.cache[id];
    }
  }
}

/** `main` may be a glob (the worker expands it with globby); each match is loaded in sorted order. */
function resolveEntries(appDir: string, main: string): string[] {
  if (!/[*?[{]/.test(main)) return [path.resolve(appDir, main)];
  const matches = globSync(main, { cwd: appDir })
    .map((f) => path.resolve(appDir, f))
    .sort();
  if (matches.length === 0) {
    throw new Error(`Start-up failed: package.json "main" (${main}) matches no file under ${appDir}.`);
  }
  return matches;
}

function readMain(appDir: string): string {
  const pkg = JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { main?: unknown };
  if (typeof pkg.main !== 'string' || pkg.main.length === 0) {
    throw new Error(`Start-up failed: ${appDir}/package.json has no "main" naming the app's entry point.`);
  }
  return pkg.main;
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
