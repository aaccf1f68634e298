/**
 * The emulator's Azure Resource Manager: Microsoft.Authorization (role assignments, role definitions, PIM schedule
 * instances), generic resources by id for the resource providers under `providers/`, resource groups, real RBAC on
 * every request, the Event Grid events ARM emits, and the admin API for out-of-band changes.
 */
import type { EmulatorContext, EmulatorModule } from '../core/module';
import { ArmAdmin, armDrifts, registerArmAdminRoutes } from './admin';
import { registerArmRoutes } from './routes';
import { seedArm } from './seed';
import { ArmService } from './service';
import { ArmStore } from './store';

const services = new WeakMap<EmulatorContext, { service: ArmService; admin: ArmAdmin }>();

function stateFor(ctx: EmulatorContext): { service: ArmService; admin: ArmAdmin } {
  let s = services.get(ctx);
  if (!s) {
    const service = new ArmService(ctx);
    s = { service, admin: new ArmAdmin(service) };
    services.set(ctx, s);
  }
  return s;
}

const drifts = armDrifts((ctx) => stateFor(ctx).admin);

export const armModule: EmulatorModule = {
  name: 'arm',
  migrate(db) {
    ArmStore.migrate(db);
  },
  register(router, ctx) {
    const { service, admin } = stateFor(ctx);
    ctx.access.register({
      isAllowed: (caller, scope, action, options) =>
        service.decide(caller, scope, action, options?.dataAction ?? false).allowed,
    });
    registerArmRoutes(router, service);
    registerArmAdminRoutes(router, ctx, admin, service);
  },
  seed(world, ctx) {
    seedArm(world, stateFor(ctx).service);
  },
  drifts: drifts,
};

export { ArmService } from './service';
