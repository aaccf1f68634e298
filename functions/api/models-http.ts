// POST /api/models/{id}/quarantine|release|retire (Warden.Operator), from the route table: registered like every route,
// with the model commands over the invocation's durable client added to the API services.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import type { ModelApiServices } from '../../shared/api/models/model-commands';
import { routesOf } from '../../shared/api/route-table';
import { apiHandler } from '../_edge/api-handler';
import type { EdgeServicesProvider } from '../_edge/edge-services';
import { modelCommands } from '../models/model-composition';
import { apiServices, notifying } from './api-composition';

for (const route of routesOf('models'))
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
          const api: ModelApiServices = { ...edge.api, models: modelCommands(df.getClient(context)) };
          return { ...edge, api };
        };
        return apiHandler(route, provider)(request, context);
      },
    }),
  );
