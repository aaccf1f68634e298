// POST /api/alerts/monitor — Azure Monitor's action group (secure webhook, common alert schema). Anonymous at the host
// level: the app validates the Bearer token (signature, issuer, audience, expiry; caller = the action-group app
// 461e8683-… holding ActionGroupsSecureWebhook). Bad token → 401, a user's or another app's token → 403, not the
// common alert schema → 400, unknown rule or model → 404 — all problem+json and recorded as poison; Resolved is
// recorded and never quarantines.
import { randomUUID } from 'node:crypto';

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { AuthError } from '../../shared/auth/auth-error';
import { EntraTokenValidator } from '../../shared/auth/entra-token-validator';
import { appSettings } from '../../shared/config/load-settings';
import { ensureError, TransientCloudError, ValidationError } from '../../shared/domain/errors';
import { toFieldIssues } from '../../shared/domain/metadata/metadata-tables';
import { CommonAlertSchema } from '../../shared/domain/models/signals';
import { handleMonitorAlert } from '../../shared/orchestrations/models/model-triggers';
import { fromDurableClient } from '../../shared/orchestrations/orchestration-client';
import { toProblem } from '../_edge/problem-details';
import { modelDeps } from './model-composition';

const MAX_BODY = 256 * 1024;
let validator: EntraTokenValidator | undefined;

async function authenticator(): Promise<EntraTokenValidator> {
  if (validator) return validator;
  const s = appSettings();
  const { clock } = await modelDeps();
  validator = new EntraTokenValidator({
    authorityHost: s.identity.authorityHost,
    tenantId: s.identity.tenantId,
    audiences: s.api.audiences,
    now: () => clock.now().getTime(),
  });
  return validator;
}

app.http('monitorAlertWebhook', {
  methods: ['POST'],
  route: 'alerts/monitor',
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const correlationId = request.headers.get('x-correlation-id')?.slice(0, 128) || randomUUID();
    let text = '';
    try {
      const { store } = await modelDeps();
      try {
        const caller = await (await authenticator()).authenticateActionGroup(request.headers.get('authorization'));
        text = await request.text();
        if (Buffer.byteLength(text) > MAX_BODY)
          throw new ValidationError('alert', [{ path: 'body', message: `is larger than ${MAX_BODY} bytes` }]);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new ValidationError('alert', [{ path: 'body', message: 'is not JSON' }]);
        }
        const parsed = CommonAlertSchema.safeParse(json);
        if (!parsed.success) throw new ValidationError('alert (common alert schema)', toFieldIssues(parsed.error));
        const r = await handleMonitorAlert(store, fromDurableClient(df.getClient(context)), parsed.data, caller.actor);
        context.log(JSON.stringify({ event: 'models.alert', correlationId, ...r }));
        return { status: 202, jsonBody: { handled: r.handled, modelId: r.modelId, ruleId: r.ruleId } };
      } catch (caught) {
        // Action groups retry only 408, 429, 503 and 504: an unexpected failure after the alert was accepted is
        // answered 503 (its receipt was given back), so the alert comes again instead of being lost.
        let e = caught;
        if (toProblem(caught).status === 500) {
          const err = ensureError(caught);
          context.error(
            JSON.stringify({ event: 'models.alert.failed', correlationId, error: `${err.name}: ${err.message}` }),
          );
          e = new TransientCloudError('The alert could not be handled now; retry it.', 5_000, { cause: caught });
        }
        const problem = toProblem(e, { instance: '/api/alerts/monitor', correlationId });
        if (problem.status < 500)
          // Recorded with its reason (the body only — never the Authorization header).
          await store.events.recordPoison({
            source: 'monitor:alert-webhook',
            messageId: correlationId,
            reason: `${problem.status} ${problem.body.code}: ${problem.body.detail ?? ''}`.slice(0, 1000),
            body: e instanceof AuthError ? null : text.slice(0, 10_000) || null,
          });
        return { status: problem.status, headers: problem.headers, jsonBody: problem.body };
      }
    } catch (e) {
      const problem = toProblem(e, { instance: '/api/alerts/monitor', correlationId });
      return { status: problem.status, headers: problem.headers, jsonBody: problem.body };
    }
  },
});
