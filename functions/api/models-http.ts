// POST /api/models/{id}/quarantine|release|retire (Warden.Operator), from the route table: the edge gives each
// invocation the model commands over its durable client.
import type { ModelApiServices } from '../../shared/api/models/model-commands';
import { routesOf } from '../../shared/api/route-table';
import type { EdgeServicesProvider } from '../_edge/edge-services';
import { registerRoutes } from '../_edge/register-routes';
import { modelCommands } from '../models/model-composition';
import { apiServices } from './api-composition';

const provider: EdgeServicesProvider = async () => ({
  ...(await apiServices()),
  apiFor: (api, client): ModelApiServices => ({ ...api, models: modelCommands(client) }),
});

registerRoutes(routesOf('models'), provider);
