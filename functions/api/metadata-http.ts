// CRUD for every metadata table: list, get, put (If-Match), delete (If-Match), from the route table.
import { routesOf } from '../../shared/api/route-table';
import { registerRoutes } from '../_edge/register-routes';
import { apiServices } from './api-composition';

registerRoutes(routesOf('metadata'), apiServices);
