import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ApiServices } from '../../shared/api/api-services';
import { readApiSettings } from '../../shared/api/api-settings';
import { noRemediationStarter, type RemediationStarter } from '../../shared/api/remediation-starter';
import { EntraTokenValidator } from '../../shared/auth/entra-token-validator';
import { EventGridNotifier } from '../../shared/cloud/azure/event-grid-notifier';
import { ServiceBusOutputNotifier } from '../../shared/cloud/azure/service-bus-output-notifier';
import type { Notifier } from '../../shared/cloud/ports/notifier';
import { type Clock, systemClock } from '../../shared/domain/clock';
import { openSqliteMetadataStore } from '../../shared/metadata/metadata-store';
import { DEFAULT_BODY_LIMIT_BYTES, type EdgeServices, type EdgeServicesProvider } from '../_edge/edge-services';

/** What the composition root may swap (the remediation issues wire their starter here; tests their fakes). */
export interface ApiOverrides {
  readonly clock?: Clock;
  readonly remediations?: RemediationStarter;
  readonly notifier?: Notifier;
}

let overrides: ApiOverrides = {};
let cached: Promise<EdgeServices> | undefined;

/** Sets what the composition root provides beyond settings; call before the first request. */
export function configureApi(next: ApiOverrides): void {
  overrides = { ...overrides, ...next };
  cached = undefined;
}

function appVersion(): string {
  try {
    let dir = __dirname;
    for (let i = 0; i < 8; i++) {
      const file = path.join(dir, 'package.json');
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'warden') return pkg.version ?? '0.0.0';
      } catch {
        // not here: go up
      }
      dir = path.dirname(dir);
    }
  } catch {
    // fall through
  }
  return '0.0.0';
}

/** Builds the API's services from settings (once; a failure is retried on the next request). */
function compose(env: NodeJS.ProcessEnv): EdgeServices {
  const s = readApiSettings(env);
  const clock = overrides.clock ?? systemClock;
  const newId = (): string => randomUUID();
  let notifier: Notifier;
  if (overrides.notifier) notifier = overrides.notifier;
  else if (s.WARDEN_NOTIFIER === 'eventgrid')
    notifier = new EventGridNotifier({
      endpoint: s.WARDEN_NOTIFY_EVENTGRID_ENDPOINT!,
      credential: s.WARDEN_NOTIFY_EVENTGRID_KEY ? { key: s.WARDEN_NOTIFY_EVENTGRID_KEY } : 'default',
      clock,
      newId,
    });
  else if (s.WARDEN_NOTIFIER === 'servicebus') notifier = new ServiceBusOutputNotifier(clock, newId);
  else notifier = { publish: () => Promise.resolve() };
  const api: ApiServices = {
    store: openSqliteMetadataStore({ file: s.WARDEN_METADATA_DB, clock }),
    notifier,
    remediations: overrides.remediations ?? noRemediationStarter,
    clock,
    settings: {
      wardenPrincipalIds: s.WARDEN_PRINCIPAL_IDS,
      killSwitch: s.WARDEN_KILL_SWITCH,
      appVersion: s.WARDEN_APP_VERSION ?? appVersion(),
    },
    newId,
    reportError: (event, error, fields) =>
      console.error(
        JSON.stringify({ event, error: error instanceof Error ? error.message : String(error), ...fields }),
      ),
  };
  return {
    authenticator: new EntraTokenValidator({
      authorityHost: s.WARDEN_AUTHORITY_HOST,
      tenantId: s.WARDEN_TENANT_ID,
      audiences: s.WARDEN_API_AUDIENCES,
      now: () => clock.now().getTime(),
    }),
    api,
    bodyLimitBytes: s.WARDEN_API_BODY_LIMIT_BYTES ?? DEFAULT_BODY_LIMIT_BYTES,
  };
}

/** The provider every API function resolves its services through. */
export const apiServices: EdgeServicesProvider = () => {
  cached ??= Promise.resolve()
    .then(() => compose(process.env))
    .catch((e: unknown) => {
      cached = undefined;
      throw e;
    });
  return cached;
};
