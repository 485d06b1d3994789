/**
 * The shared booking vocabulary: statuses, the booking view every query returns,
 * and the signals, updates and queries the API and operators use. Pure: imported
 * by workflows (replayed) and by the API alike, so a name can never drift.
 */
import { defineQuery } from '@temporalio/workflow';

export const PROVIDERS = ['oks', 'qtickets', 'hotels24', 'brusnika', 'chrono'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const BOOKING_STATUSES = [
  'pending',
  'processing',
  'awaiting_approval',
  'held',
  'confirmed',
  'completed',
  'failed',
  'cancelled',
  'expired',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

const TERMINAL_STATUSES: readonly BookingStatus[] = ['completed', 'failed', 'cancelled', 'expired'];
export const isTerminal = (status: BookingStatus): boolean => TERMINAL_STATUSES.includes(status);

/** What a booking waits for, and until when: every human wait has a deadline. */
export interface Waiting {
  /** Who must act: a person (`approver`, `client`), an `operator` (a release that keeps failing), or the provider. */
  on: 'approver' | 'client' | 'provider' | 'operator';
  /** The answers that move the booking on, by their signal/update names. */
  actions: string[];
  /** ISO time after which the booking moves on by itself. */
  deadline: string | null;
  /** What happens at the deadline, in a few words. */
  atDeadline: string;
  /** What is waited for, in a sentence for the people who must act. */
  what?: string;
  /** The data to decide on (conditions shown, differences, missing fields), in the provider's terms. */
  details?: Record<string, unknown>;
}

export interface BookingError {
  /** Stable machine code (`provider_refused`, `provider_unavailable`, ...). */
  code: string;
  /** The provider's own words where the provider refused. */
  message: string;
  /** The provider's answer as it came, for the ones who need every field. */
  providerDetails?: unknown;
}

interface TimelineEntry {
  at: string;
  status: BookingStatus;
  stage: string;
  note: string;
  /** Who gave the answer the entry records (`client (role)`), when the API sent it. */
  by?: string;
}

/**
 * Who gives an answer: the API sends it as the update's last argument, after the answer's
 * own (absent when the Temporal UI or CLI sends the signal). Client names and roles, never
 * personal data; kept in the timeline as the audit trail.
 */
export interface AnswerAuthor {
  answeredBy: { client: string; role: string };
}

export function isAnswerAuthor(arg: unknown): arg is AnswerAuthor {
  const by = (arg as { answeredBy?: { client?: unknown; role?: unknown } } | null)?.answeredBy;
  return typeof by?.client === 'string' && typeof by.role === 'string';
}

/** The answer of the `status` query, of GET /api/v1/bookings/:id, and of the workflow. */
export interface BookingView {
  bookingId: string;
  provider: Provider;
  client: string;
  status: BookingStatus;
  /** The provider's own name for where the booking is. */
  stage: string;
  createdAt: string;
  updatedAt: string;
  waitingFor: Waiting | null;
  /** Identifiers at the provider (task id, contact_id, ticket ids...). */
  references: Record<string, string | number>;
  /** What the booking produced once it did (provider's result). */
  result: Record<string, unknown> | null;
  error: BookingError | null;
  /** Set when something needs an operator's eyes (a release that keeps failing). */
  attention: string | null;
  /** Whether an app may still cancel, and why not when it may not. */
  cancellable: boolean;
  /** Why an app may not cancel, where a workflow says more than its status does. */
  notCancellableReason?: string;
  /** Counts the view's changes, so a caller can tell whether the booking moved on since a view it holds. */
  revision: number;
  /** What happened, oldest first; signals that came at the wrong time are recorded here too. */
  timeline: TimelineEntry[];
}

/** Every booking workflow starts from this envelope; `request` is the provider's own. */
export interface BookingStart<Request, Timing> {
  bookingId: string;
  /** Owner of the booking (the API token's client); not personal data. */
  client: string;
  request: Request;
  /** Durations that override the provider's defaults (tests, sandboxes). */
  timing?: Partial<Timing>;
  /** When the API accepted it (its answer to the start says so without asking Temporal); bookings started before: the workflow's start time. */
  createdAt?: string;
}

export { workflowIdFor } from '../common/workflow-id';

/** Why a cancel came, recorded in the timeline. */
export interface CancelRequest {
  reason?: string;
}

// Queries, signals and updates shared by every booking workflow.
export const statusQuery = defineQuery<BookingView>('status');
