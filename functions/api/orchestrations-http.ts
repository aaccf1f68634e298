// Orchestration status and list (Reader), through the durable client binding, from the route table.
import { routesOf } from '../../shared/api/route-table';
import { registerRoutes } from '../_edge/register-routes';
import { apiServices } from './api-composition';

registerRoutes(routesOf('orchestrations'), apiServices);
