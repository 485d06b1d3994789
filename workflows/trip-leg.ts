/**
 * What a booking running as a leg of a trip tells its trip: the booking record
 * signals this summary to its parent whenever the booking moves, so the trip
 * follows its legs without polling. A booking without a parent sends nothing,
 * so bookings started on their own (and their recorded histories) are unchanged.
 */
import { defineSignal, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import type { BookingStatus, BookingView, Provider, Waiting } from './booking';

/** A leg as its trip sees it: where it is, what it waits for, how it failed. No personal data. */
export interface LegStatus {
  bookingId: string;
  provider: Provider;
  status: BookingStatus;
  stage: string;
  /** The leg's latest timeline note: its own words for what happened. */
  note: string;
  waitingFor: Waiting | null;
  error: { code: string; message: string } | null;
  attention: string | null;
  cancellable: boolean;
  notCancellableReason?: string;
  /** The booking view's revision: a summary older than the one the trip holds is ignored. */
  revision: number;
}

export const legChanged = defineSignal<[LegStatus]>('legChanged');

export function legStatusOf(view: BookingView): LegStatus {
  const { bookingId, provider, status, stage, attention, cancellable, notCancellableReason, revision } = view;
  return {
    bookingId,
    provider,
    status,
    stage,
    note: view.timeline[view.timeline.length - 1]?.note ?? '',
    // A copy: the signal's payload must not change with the booking.
    waitingFor: view.waitingFor ? (JSON.parse(JSON.stringify(view.waitingFor)) as Waiting) : null,
    error: view.error ? { code: view.error.code, message: view.error.message } : null,
    attention,
    cancellable,
    ...(notCancellableReason ? { notCancellableReason } : {}),
    revision,
  };
}

/** The hook of the booking record: a booking that is a trip's leg tells its trip how it stands. */
export function tellTrip(view: BookingView): void {
  const parent = workflowInfo().parent;
  if (!parent) return;
  // A trip that has ended no longer listens; it reads a leg's last view from the leg's result anyway.
  getExternalWorkflowHandle(parent.workflowId, parent.runId)
    .signal(legChanged, legStatusOf(view))
    .catch(() => undefined);
}
