#!/usr/bin/env node
/**
 * `node dist/emulator/main.js [--port 7443] [--state-dir .warden/emulator] [--world demo/world.json] [--reset]
 *  [--defer-drifts] [--topic name]... [--retry-scale 1] [--token-lifetime 3599] [--no-world]`
 *
 * Starts the local Azure emulator, prints where everything listens and writes `endpoints.json` into the state dir
 * for the launcher.
 */
import path from 'node:path';

import { startEmulator } from './index';
import { defaultWorldPath } from './seed/world';

interface Args {
  port: number;
  stateDir: string;
  world: string | undefined;
  reset: boolean;
  retryScale: number;
  tokenLifetime: number;
  deferDrifts: boolean;
  topics: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    port: 7443,
    stateDir: path.join('.warden', 'emulator'),
    world: undefined,
    reset: false,
    retryScale: 1,
    tokenLifetime: 3599,
    deferDrifts: false,
    topics: [],
  };
  let noWorld = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') args.port = Number(value());
    else if (a === '--state-dir') args.stateDir = value();
    else if (a === '--world') args.world = value();
    else if (a === '--no-world') noWorld = true;
    else if (a === '--reset') args.reset = true;
    else if (a === '--defer-drifts') args.deferDrifts = true;
    else if (a === '--topic') args.topics.push(value());
    else if (a === '--retry-scale') args.retryScale = Number(value());
    else if (a === '--token-lifetime') args.tokenLifetime = Number(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: emulator [--port 7443] [--state-dir .warden/emulator] [--world demo/world.json | --no-world] [--reset] [--defer-drifts] [--topic name]... [--retry-scale 1] [--token-lifetime 3599]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error('--port must be 0-65535');
  if (!(args.retryScale > 0)) throw new Error('--retry-scale must be > 0');
  if (!(args.tokenLifetime >= 300)) throw new Error('--token-lifetime must be at least 300 seconds');
  if (!noWorld && args.world === undefined) args.world = defaultWorldPath();
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const emu = await startEmulator({
    port: args.port,
    stateDir: args.stateDir,
    ...(args.world ? { world: args.world } : {}),
    reset: args.reset,
    retryScale: args.retryScale,
    tokenLifetimeSeconds: args.tokenLifetime,
    deferDrifts: args.deferDrifts,
    topics: args.topics,
    log: (line) => process.stdout.write(JSON.stringify(line) + '\n'),
  });
  const file = emu.emulator.writeEndpointsFile();
  const e = emu.endpoints;
  const lines = [
    `Local Azure emulator listening on ${e.baseUrl}`,
    `  tenant / subscription      ${e.tenantId} / ${e.subscriptionId}`,
    `  Entra authority host       ${e.entraAuthorityHost}   (disableInstanceDiscovery: true)`,
    `  OpenID configuration       ${e.openIdConfiguration}`,
    `  ARM endpoint               ${e.armEndpoint}`,
    `  managed identity           IDENTITY_ENDPOINT=${e.managedIdentity.IDENTITY_ENDPOINT}`,
    `                             IDENTITY_HEADER is in ${path.join(e.stateDir, 'identity-header')}`,
    `  CA certificate             ${e.caCertPath}   (NODE_EXTRA_CA_CERTS)`,
    `  Event Grid topics          ${e.eventGrid.topics.map((t) => t.endpoint).join(', ') || '(none; PUT /admin/eventgrid/topics/{name})'}`,
    `  admin API                  ${e.adminBaseUrl}   (header x-emulator-admin-key; key in ${e.adminKeyPath})`,
    `  local credentials          ${e.credentialsPath}`,
    `  endpoints.json             ${file}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const stop = () => {
    void emu.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
