// POST /api/secrets/{id}/rotate (Warden.Operator), from the route table: registered like every route, with the
// rotation commands over the invocation's durable client added to the API services.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { routesOf } from '../../shared/api/route-table';
import type { SecretApiServices } from '../../shared/api/secrets/secret-commands';
import { apiHandler } from '../_edge/api-handler';
import type { EdgeServicesProvider } from '../_edge/edge-services';
import { secretCommands } from '../secrets/rotation-composition';
import { apiServices, notifying } from './api-composition';

for (const route of routesOf('secrets'))
  app.http(
    route.name,
    notifying({
      methods: [route.method],
      route: route.route,
      authLevel: 'anonymous',
      extraInputs: [df.input.durableClient()],
      handler: (request: HttpRequest, context: InvocationContext) => {
        const provider: EdgeServicesProvider = async () => {
          const edge = await apiServices();
          const api: SecretApiServices = { ...edge.api, secrets: secretCommands(df.getClient(context)) };
          return { ...edge, api };
        };
        return apiHandler(route, provider)(request, context);
      },
    }),
  );
