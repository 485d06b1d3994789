/**
 * Places on a chrono agenda (public services), for the booking's whole life:
 * fillslot puts the booking on the event's main list (confirmed) or on its
 * waiting list, where an approver accepts or rejects it before a deadline.
 * While confirmed it can be suspended, resized, cancelled; after the event
 * presence is marked; once the retention period after the event is over the
 * booking is anonymized at chrono and completes. It can be deleted on request.
 * A chrono refusal fails the answer with chrono's words; a refusal that says
 * where chrono has the booking moves the view there.
 *
 * fillslot is a hold: its release, registered before the call, cancels
 * whatever chrono booking carries this booking's tag. Without the event's
 * times (the seed never promises them) presence is marked on the main list and
 * the retention period counts from the booking. */
import { ActivityFailure, type ActivityInterfaceFor, proxyActivities } from '@temporalio/workflow';
import type { ChronoActivities, FilledSlot } from '../activities/chrono/activities';
import type { ChronoBookingRequest, PresenceRequest, ResizeRequest } from '../activities/chrono/contract';
import { bookingIdIn, chronoRefusalIn } from '../activities/chrono/refusal';
import { ORCHESTRATOR_KEY } from '../activities/chrono/tag';
import type { BookingError, BookingStart, BookingView } from './booking';
import { describeFailure } from './failures';
import { type Booking, type Given, type StepSummaries, type Wait, cancel, defineAnswer, isAnswer, openBooking, takes } from './kit';
import { PROVIDER_CALL } from './provider-call';
import type { TripRole } from './trip-role';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ChronoTiming {
  /** How long an approver has to accept a booking on the waiting list; never past the event's start. */
  approvalMs: number;
  /** How long a booking keeps its personal data after the event (after the booking when the event's times are unknown). */
  retentionMs: number;
  /** How long chrono may stay unreachable before a booking, or an answer, gives up. */
  providerDeadlineMs: number;
  /** After this long a failing release flags the booking for an operator (it goes on retrying, pausing releaseRetryPauseMs). */
  releaseEscalationMs: number;
  releaseRetryPauseMs: number;
}

const defaultChronoTiming: ChronoTiming = {
  approvalMs: 2 * DAY_MS,
  retentionMs: 30 * DAY_MS,
  providerDeadlineMs: 10 * 60_000,
  releaseEscalationMs: 10 * 60_000,
  releaseRetryPauseMs: 30_000,
};

export type ChronoBookingStart = BookingStart<ChronoBookingRequest, ChronoTiming>;

/** Why an approver or an operator gave an answer, recorded in the timeline. */
export interface ReasonRequest {
  reason?: string;
}

export const accept = defineAnswer('accept', 'acceptBooking');
export const reject = defineAnswer<[ReasonRequest?]>('reject', 'rejectBooking');
export const suspend = defineAnswer<[ReasonRequest?]>('suspend', 'suspendBooking');
export const resize = defineAnswer<[ResizeRequest]>('resize', 'resizeBooking');
export const markPresence = defineAnswer<[PresenceRequest]>('markPresence', 'markBookingPresence');
export const deleteBooking = defineAnswer<[ReasonRequest?]>('delete', 'deleteBooking');

/** Bookings started since fillslot's release finds chrono's booking by its tag (earlier ones cancel it by id). */
const RELEASE_BY_TAG = 'chrono-release-by-tag';
const RELEASING = 'cancelling the booking at chrono';

type Place = 'waiting_list' | 'main_list' | 'event_over';

/** chrono's steps as the Temporal UI's timeline says them. */
export const chronoSteps: StepSummaries<ChronoActivities> = {
  fillChronoSlot: (_bookingId, request) => `book ${request.count ?? 1} place(s) at ${request.agenda}/${request.slot}`,
  releaseChronoSlot: (_bookingId, where, knownChronoId) => `release the place on agenda ${where.agenda}${knownChronoId === undefined ? '' : ` (chrono booking ${knownChronoId})`}`,
  acceptChronoBooking: (id) => `accept chrono booking ${id} onto the main list`,
  suspendChronoBooking: (id) => `move chrono booking ${id} back to the waiting list`,
  resizeChronoBooking: (id, count) => `resize chrono booking ${id} to ${count} place(s)`,
  markChronoPresence: (id, presence) => `mark chrono booking ${id} ${presence.user_was_present ? 'present' : 'absent'}`,
  cancelChronoBooking: (id) => `cancel chrono booking ${id}`,
  anonymizeChronoBooking: (id) => `anonymize chrono booking ${id}`,
  deleteChronoBooking: (id) => `delete chrono booking ${id}`,
};


export async function chronoAgendaBooking(input: ChronoBookingStart): Promise<BookingView> {
  const timing: ChronoTiming = { ...defaultChronoTiming, ...input.timing };
  const { bookingId, request } = input;
  const chrono = proxyActivities<ChronoActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.providerDeadlineMs });
  // Anonymizing is owed to the user: it retries until chrono takes it.
  const chronoUntilDone = proxyActivities<ChronoActivities>(PROVIDER_CALL);
  const b: Booking<ActivityInterfaceFor<ChronoActivities>> = openBooking(input, {
    provider: 'chrono',
    answers: [
      takes(accept),
      takes(reject),
      takes<[ReasonRequest?]>(suspend, () => overFor('suspended')),
      takes(resize, (r) => (Number.isInteger(r?.count) && r.count >= 1 ? overFor('resized') : 'count must be a whole number of places, at least 1')),
      takes(markPresence, (p) => (typeof p?.user_was_present !== 'boolean' ? 'user_was_present must be true or false' : p.extra_data && ORCHESTRATOR_KEY in p.extra_data ? `extra_data may not hold ${ORCHESTRATOR_KEY}` : undefined)),
      takes(deleteBooking),
    ],
    cancelCheck: (): string | undefined => (b.stage === 'releasing' ? 'the booking is already being cancelled at chrono' : undefined),
    releases: proxyActivities<ChronoActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs }),
    releasePauseMs: timing.releaseRetryPauseMs,
  });
  const releaseByTag = b.record.hasPatch(RELEASE_BY_TAG);
  /** The view's result: chrono's booking as the workflow knows it. */
  const result: Record<string, unknown> = {};
  let slot: FilledSlot | undefined;
  let salvagedId: number | undefined;
  let place = 'main_list' as Place;
  let note = '';
  let approvalUntil = 0;
  let retainUntil = 0;

  const because = (r?: ReasonRequest): string => (r?.reason ? ` (${r.reason})` : '');

  return b.run(async () => {
    // A hold: its release finds chrono's booking by its tag, should the answer be lost or unreadable.
    const filled = await fillSlot();
    if (!filled) return;
    slot = filled;
    const chronoId = filled.booking_id;
    b.record.addReferences({ booking_id: chronoId, agenda: filled.agenda.slug, slot: String(request.slot) });
    const { datetime, end_datetime, startsAt, endsAt } = filled;
    publish({ booking_id: chronoId, agenda: filled.agenda, slot: String(request.slot), datetime, end_datetime, startsAt, endsAt, count: request.count, overbooked_places: null, presence: null, lastRefusal: null, anonymized: false });
    const replaced = filled.replacedEarlierAttempts;
    if (replaced.length > 0) b.record.note(`an earlier unanswered attempt had booked ${replaced.join(', ')} at chrono; cancelled before booking again`);
    retainUntil = Date.now() + timing.retentionMs;
    if (!endsAt) b.record.note(`chrono did not say when the event takes place: presence can be marked at any time, and the booking is anonymized at ${new Date(retainUntil).toISOString()}`);

    if (filled.in_waiting_list) enter('waiting_list', `chrono booking ${chronoId} is on the waiting list: an approver must accept it`);
    else enter('main_list', `chrono booking ${chronoId} is on the main list: confirmed`);
    for (;;) {
      const given = await b.waitFor({ ...waitAt(place), note });
      if (isAnswer(given, cancel)) b.cancelNow(given.args[0]);
      if (isAnswer(given, reject)) {
        return b.releaseAndEnd('cancelled', 'rejected', `rejected by an approver${because(given.args[0])}; the booking was cancelled at chrono`, RELEASING);
      }
      if (given) {
        if (await carryOut(given, chronoId)) return;
      } else if (place === 'waiting_list') {
        return b.releaseAndEnd('expired', 'expired', 'no approver answered before the deadline; the booking was cancelled at chrono', RELEASING);
      } else if (place === 'main_list' && endsAt) {
        enter('event_over', 'the event is over: presence can be marked until the booking is anonymized');
      } else {
        b.progress({ status: 'confirmed', stage: 'anonymizing', note: 'the retention period is over: anonymizing the booking at chrono', cancellable: false });
        await chronoUntilDone.anonymizeChronoBooking(chronoId);
        // chrono no longer holds the absence reason or extra data: neither does the view.
        const presence = result.presence as { user_was_present: boolean | null } | null;
        publish({ anonymized: true, presence: presence ? { user_was_present: presence.user_was_present } : null });
        return b.end('completed', 'anonymized', 'anonymized at chrono; the booking is complete');
      }
    }
  });

  /** fillslot, held; undefined when the booking failed (refused, or an outcome unknown: what chrono booked is cancelled). */
  async function fillSlot(): Promise<FilledSlot | undefined> {
    try {
      return await b.hold(
        (taken) => `the chrono booking ${taken?.booking_id ?? salvagedId ?? 'tagged with this booking'}`,
        () => {
          b.progress({ stage: 'filling_slot', note: `asking chrono for ${request.count} place(s) on ${request.agenda}/${request.slot}` });
          return chrono.fillChronoSlot(bookingId, request);
        },
        (releases, taken) =>
          releaseByTag
            ? releases.releaseChronoSlot(bookingId, { user_external_id: request.user_external_id, agenda: request.agenda }, taken?.booking_id ?? salvagedId)
            : releases.cancelChronoBooking(taken!.booking_id),
      );
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const error = describeFailure(err);
      const refusal = chronoRefusalIn(error.providerDetails);
      b.record.setError(error);
      if (refusal) b.end('failed', 'fillslot_refused', `chrono refused: ${refusal.err_class} (${refusal.meaning})`);
      else if (!releaseByTag) b.end('failed', 'fillslot_failed', `failed: ${error.message}`);
      else {
        salvagedId = bookingIdIn(error.providerDetails);
        if (salvagedId) b.record.addReferences({ booking_id: salvagedId });
        await b.releaseAndEnd('failed', 'fillslot_failed', `failed: ${error.message}`, 'chrono may have booked: looking it up to cancel it');
      }
      return undefined;
    }
  }

  /** Carries out an answer at chrono; returns whether the booking ended. */
  async function carryOut(given: Given, chronoId: number): Promise<boolean> {
    try {
      if (isAnswer(given, accept)) {
        const { overbooked_places } = await chrono.acceptChronoBooking(chronoId);
        publish({ overbooked_places });
        enter('main_list', `accepted by an approver: on the main list${overbooked_places ? `, the event is overbooked by ${overbooked_places} place(s)` : ''}`);
      } else if (isAnswer(given, suspend)) {
        await chrono.suspendChronoBooking(chronoId);
        enter('waiting_list', `suspended${because(given.args[0])}: back on the waiting list, awaiting approval again`);
      } else if (isAnswer(given, resize)) {
        const [{ count }] = given.args;
        await chrono.resizeChronoBooking(chronoId, count);
        note = `resized from ${String(result.count)} to ${count} place(s)`;
        publish({ count });
      } else if (isAnswer(given, markPresence)) {
        const { user_was_present, user_absence_reason = '', extra_data = null } = given.args[0];
        await chrono.markChronoPresence(chronoId, given.args[0]);
        publish({ presence: { user_was_present, user_absence_reason, extra_data } });
        note = user_was_present ? 'marked present' : 'marked absent';
      } else if (isAnswer(given, deleteBooking)) {
        const status = eventOver() ? 'completed' : 'cancelled';
        await chrono.deleteChronoBooking(chronoId);
        b.end(status, 'deleted', `deleted at chrono on request${because(given.args[0])}`);
        return true;
      }
      if (result.lastRefusal) publish({ lastRefusal: null });
      return false;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      return followChrono(given, describeFailure(err));
    }
  }

  /** chrono refused an answer: it fails with chrono's words; a refusal that says where chrono has the booking moves the view there. */
  function followChrono(given: Given, error: BookingError): boolean {
    const refusal = chronoRefusalIn(error.providerDetails);
    const { name } = given.answer;
    const said = refusal ? `chrono refused ${name}: ${refusal.err_class} (${refusal.meaning})` : `${name} failed: ${error.message}`;
    publish({ lastRefusal: { action: name, ...(refusal ? { err_class: refusal.err_class, meaning: refusal.meaning } : { message: error.message }) } });
    if (refusal?.place === 'cancelled') {
      b.refuseAnswer(said);
      b.end('cancelled', 'cancelled_at_chrono', 'chrono has the booking cancelled: it was cancelled outside this workflow');
      return true;
    }
    if (refusal?.place === 'waiting_list' && place !== 'waiting_list') {
      b.record.note(said);
      enter('waiting_list', 'chrono has the booking on the waiting list (suspended at chrono): awaiting approval again');
    } else if (refusal?.place === 'main_list' && place === 'waiting_list') {
      b.record.note(said);
      enter('main_list', 'chrono has the booking on the main list (accepted at chrono): confirmed');
    } else {
      note = said;
    }
    const now = waitAt(place);
    b.refuseAnswer(`${said}; the booking is ${now.status} (${now.stage})${isAnswer(given, resize) ? ` with ${String(result.count)} place(s)` : ''}`);
    return false;
  }

  /** The booking is now on `to` at chrono (the main list of an event that is over: `event_over`). */
  function enter(to: Place, why: string): void {
    place = to === 'main_list' && eventOver() ? 'event_over' : to;
    note = why;
    if (place === 'waiting_list') {
      const start = slot?.startsAt ? Date.parse(slot.startsAt) : undefined;
      const byRule = Date.now() + timing.approvalMs;
      approvalUntil = start !== undefined && start > Date.now() ? Math.min(byRule, start) : byRule;
      b.record.setCancellable(true);
    }
    if (place === 'event_over') b.record.setCancellable(false, `the event is over (${slot?.end_datetime}): the booking can no longer be cancelled, only deleted`);
    publish({ in_waiting_list: place === 'waiting_list' });
  }

  /** What the booking waits for where it is; without the event's times, presence is marked on the main list until the retention period is over. */
  function waitAt(at: Place): Omit<Wait, 'note'> {
    const eventEnd = slot?.endsAt ? Date.parse(slot.endsAt) : undefined;
    if (at === 'waiting_list') {
      return {
        status: 'awaiting_approval',
        stage: 'waiting_list',
        on: 'approver',
        answers: [accept, reject, cancel, deleteBooking],
        until: approvalUntil,
        atDeadline: 'the booking is cancelled at chrono and expires',
        what: `a place on ${String(request.slot)} from the waiting list: accept it onto the main list (over the event's places: chrono reports by how many), or reject it`,
        // What the approver decides on: the event and how many places (no personal data).
        details: { agenda: slot?.agenda.slug, event: String(request.slot), datetime: slot?.datetime ?? null, places: request.count, in_waiting_list: true },
      };
    }
    if (at === 'event_over') {
      return { status: 'confirmed', stage: 'event_over', on: 'approver', answers: [markPresence, deleteBooking], until: eventEnd! + timing.retentionMs, atDeadline: 'the booking is anonymized at chrono and completes' };
    }
    return eventEnd !== undefined
      ? { status: 'confirmed', stage: 'main_list', on: 'client', answers: [resize, suspend, cancel, deleteBooking], until: eventEnd, atDeadline: 'the event is over: presence can be marked until the booking is anonymized' }
      : { status: 'confirmed', stage: 'main_list', on: 'client', answers: [resize, suspend, markPresence, cancel, deleteBooking], until: retainUntil, atDeadline: 'the retention period is over (chrono did not say when the event ends): the booking is anonymized at chrono and completes' };
  }

  function eventOver(): boolean {
    return Boolean(slot?.endsAt) && Date.now() >= Date.parse(slot!.endsAt!);
  }
  function overFor(what: string): string | undefined {
    return eventOver() ? `the event is over (${slot!.end_datetime}): the booking can no longer be ${what}` : undefined;
  }
  function publish(changes: Record<string, unknown>): void {
    b.record.setResult({ ...Object.assign(result, changes) });
  }
}

/**
 * chrono in a trip: a place on the main list (`confirmed`) holds; on the waiting
 * list an approver decides first. A cancel releases it until the event is over;
 * the trip's confirm leaves it as it is (chrono has nothing to complete).
 */
export const chronoInTrip: TripRole<ChronoBookingRequest> = {
  booked: (request) => `${request.count ?? 1} place(s) at ${request.agenda}/${request.slot}`,
  workflow: chronoAgendaBooking,
  pivotBecause: () => undefined,
  holds: (leg) => leg.status === 'confirmed',
};
