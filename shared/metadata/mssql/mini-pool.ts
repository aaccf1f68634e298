import type { TarnPendingRequest, TarnPoolOptions } from 'kysely';

/**
 * The small part of `tarn`'s Pool that Kysely's MssqlDriver uses (acquire, release, destroy), so the Azure SQL
 * path needs no extra dependency. Connections are validated when taken from the idle list; a waiter is served by
 * the next release.
 */
export class MiniPool<R> {
  private idle: R[] = [];
  private size = 0;
  private waiters: ((resource: R) => void)[] = [];
  private destroyed = false;

  constructor(private readonly opt: TarnPoolOptions<R>) {}

  acquire(): TarnPendingRequest<R> {
    const pending = {
      resolve: (_r: R) => undefined,
      reject: (_e: Error) => undefined,
    } as TarnPendingRequest<R>;
    pending.promise = this.take();
    return pending;
  }

  release(resource: R): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(resource);
    else this.idle.push(resource);
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    const idle = this.idle;
    this.idle = [];
    for (const r of idle) await Promise.resolve(this.opt.destroy(r));
  }

  private async take(): Promise<R> {
    if (this.destroyed) throw new Error('the connection pool is destroyed');
    while (this.idle.length > 0) {
      const r = this.idle.pop() as R;
      if (!this.opt.validate || (await Promise.resolve(this.opt.validate(r)))) return r;
      this.size -= 1;
      await Promise.resolve(this.opt.destroy(r));
    }
    if (this.size < Math.max(1, this.opt.max)) {
      this.size += 1;
      try {
        return await this.create();
      } catch (error) {
        this.size -= 1;
        throw error;
      }
    }
    return new Promise<R>((resolve) => this.waiters.push(resolve));
  }

  private create(): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const result: unknown = this.opt.create((err, resource) => (err ? reject(err) : resolve(resource)));
      if (result !== null && typeof result === 'object' && 'then' in result)
        (result as Promise<R>).then(resolve, reject);
    });
  }
}
