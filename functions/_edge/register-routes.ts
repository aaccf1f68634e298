import { app } from '@azure/functions';
import * as df from 'durable-functions';

import type { AnyApiRoute } from '../../shared/api/api-route';
import { apiHandler } from './api-handler';
import type { EdgeServicesProvider } from './edge-services';
import { withNotificationOutbox } from './notification-output';

/**
 * Registers routes of the table as HTTP functions: `authLevel: 'anonymous'` for all of them — the bearer token is
 * checked in code by the edge (no function keys for people or tools); only routes declared anonymous skip it.
 */
export function registerRoutes(routes: readonly AnyApiRoute[], provider: EdgeServicesProvider): void {
  for (const route of routes)
    app.http(
      route.name,
      withNotificationOutbox(
        {
          methods: [route.method],
          route: route.route,
          authLevel: 'anonymous',
          ...(route.durableClient ? { extraInputs: [df.input.durableClient()] } : {}),
          handler: apiHandler(route, provider),
        },
        async () => (await provider()).api,
      ),
    );
}
