// Poison messages: what Warden refused (invalid commands, events, alert calls) with the reasons, read-only.
import { routesOf } from '../../shared/api/route-table';
import { registerRoutes } from '../_edge/register-routes';
import { apiServices } from './api-composition';

registerRoutes(routesOf('poison'), apiServices);
