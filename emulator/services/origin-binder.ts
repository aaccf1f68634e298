/**
 * One data-plane origin per ARM resource: opens `ctx.openOrigin(<real host>)` for every resource of a type (seeded
 * ones, and ones created later through ARM — re-checked every second) and registers the data plane's routes on it.
 */
import type { EmulatorContext, Router } from '../core/module';
import { type ArmResource, listArmResources } from './arm-resources';

export class OriginBinder {
  private readonly bound = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly type: string,
    /** The real host name of a resource's data plane, or undefined when it has none. */
    private readonly hostOf: (r: ArmResource) => string | undefined,
    /** Registers the routes of one resource's origin; `resourceId` is resolved again on every request. */
    private readonly register: (router: Router, resourceId: string, host: string) => void,
  ) {}

  /** host → local origin of every origin opened so far. */
  origins(): Record<string, string> {
    return Object.fromEntries(this.bound);
  }

  async bind(): Promise<void> {
    if (!this.ctx.openOrigin) return;
    for (const r of listArmResources(this.ctx.db, this.type)) {
      const host = this.hostOf(r);
      if (!host || this.bound.has(host)) continue;
      const { origin, router } = await this.ctx.openOrigin(host);
      if (this.bound.has(host)) continue;
      this.bound.set(host, origin);
      this.register(router, r.id, host);
    }
  }

  start(onTick?: () => void): void {
    this.stop();
    this.timer = setInterval(() => {
      void this.bind().catch((e: unknown) => this.ctx.log('origin.bind.failed', { type: this.type, error: String(e) }));
      onTick?.();
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
