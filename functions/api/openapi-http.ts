// GET /api/openapi.json (Reader): the OpenAPI 3.1 document generated from the route table.
import { routesOf } from '../../shared/api/route-table';
import { registerRoutes } from '../_edge/register-routes';
import { apiServices } from './api-composition';

registerRoutes(routesOf('openapi'), apiServices);
