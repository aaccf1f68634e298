import { z } from 'zod';

import { APPROVAL_KINDS, ApprovalSchema } from '../../domain/metadata/approval.schema';
import { oneOf, textSchema } from '../../domain/primitives/fields';
import { type AnyApiRoute, defineRoute } from '../api-route';
import { IdParamsSchema, pageSchema, RowMetaSchema } from '../api-schemas';
import { ContinuationTokenSchema, LimitSchema } from '../paging';
import { decideApproval, listApprovals } from './approval-use-cases';

const ApprovalRecordSchema = z.intersection(ApprovalSchema, RowMetaSchema).meta({ id: 'ApprovalRecord' });
const DecisionBodySchema = z.strictObject({ comment: textSchema(2000).optional() }).meta({ id: 'ApprovalDecision' });
const DecisionResponseSchema = z.object({
  approval: ApprovalRecordSchema,
  remediation: z.object({ started: z.boolean(), instanceId: z.string().optional(), reason: z.string().optional() }),
});

function decisionRoute(decision: 'approved' | 'rejected'): AnyApiRoute {
  const verb = decision === 'approved' ? 'approve' : 'reject';
  return defineRoute({
    name: `${verb}Approval`,
    capability: 'approvals',
    method: 'POST',
    route: `approvals/{id}/${verb}`,
    access: 'Warden.Operator',
    summary: `${verb === 'approve' ? 'Approve' : 'Reject'} a pending request (four eyes: not the requester)`,
    tags: ['approvals'],
    params: IdParamsSchema,
    body: DecisionBodySchema,
    response: DecisionResponseSchema,
    successStatus: 200,
    ifMatch: 'optional',
    etag: true,
    durableClient: decision === 'approved',
    handle: async ({ params, body, expectedVersion, principal, correlationId }, services) => {
      const out = await decideApproval(
        services,
        params.id,
        decision,
        { comment: body.comment, expectedVersion },
        { principal: principal!, correlationId },
      );
      return { status: 200, body: out, version: out.approval.version };
    },
  });
}

export const APPROVAL_ROUTES: readonly AnyApiRoute[] = [
  defineRoute({
    name: 'listApprovals',
    capability: 'approvals',
    method: 'GET',
    route: 'approvals',
    access: 'Warden.Reader',
    summary: 'List approval requests by state (pending, approved, rejected), kind and target; paged',
    tags: ['approvals'],
    query: z.strictObject({
      state: z.enum(['pending', 'approved', 'rejected']).optional(),
      kind: oneOf(APPROVAL_KINDS, 'approval kind').optional(),
      target: z.string().min(1).max(1024).optional(),
      limit: LimitSchema,
      continuationToken: ContinuationTokenSchema,
    }),
    response: pageSchema(ApprovalRecordSchema),
    successStatus: 200,
    ifMatch: 'none',
    handle: async ({ query }, services) => ({ status: 200, body: await listApprovals(services, query) }),
  }),
  defineRoute({
    name: 'getApproval',
    capability: 'approvals',
    method: 'GET',
    route: 'approvals/{id}',
    access: 'Warden.Reader',
    summary: 'Read one approval request (ETag = its version)',
    tags: ['approvals'],
    params: IdParamsSchema,
    response: ApprovalRecordSchema,
    successStatus: 200,
    ifMatch: 'none',
    etag: true,
    handle: async ({ params }, services) => {
      const approval = await services.store.approvals.require(params.id);
      return { status: 200, body: approval, version: approval.version };
    },
  }),
  decisionRoute('approved'),
  decisionRoute('rejected'),
];
