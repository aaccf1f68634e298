// Audit: query, export, chain verification, from the route table.
import { routesOf } from '../../shared/api/route-table';
import { registerRoutes } from '../_edge/register-routes';
import { apiServices } from './api-composition';

registerRoutes(routesOf('audit'), apiServices);
