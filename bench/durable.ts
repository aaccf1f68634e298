// Benchmark of the local durable engine (not a test):
//   node dist/bench/durable.js [--quick] [--profile] [--only=hello|chain|chain-compact|fanout]
//
// Workloads (through the real runtime, the durable component and durable-functions' own replay):
//   1. HelloCities5 ×5,000 — one orchestration calling five no-op activities in sequence (target ≥ 1,000 orch/s),
//      with the peak RSS sampled during the run (target < 300 MB);
//   2. one sequential chain of 1,000 activities (target ≥ 1,000 act/s), with the time per step against the
//      history length (replay is O(n) per episode);
//   3. fan-out/fan-in of 5,000 activities in one orchestration (target ≥ 3,000 act/s).
// Each against a raw SQLite baseline measured in the same run: the same number of single-row WAL commits (one per
// durable state change an unbatched engine would make: each start and each episode) with the same synchronous
// setting — the ceiling persistence allows. Results: bench/results/durable.json.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { createDurableComponent } from '../runtime/durable/durable-component';
import type { DurableEngine } from '../runtime/durable/durable-engine';
import type { SynchronousMode } from '../runtime/durable/durable-store';
import { createLogger } from '../runtime/logging/runtime-logger';
import { startRuntime } from '../runtime/runtime';

const SYNCHRONOUS: SynchronousMode = 'NORMAL';

/** The repository root (the nearest directory above the compiled file holding package.json). */
function repoRoot(): string {
  let d = __dirname;
  while (!existsSync(path.join(d, 'package.json')) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}
const RESULTS_DIR = path.join(repoRoot(), 'bench', 'results');
const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');
const scale = quick ? 0.1 : 1;
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const runs = (name: string): boolean => !only || only === name;

interface Workload {
  name: string;
  units: number;
  unit: 'orch/s' | 'act/s';
  target: number;
  seconds: number;
  /** Process CPU time (user + system) during the workload: the machine is shared, wall time includes waiting. */
  cpuSeconds: number;
  rate: number;
  /** Units per CPU second: the rate one uncontended core would give. */
  cpuRate: number;
  commitsUnbatched: number;
  engineCommits: number;
  baselineSeconds: number;
  ceilingRate: number;
  ratioToCeiling: number;
  extra?: Record<string, unknown>;
}

/** `count` single-row commits in WAL mode with the given synchronous setting: the persistence ceiling. */
function sqliteBaseline(dir: string, count: number): number {
  const file = path.join(dir, `baseline-${count}-${Date.now()}.sqlite`);
  const db = new DatabaseSync(file);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${SYNCHRONOUS};`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const row = 'x'.repeat(200);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    db.exec('BEGIN IMMEDIATE');
    insert.run(row);
    db.exec('COMMIT');
  }
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return seconds;
}

/** Waits until `n` more instances than `base` have completed (the engine counts them after each commit). */
async function waitCompleted(engine: DurableEngine, base: number, n: number, onTick?: () => void): Promise<void> {
  for (;;) {
    onTick?.();
    if (engine.stats.failed > 0) throw new Error(`${engine.stats.failed} instance(s) failed`);
    if (engine.stats.completed - base >= n) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const completedNow = (engine: DurableEngine): number => engine.stats.completed;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-durable-'));
  const component = createDurableComponent({ synchronous: SYNCHRONOUS });
  const runtime = await startRuntime({
    appDir: path.resolve(__dirname, '../test/fixtures/apps/durable-app'),
    main: 'index.js',
    port: 0,
    stateDir: path.join(dir, 'state'),
    localSettingsPath: null,
    printTable: false,
    logger: createLogger({ sink: process.stderr, level: 'warn' }),
    components: [component],
  });
  const engine = component.engine!;
  const session = profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await new Promise<void>((r) => session.post('Profiler.enable', () => session.post('Profiler.start', () => r())));
  }
  const results: Workload[] = [];
  const finish = (
    w: Omit<Workload, 'rate' | 'cpuRate' | 'baselineSeconds' | 'ceilingRate' | 'ratioToCeiling'>,
  ): Workload => {
    const baselineSeconds = sqliteBaseline(dir, w.commitsUnbatched);
    const rate = w.units / w.seconds;
    const cpuRate = w.units / w.cpuSeconds;
    const ceilingRate = w.units / baselineSeconds;
    const full: Workload = { ...w, rate, cpuRate, baselineSeconds, ceilingRate, ratioToCeiling: rate / ceilingRate };
    results.push(full);
    const ok = rate >= w.target ? 'MET' : 'MISSED';
    process.stdout.write(
      `${w.name}: ${rate.toFixed(0)} ${w.unit} (target ≥ ${w.target}, ${ok}) in ${w.seconds.toFixed(2)} s ` +
        `(CPU ${w.cpuSeconds.toFixed(2)} s → ${cpuRate.toFixed(0)} ${w.unit} per CPU-second); ` +
        `SQLite ceiling ${ceilingRate.toFixed(0)} ${w.unit} (${w.commitsUnbatched} single-row WAL commits, ` +
        `synchronous=${SYNCHRONOUS}, ${baselineSeconds.toFixed(2)} s); ratio to ceiling ${(rate / ceilingRate).toFixed(2)}; ` +
        `engine transactions ${w.engineCommits}\n`,
    );
    return full;
  };

  // ---- 1. HelloCities5
  if (runs('hello')) {
    const n = Math.round(5000 * scale);
    const rssBefore = process.memoryUsage.rss();
    let peakRss = rssBefore;
    let peakHeap = process.memoryUsage().heapUsed;
    const sample = (): void => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    };
    const sampler = setInterval(sample, 10);
    const commits0 = engine.stats.commits;
    const base = completedNow(engine);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const ids = Array.from({ length: n }, (_, i) => `hc5-${i}`);
    await Promise.all(ids.map((id) => engine.startNew('HelloCities5', id, null, null)));
    await waitCompleted(engine, base, n, sample);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    clearInterval(sampler);
    const w = finish({
      name: `HelloCities5 x${n}`,
      units: n,
      unit: 'orch/s',
      target: 1000,
      seconds,
      cpuSeconds,
      commitsUnbatched: n * 7, // start + 6 episodes per orchestration
      engineCommits: engine.stats.commits - commits0,
      extra: {
        peakRssMB: Math.round(peakRss / 1048576),
        rssBeforeMB: Math.round(rssBefore / 1048576),
        peakHeapUsedMB: Math.round(peakHeap / 1048576),
        rssTargetMB: 300,
      },
    });
    process.stdout.write(
      `HelloCities5 peak RSS: ${w.extra!.peakRssMB as number} MB (target < 300 MB, ` +
        `${(w.extra!.peakRssMB as number) < 300 ? 'MET' : 'MISSED'}; ${w.extra!.rssBeforeMB as number} MB before the run, ` +
        `peak V8 heap used ${w.extra!.peakHeapUsedMB as number} MB)\n`,
    );
    await engine.purgeBy({ statuses: ['Completed'] });
  }

  // ---- 2. Chain of 1,000
  if (runs('chain')) {
    engine.replayView = 'extension';
    const steps = Math.round(1000 * scale);
    const commits0 = engine.stats.commits;
    const base = completedNow(engine);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await engine.startNew('Chain', 'chain-1', JSON.stringify({ steps }), null);
    await waitCompleted(engine, base, 1);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const history = engine.store.historyEvents('chain-1');
    const starts = history.filter((e) => e.EventType === 12).map((e) => Date.parse(String(e.Timestamp)));
    const buckets: { steps: string; historyEvents: number; msPerStep: number }[] = [];
    const bucket = Math.max(1, Math.round(steps / 10));
    for (let s = 0; s + bucket < starts.length; s += bucket) {
      buckets.push({
        steps: `${s}-${s + bucket}`,
        historyEvents: 2 + 4 * s,
        msPerStep: (starts[s + bucket]! - starts[s]!) / bucket,
      });
    }
    finish({
      name: `Chain of ${steps}`,
      units: steps,
      unit: 'act/s',
      target: 1000,
      seconds,
      cpuSeconds,
      commitsUnbatched: steps + 2,
      engineCommits: engine.stats.commits - commits0,
      extra: { perStep: buckets },
    });
    process.stdout.write(
      `  time per step vs history length: ${buckets.map((b) => `${b.historyEvents} ev → ${b.msPerStep.toFixed(2)} ms`).join(', ')}\n`,
    );
  }

  // ---- 2b. the same chain with the compact replay view (what would close the gap; not the default)
  if (runs('chain') || runs('chain-compact')) {
    const steps = Math.round(1000 * scale);
    engine.replayView = 'compact';
    const commits0 = engine.stats.commits;
    const base = completedNow(engine);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await engine.startNew('Chain', 'chain-compact', JSON.stringify({ steps }), null);
    await waitCompleted(engine, base, 1);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    engine.replayView = 'extension';
    finish({
      name: `Chain of ${steps} (compact replay view, opt-in)`,
      units: steps,
      unit: 'act/s',
      target: 1000,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      commitsUnbatched: steps + 2,
      engineCommits: engine.stats.commits - commits0,
    });
  }

  // ---- 3. Fan-out/fan-in of 5,000
  if (runs('fanout')) {
    const count = Math.round(5000 * scale);
    const commits0 = engine.stats.commits;
    const episodes0 = engine.stats.episodes;
    const base = completedNow(engine);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await engine.startNew('FanOut', 'fan-1', JSON.stringify({ count }), null);
    await waitCompleted(engine, base, 1);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    finish({
      name: `Fan-out/fan-in of ${count}`,
      units: count,
      unit: 'act/s',
      target: 3000,
      seconds,
      cpuSeconds,
      commitsUnbatched: count + 2,
      engineCommits: engine.stats.commits - commits0,
      extra: { episodes: engine.stats.episodes - episodes0 },
    });
  }

  if (session) {
    const prof = await new Promise<unknown>((r) =>
      session.post('Profiler.stop', (_e, p) => r((p as { profile: unknown }).profile)),
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, 'durable.cpuprofile.json');
    writeFileSync(file, JSON.stringify(prof));
    process.stdout.write(`CPU profile: ${file}\n`);
  }
  await runtime.stop();
  const outDir = RESULTS_DIR;
  mkdirSync(outDir, { recursive: true });
  const out = {
    when: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    synchronous: SYNCHRONOUS,
    journalMode: 'WAL',
    quick,
    workloads: results,
  };
  writeFileSync(path.join(outDir, 'durable.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`Results: ${path.join(outDir, 'durable.json')}\n`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
