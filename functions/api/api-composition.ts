import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { app } from '@azure/functions';
import type { DurableClient } from 'durable-functions';

import type { ApiServices } from '../../shared/api/api-services';
import { noRemediationStarter, type RemediationStarter } from '../../shared/api/remediation-starter';
import { EntraTokenValidator } from '../../shared/auth/entra-token-validator';
import { EventGridNotifier } from '../../shared/cloud/azure/event-grid-notifier';
import type { Notifier } from '../../shared/cloud/ports/notifier';
import { appSettings } from '../../shared/config/load-settings';
import { clockFromSettings } from '../../shared/config/settings-clock';
import type { Clock } from '../../shared/domain/clock';
import { openMetadataStore } from '../../shared/metadata/open-metadata-store';
import { createEnforcementRemediationStarter } from '../../shared/orchestrations/approved-remediation-starter';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { type EdgeServices, type EdgeServicesProvider } from '../_edge/edge-services';
import { invocationOutboxNotifier, withNotificationOutbox } from '../_edge/notification-output';

/** What a composition root may swap (default starter: enforcement's, over the invocation's durable client). */
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

/** Builds the API's services from the validated settings (once; a failure is retried on the next request). */
function compose(): EdgeServices {
  const s = appSettings();
  const clock = overrides.clock ?? clockFromSettings(s);
  const newId = (): string => randomUUID();
  let notifier: Notifier;
  if (overrides.notifier) notifier = overrides.notifier;
  else if (s.notifier.kind === 'eventgrid')
    notifier = new EventGridNotifier({
      endpoint: s.notifier.endpoint,
      credential: s.notifier.accessKey ? { key: s.notifier.accessKey } : 'default',
      clock,
      newId,
    });
  else if (s.notifier.kind === 'servicebus')
    // Each invocation collects its notifications for its Service Bus output binding (withNotificationOutbox).
    notifier = invocationOutboxNotifier();
  else notifier = { publish: () => Promise.resolve() };
  const api: ApiServices = {
    store: openMetadataStore(s, clock),
    notifier,
    remediations: overrides.remediations ?? noRemediationStarter,
    clock,
    settings: {
      wardenPrincipalIds: s.identity.wardenPrincipalIds,
      killSwitch: s.safety.killSwitch,
      appVersion: s.api.appVersion ?? appVersion(),
    },
    newId,
    reportError: (event, error, fields) =>
      console.error(
        JSON.stringify({ event, error: error instanceof Error ? error.message : String(error), ...fields }),
      ),
  };
  return {
    authenticator: new EntraTokenValidator({
      authorityHost: s.identity.authorityHost,
      tenantId: s.identity.tenantId,
      audiences: s.api.audiences,
      now: () => clock.now().getTime(),
    }),
    api,
    // Approvals start their remediation (reconcileAccess / enforceNetwork / the model orchestrations) over the
    // invocation's durable client, unless the composition root provided a starter.
    ...(overrides.remediations
      ? {}
      : {
          remediationsFor: (client: DurableClient) =>
            createEnforcementRemediationStarter(fromDurableClient(client), api.store),
        }),
    bodyLimitBytes: s.api.bodyLimitBytes,
  };
}

/** Closes the store when the host stops the app (the local runtime runs appTerminate hooks; so does the worker). */
app.hook.appTerminate(async () => {
  const composed = cached;
  cached = undefined;
  if (composed) await (await composed.catch(() => undefined))?.api.store.close();
});

/** The provider every API function resolves its services through. */
export const apiServices: EdgeServicesProvider = () => {
  cached ??= Promise.resolve()
    .then(() => compose())
    .catch((e: unknown) => {
      cached = undefined;
      throw e;
    });
  return cached;
};

/**
 * Registration of a function that may notify: {@link withNotificationOutbox} with the API's clock and ids (under
 * `WARDEN_NOTIFIER=servicebus` the notifications leave through the function's output binding).
 */
export function notifying<O extends Parameters<typeof withNotificationOutbox>[0]>(options: O): O {
  return withNotificationOutbox(options, async () => (await apiServices()).api);
}
