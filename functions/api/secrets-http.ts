// POST /api/secrets/{id}/rotate (Warden.Operator), from the route table: the edge gives each invocation the rotation
// commands over its durable client.
import { routesOf } from '../../shared/api/route-table';
import type { SecretApiServices } from '../../shared/api/secrets/secret-commands';
import type { EdgeServicesProvider } from '../_edge/edge-services';
import { registerRoutes } from '../_edge/register-routes';
import { secretCommands } from '../secrets/rotation-composition';
import { apiServices } from './api-composition';

const provider: EdgeServicesProvider = async () => ({
  ...(await apiServices()),
  apiFor: (api, client): SecretApiServices => ({ ...api, secrets: secretCommands(client) }),
});

registerRoutes(routesOf('secrets'), provider);
