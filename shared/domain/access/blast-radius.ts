/** Blast-radius limits (DESIGN.md): a plan beyond them waits for approval instead of running. */
export interface BlastRadiusLimits {
  /** At most this many grants removed by one run. */
  readonly maxDeletes: number;
  /** At most this share (0..1) of the grants at and below the scope removed by one run. */
  readonly maxDeleteShare: number;
  /** The share limit applies once the scope holds at least this many grants (on tiny scopes a share means little). */
  readonly shareAppliesFrom: number;
  /** At most this many distinct resources (scopes) changed by one run. */
  readonly maxResourcesChanged: number;
}

/** Conservative defaults for when settings name none. */
export const DEFAULT_BLAST_RADIUS: BlastRadiusLimits = {
  maxDeletes: 10,
  maxDeleteShare: 0.5,
  shareAppliesFrom: 10,
  maxResourcesChanged: 20,
};

/** Why a step waits for a human. */
export type ApprovalGate = 'privileged-role' | 'blast-radius' | 'impact' | 'awaiting-approval';

/** Approvals that bear on a plan: decided ones unlock steps, pending ones keep them waiting without a new request. */
export interface ApprovalContext {
  /** Step keys of approved, still-valid requests for this target. */
  readonly approvedStepKeys: readonly string[];
  /** Requests still waiting: their step keys (plan approvals) or policy ids (privileged-policy approvals). */
  readonly pending: readonly {
    readonly approvalId: string;
    readonly stepKeys: readonly string[];
    readonly policyIds: readonly string[];
  }[];
}

export const NO_APPROVALS: ApprovalContext = { approvedStepKeys: [], pending: [] };
