// Approvals: list, get, approve, reject (four eyes), from the route table.
import { routesOf } from '../../shared/api/route-table';
import { registerRoutes } from '../_edge/register-routes';
import { apiServices } from './api-composition';

registerRoutes(routesOf('approvals'), apiServices);
