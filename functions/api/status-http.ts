// Status (Reader) and health (the one anonymous route), from the route table.
import { routesOf } from '../../shared/api/route-table';
import { registerRoutes } from '../_edge/register-routes';
import { apiServices } from './api-composition';

registerRoutes([...routesOf('status'), ...routesOf('health')], apiServices);
