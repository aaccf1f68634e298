/**
 * One notification: a fact Warden publishes for people and systems outside it (an approval requested or decided,
 * a remediation outcome, the audit chain head). Adapters send it as a CloudEvents 1.0 event.
 */
export interface Notification {
  /** CloudEvents `type`, reverse-DNS style: `Warden.Approval.Requested`, `Warden.Audit.ChainHead`, … */
  readonly type: string;
  /** CloudEvents `subject`: what it is about (`approvals/apr-…`, `audit/head`, an ARM id). */
  readonly subject: string;
  /** The payload: identifiers, versions, fingerprints and outcomes — never a secret value or a token. */
  readonly data: Readonly<Record<string, unknown>>;
  /**
   * The correlation id of the audit entries this notification reports on; carried as the CloudEvents extension
   * attribute `correlationid` so a receiver can look the entries up (`GET /api/audit?correlationId=…`).
   */
  readonly correlationId: string;
  /** Event id; adapters generate one when absent. Receivers dedupe by it. */
  readonly id?: string;
  /** Event time; adapters use the Clock when absent. */
  readonly time?: Date;
}

/**
 * Publishes notifications outside Warden: an Event Grid custom topic (the emulator's locally) or a Service Bus
 * topic through an output binding (the runtime's broker locally), chosen by settings.
 *
 * @remarks
 * A notification is sent after the change it reports on has committed (and been audited): a failed publish never
 * undoes the change, and the caller decides whether to retry or to log it. Implementations must not log payloads
 * beyond identifiers. Adapters live in `shared/cloud/azure/`; in-memory fakes are for unit tests only.
 */
export interface Notifier {
  /** Publishes the notifications, all or none (one request to the topic). Throws on failure. */
  publish(notifications: readonly Notification[]): Promise<void>;
}

/** Well-known notification types. */
export const NOTIFICATION_TYPES = {
  approvalRequested: 'Warden.Approval.Requested',
  approvalDecided: 'Warden.Approval.Decided',
  auditChainHead: 'Warden.Audit.ChainHead',
  remediationOutcome: 'Warden.Remediation.Outcome',
} as const;

/** CloudEvents 1.0 `source` of every event Warden publishes. */
export const NOTIFICATION_SOURCE = '/warden';
