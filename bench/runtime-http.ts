// Benchmark (not a test): requests/s and p50/p99 latency of the local runtime's HTTP path and Event Grid deliveries on
// loopback, with a raw node:http hello-world measured in the same run as the ceiling.
//   node dist/bench/runtime-http.js [--requests N] [--concurrency C] [--eg-rate EVENTS_PER_S] [--eg-seconds S]
// Prints one summary line per workload and writes bench/results/runtime-http.json.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { createLogger } from '../runtime/logging/runtime-logger';
import { startRuntime } from '../runtime/runtime';

interface Summary {
  workload: string;
  requests: number;
  concurrency: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  errors: number;
  /** Process CPU time (user+system) per request, µs: robust to other load on the machine, unlike req/s. */
  cpuUsPerRequest: number;
  offeredRate?: number;
}

function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'warden') return dir;
    } catch {
      // keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Target {
  port: number;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  expect: number;
}

function once(agent: http.Agent, t: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: t.port, path: t.path, method: t.method, headers: t.headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(t.body);
  });
}

/** Closed loop: `concurrency` workers issue `requests` in total as fast as answers come back. */
async function closedLoop(
  workload: string,
  t: Target,
  requests: number,
  concurrency: number,
  latencies: number[] = [],
): Promise<Summary & { latencies: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const mine: number[] = [];
  let errors = 0;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < requests) {
      issued++;
      const start = performance.now();
      try {
        const status = await once(agent, t);
        if (status !== t.expect) errors++;
      } catch {
        errors++;
      }
      mine.push(performance.now() - start);
    }
  };
  // warm-up
  await Promise.all(Array.from({ length: concurrency }, () => once(agent, t).catch(() => 0)));
  issued = 0;
  const cpu0 = process.cpuUsage();
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  latencies.push(...mine);
  mine.sort((a, b) => a - b);
  return {
    workload,
    requests,
    concurrency,
    seconds: round(seconds),
    rps: Math.round(requests / seconds),
    p50ms: round(percentile(mine, 50)),
    p99ms: round(percentile(mine, 99)),
    maxMs: round(mine[mine.length - 1] ?? NaN),
    errors,
    cpuUsPerRequest: round((cpu.user + cpu.system) / requests),
    latencies: mine,
  };
}

/** Merges the rounds of one workload into one summary (total requests over total time, pooled percentiles). */
function merge(rounds: (Summary & { latencies: number[] })[]): Summary {
  const all = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  const first = rounds[0] as Summary;
  return {
    workload: first.workload,
    requests,
    concurrency: first.concurrency,
    seconds: round(seconds),
    rps: Math.round(requests / seconds),
    p50ms: round(percentile(all, 50)),
    p99ms: round(percentile(all, 99)),
    maxMs: round(all[all.length - 1] ?? NaN),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    cpuUsPerRequest: round(rounds.reduce((n, r) => n + r.cpuUsPerRequest * r.requests, 0) / requests),
  };
}

/** Open loop: one request every 1/rate s for `seconds`, whatever the answers do (as Event Grid pushes). */
async function openLoop(workload: string, t: Target, rate: number, seconds: number): Promise<Summary> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const cpu0 = process.cpuUsage();
  const began = performance.now();
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const start = performance.now();
    pending.push(
      once(agent, t).then(
        (status) => {
          if (status !== t.expect) errors++;
          latencies.push(performance.now() - start);
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    workload,
    requests: total,
    concurrency: 64,
    seconds: round(elapsed),
    rps: Math.round(total / elapsed),
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? NaN),
    errors,
    cpuUsPerRequest: round((cpu.user + cpu.system) / total),
    offeredRate: rate,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function line(s: Summary, extra = ''): string {
  return `${s.workload.padEnd(26)} ${String(s.rps).padStart(7)} req/s  p50 ${s.p50ms.toFixed(2)} ms  p99 ${s.p99ms.toFixed(2)} ms  max ${s.maxMs.toFixed(1)} ms  cpu ${s.cpuUsPerRequest.toFixed(0)} µs/req  n=${s.requests} c=${s.concurrency} errors=${s.errors}${extra}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '32' },
      'eg-rate': { type: 'string', default: '500' },
      'eg-seconds': { type: 'string', default: '6' },
      rounds: { type: 'string', default: '4' },
    },
  });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const egRate = Number(values['eg-rate']);
  const egSeconds = Number(values['eg-seconds']);

  const hello = Buffer.from('hello world');
  const raw = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': hello.length });
    res.end(hello);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const rawPort = (raw.address() as AddressInfo).port;

  const appDir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-app-'));
  writeFileSync(
    path.join(appDir, 'package.json'),
    JSON.stringify({ name: 'bench-app', main: path.resolve(__dirname, '../test/fixtures/apps/runtime-app/bench.js') }),
  );
  writeFileSync(path.join(appDir, 'host.json'), JSON.stringify({ version: '2.0' }));
  // Logs go nowhere (info per invocation would measure the terminal); the cost of formatting them is kept.
  const logger = createLogger({ sink: { write: () => true }, json: true, level: 'info' });
  const rt = await startRuntime({
    appDir,
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'warden-bench-state-')),
    port: 0,
    logger,
    printTable: false,
    components: [],
  });
  const rtPort = Number(new URL(rt.baseUrl).port);
  const egKey = rt.keys.systemKey('eventgrid_extension');
  const event = Buffer.from(
    JSON.stringify([
      {
        id: 'bench-1',
        subject: '/subscriptions/x/resourceGroups/rg',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        eventTime: '2024-01-01T00:00:00Z',
        data: { resourceUri: '/subscriptions/x/resourceGroups/rg', status: 'Succeeded' },
        dataVersion: '2',
        metadataVersion: '1',
      },
    ]),
  );

  const results: Summary[] = [];
  // The machine may be shared: alternate ceiling and runtime in rounds so load changes hit both alike.
  const rounds = Number(values.rounds);
  const perRound = Math.ceil(requests / rounds);
  const rawRounds: (Summary & { latencies: number[] })[] = [];
  const apiRounds: (Summary & { latencies: number[] })[] = [];
  for (let r = 0; r < rounds; r++) {
    rawRounds.push(
      await closedLoop(
        'raw node:http (ceiling)',
        { port: rawPort, path: '/', method: 'GET', headers: {}, expect: 200 },
        perRound,
        concurrency,
      ),
    );
    apiRounds.push(
      await closedLoop(
        'runtime HTTP anonymous',
        { port: rtPort, path: '/api/ping', method: 'GET', headers: {}, expect: 200 },
        perRound,
        concurrency,
      ),
    );
  }
  const ceiling = merge(rawRounds);
  const api = merge(apiRounds);
  results.push(ceiling, api);
  console.log(line(ceiling));
  console.log(
    line(
      api,
      `  (${Math.round((api.rps / ceiling.rps) * 100)}% of ceiling by req/s, ${Math.round((ceiling.cpuUsPerRequest / api.cpuUsPerRequest) * 100)}% by CPU per request)`,
    ),
  );
  const egTarget: Target = {
    port: rtPort,
    path: `/runtime/webhooks/eventgrid?functionName=sink&code=${egKey}`,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'aeg-event-type': 'Notification',
      'content-length': String(event.length),
    },
    body: event,
    expect: 202,
  };
  const egPaced = await openLoop(`Event Grid @${egRate}/s`, egTarget, egRate, egSeconds);
  results.push(egPaced);
  console.log(line(egPaced));
  const { latencies: _l, ...egMax } = await closedLoop(
    'Event Grid max',
    egTarget,
    Math.round(requests / 2),
    concurrency,
  );
  results.push(egMax);
  console.log(line(egMax));

  await rt.stop();
  await new Promise<void>((r) => raw.close(() => r()));
  const out = path.join(repoRoot(), 'bench/results/runtime-http.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        when: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        targets: { httpShareOfCeiling: 0.5, eventGridP99Ms: 20, eventGridRate: 500 },
        httpShareOfCeiling: round(api.rps / ceiling.rps),
        httpShareOfCeilingByCpu: round(ceiling.cpuUsPerRequest / api.cpuUsPerRequest),
        loadAverage: os.loadavg(),
        eventGridP99Ms: egPaced.p99ms,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`results: ${out}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
