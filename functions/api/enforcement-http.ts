// POST /api/access/reconcile and POST /api/network/enforce (Warden.Operator), from the route table: the edge gives
// each invocation the enforcement commands over its durable client.
import { routesOf } from '../../shared/api/route-table';
import type { EdgeServicesProvider } from '../_edge/edge-services';
import { registerRoutes } from '../_edge/register-routes';
import { enforcementCommands } from '../access/enforcement-composition';
import { apiServices } from './api-composition';

const provider: EdgeServicesProvider = async () => ({
  ...(await apiServices()),
  apiFor: (api, client) => ({ ...api, enforcement: enforcementCommands(client) }),
});

registerRoutes(routesOf('enforcement'), provider);
