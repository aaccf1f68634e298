import type { RecordOf } from '../domain/metadata/metadata-tables';

/** An approved request handed over to the remediation that applies it. */
export interface ApprovedRequest {
  readonly approval: RecordOf<'approvals'>;
  /** Who approved it (the decider's actor string). */
  readonly actor: string;
  /** The correlation id of the decision's audit entries; the remediation carries it on. */
  readonly correlationId: string;
}

/** What became of the hand-over. */
export interface RemediationStart {
  readonly started: boolean;
  /** The orchestration instance started (or found running) for the request. */
  readonly instanceId?: string;
  /** Why nothing was started (no remediation handles this kind yet, start failed). */
  readonly reason?: string;
}

/**
 * Starts the remediation that applies an approved request: a fresh orchestration that plans again and applies
 * what was approved (DESIGN.md, approvals).
 *
 * @remarks
 * The HTTP API never waits on the orchestration: `start` schedules it and returns. The remediation issues
 * implement this port (per approval kind); until one is wired, {@link noRemediationStarter} reports that nothing
 * was started, and the decision stays recorded for the sweep to pick up.
 */
export interface RemediationStarter {
  start(request: ApprovedRequest): Promise<RemediationStart>;
}

/** The starter used until a remediation is wired: it starts nothing and says so. */
export const noRemediationStarter: RemediationStarter = {
  start: (request) =>
    Promise.resolve({
      started: false,
      reason: `no remediation is registered for '${request.approval.kind}' approvals yet; the decision is recorded`,
    }),
};
