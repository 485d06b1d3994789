/**
 * Hotel rooms booked with hotels24's staged method. hotels24 checks the rooms
 * and shows the actual conditions (postConditions), takes the booker's
 * requisites (preRequisites), shows them for confirmation (postRequisites) and
 * books (complete). The booking stops where a person must look: conditions
 * that differ from the requested ones, missing requisites, and the final
 * confirmation unless it was started with `autoConfirm`. Nothing is held at
 * the hotel before `complete`, so a booking that ends half-way releases
 * nothing; and `complete` cannot be undone (hotels24 offers no cancellation):
 * the hotel is the pivot of any saga it is part of.
 */
import {
  ActivityFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { BookingChanges, Hotels24Activities } from '../activities/hotels24/activities';
import type { HotelStop } from '../activities/hotels24/contract';
import { handleAnswer, handleCancel } from './answers';
import { type BookingStart, type BookingView, type Waiting, statusQuery } from './booking';
import { BookingRecord } from './booking-record';
import { describeFailure } from './failures';

const HOUR_MS = 60 * 60 * 1000;

/** Assumed where the seed is silent (activities/hotels24/contract.ts): a staged request_id lives a day after its last use. */
export const REQUEST_LIFETIME_MS = 24 * HOUR_MS;

// ---------------------------------------------------------------------------
// What people send: the booking request and the answers at the stops. The API
// checks them (400 naming every field); the workflow checks them again, for
// answers sent as signals from the Temporal UI or CLI.

function isCalendarDate(value: string): boolean {
  const at = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
}
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is yyyy-mm-dd').refine(isCalendarDate, 'not a date in the calendar');

export const Requisites = z.strictObject({
  first_name: z.string().trim().min(1, 'first_name is required'),
  last_name: z.string().trim().min(1, 'last_name is required'),
  email: z.email('email must be an email address'),
  phone: z.string().regex(/^\+?[\d\s()-]{7,20}$/, 'phone is 7 to 20 digits, with an optional +, spaces, () and -'),
});
export type Requisites = z.infer<typeof Requisites>;

const Living = z.strictObject({
  first_name: z.string().trim().min(1, 'first_name is required'),
  last_name: z.string().trim().min(1).optional(),
});

const Block = z
  .strictObject({
    tariff: z.string().trim().min(1, 'tariff is required'),
    /** Optional conditions: given, they are checked against the hotel's; differing, the booking stops for an approver. */
    conditions: z
      .strictObject({
        cancellation: z.union([z.literal(false), z.number().int().min(0)]).optional(),
        booking_method: z.number().int().optional(),
      })
      .optional(),
    recovery: z
      .strictObject({ unit: z.enum(['percent', 'day']), amount: z.number().int(), sum: z.number().int().min(0) })
      // The seed: "1-9 - days, 10-100 - percent".
      .refine((r) => (r.unit === 'day' ? r.amount >= 1 && r.amount <= 9 : r.amount >= 10 && r.amount <= 100), {
        path: ['amount'],
        message: 'amount is 1 to 9 days or 10 to 100 percent',
      })
      .optional(),
    total_cost: z.number().int().min(0),
    quantity: z.number().int().min(1),
    living: z.array(Living).optional(),
  })
  .refine((b) => (b.living?.length ?? 0) <= b.quantity, { path: ['living'], message: 'at most one living person per room' });

const bookingFields = {
  arrival_date: IsoDate,
  departure_date: IsoDate,
  blocks: z.array(Block).min(1, 'at least one block'),
  requisites: Requisites.optional(),
};
const departureAfterArrival = (b: { arrival_date?: string; departure_date?: string }, ctx: z.RefinementCtx): void => {
  if (b.arrival_date && b.departure_date && b.departure_date <= b.arrival_date) {
    ctx.addIssue({ code: 'custom', path: ['departure_date'], message: 'departure_date must be after arrival_date' });
  }
};
const BookingFields = z.strictObject(bookingFields).superRefine(departureAfterArrival);

/** POST /api/v1/bookings `request` for hotels24: the seed's booking fields, and whether to skip the final confirmation. */
export const Hotels24BookingRequest = z
  .strictObject({
    ...bookingFields,
    /** Book as soon as hotels24 accepts the requisites, without the approver's final confirmation. */
    autoConfirm: z.boolean().default(false),
  })
  .superRefine(departureAfterArrival);
export type Hotels24BookingRequest = z.infer<typeof Hotels24BookingRequest>;

/** `accept`, optionally with corrected data: whole fields replacing the ones sent before. */
export const AcceptAnswer = z.strictObject({
  arrival_date: IsoDate.optional(),
  departure_date: IsoDate.optional(),
  blocks: bookingFields.blocks.optional(),
  requisites: Requisites.optional(),
  note: z.string().max(500).optional(),
});
export type AcceptAnswer = z.input<typeof AcceptAnswer>;

export const RejectAnswer = z.strictObject({ reason: z.string().max(500).optional() });
export type RejectAnswer = z.input<typeof RejectAnswer>;

// ---------------------------------------------------------------------------
// Timing, signals and updates

export interface Hotels24Timing {
  /** How long the approver has to accept or reject conditions that differ from the requested ones. */
  conditionsDecisionMs: number;
  /** How long the client has to supply missing requisites. */
  requisitesWaitMs: number;
  /** How long the approver has for the final confirmation. */
  confirmationWaitMs: number;
  /** First pause after hotels24 answered `error` or was unreachable; doubles up to the maximum. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** How long one step is retried before the booking fails as unanswered. */
  retryGiveUpMs: number;
}

export const defaultHotels24Timing: Hotels24Timing = {
  // Half the request_id's lifetime: an answer given at the deadline still finds the request at hotels24.
  conditionsDecisionMs: REQUEST_LIFETIME_MS / 2,
  requisitesWaitMs: REQUEST_LIFETIME_MS / 2,
  confirmationWaitMs: REQUEST_LIFETIME_MS / 2,
  retryInitialMs: 1_000,
  retryMaxMs: 60_000,
  retryGiveUpMs: 30 * 60_000,
};

export type Hotels24BookingStart = BookingStart<Hotels24BookingRequest, Hotels24Timing>;

// Signals are for people in the Temporal UI / CLI; updates for the API (a wrong-time answer is a 409).
export const acceptSignal = defineSignal<[AcceptAnswer?]>('accept');
export const acceptUpdate = defineUpdate<BookingView, [AcceptAnswer?]>('acceptBooking');
export const rejectSignal = defineSignal<[RejectAnswer?]>('reject');
export const rejectUpdate = defineUpdate<BookingView, [RejectAnswer?]>('rejectBooking');
export const requisitesSignal = defineSignal<[Requisites]>('requisites');
export const requisitesUpdate = defineUpdate<BookingView, [Requisites]>('supplyRequisites');

const PIVOT = 'a completed hotel booking cannot be cancelled: hotels24 offers no cancellation (the hotel is the pivot of the booking)';
const COMPLETING = 'hotels24 is booking the rooms, which cannot be undone; the booking can no longer be cancelled';
const NOTHING_HELD = 'nothing is held at the hotel before complete';

type StopKind = 'conditions' | 'requisites' | 'confirmation';
type Decision =
  | { answer: 'accept'; changes: BookingChanges; note?: string }
  | { answer: 'reject'; reason?: string }
  | { answer: 'requisites'; requisites: Requisites };

const problemsOf = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');

export async function hotels24HotelBooking(input: Hotels24BookingStart): Promise<BookingView> {
  const timing: Hotels24Timing = { ...defaultHotels24Timing, ...input.timing };
  const { autoConfirm, ...fields } = input.request;
  const booking = new BookingRecord(input.bookingId, 'hotels24', input.client);
  const hotels24 = proxyActivities<Hotels24Activities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: timing.retryGiveUpMs,
    retry: { initialInterval: timing.retryInitialMs, backoffCoefficient: 2, maximumInterval: timing.retryMaxMs },
  });

  /** Where the booking waits for people, and the answer given there. */
  let stop: { kind: StopKind; at: HotelStop } | undefined;
  let decision: Decision | undefined;
  /** The booking's fields as last sent, so corrections are checked as the whole they make. */
  let sent = fields;

  // --- answers, each as an update (API) and a signal (Temporal UI / CLI)
  setHandler(statusQuery, () => booking.view);

  const cancel = handleCancel(booking);

  const waitingAt = (...kinds: StopKind[]): string | undefined => {
    if (!stop || decision || cancel.requested) return `nothing waits for this answer: the booking is ${booking.status} (${booking.stage})`;
    if (!kinds.includes(stop.kind)) return `the booking waits for ${booking.view.waitingFor?.actions.join('/') ?? 'another answer'}, not for this answer`;
    return undefined;
  };
  const refuseAccept = (payload: AcceptAnswer = {}): string | undefined => {
    const wrongTime = waitingAt('conditions', 'confirmation');
    if (wrongTime) return wrongTime;
    const parsed = AcceptAnswer.safeParse(payload);
    if (!parsed.success) return `invalid corrections: ${problemsOf(parsed.error)}`;
    const { note: _note, ...changes } = parsed.data;
    const whole = BookingFields.safeParse({ ...sent, ...changes });
    return whole.success ? undefined : `the corrected booking is invalid: ${problemsOf(whole.error)}`;
  };
  const takeAccept = (payload: AcceptAnswer = {}): void => {
    const { note, ...changes } = AcceptAnswer.parse(payload);
    decision = { answer: 'accept', changes, note };
    // From postRequisites on, going on books the rooms: a cancel can no longer stop it.
    if (stop && completesFrom(stop.at)) booking.setCancellable(false, COMPLETING);
  };
  const refuseReject = (payload: RejectAnswer = {}): string | undefined => {
    const wrongTime = waitingAt('conditions', 'requisites', 'confirmation');
    if (wrongTime) return wrongTime;
    const parsed = RejectAnswer.safeParse(payload);
    return parsed.success ? undefined : `invalid rejection: ${problemsOf(parsed.error)}`;
  };
  const takeReject = (payload: RejectAnswer = {}): void => {
    decision = { answer: 'reject', reason: RejectAnswer.parse(payload).reason };
  };
  const refuseRequisites = (payload: unknown): string | undefined => {
    const wrongTime = waitingAt('requisites');
    if (wrongTime) return wrongTime;
    const parsed = Requisites.safeParse(payload);
    return parsed.success ? undefined : `invalid requisites: ${problemsOf(parsed.error)}`;
  };
  const takeRequisites = (payload: unknown): void => {
    decision = { answer: 'requisites', requisites: Requisites.parse(payload) };
  };

  handleAnswer(booking, { name: 'accept', signal: acceptSignal, update: acceptUpdate, refuse: refuseAccept, take: takeAccept });
  handleAnswer(booking, { name: 'reject', signal: rejectSignal, update: rejectUpdate, refuse: refuseReject, take: takeReject });
  handleAnswer(booking, { name: 'requisites', signal: requisitesSignal, update: requisitesUpdate, refuse: refuseRequisites, take: takeRequisites });

  // --- the steps at hotels24
  const providerWait = (actions: string[]): Waiting => ({
    on: 'provider',
    actions,
    deadline: new Date(Date.now() + timing.retryGiveUpMs).toISOString(),
    atDeadline: 'the booking fails as unanswered',
  });

  /** A step that stops before `complete`: a cancel interrupts it, as nothing is held at the hotel. */
  const unlessCancelled = async (stage: string, note: string, step: () => Promise<HotelStop>): Promise<HotelStop | undefined> => {
    if (cancel.requested) return undefined;
    booking.moveTo('processing', stage, note, providerWait(['cancel']));
    const call = new CancellationScope();
    const watch = new CancellationScope();
    void watch.run(() => condition(() => cancel.requested !== undefined)).then(
      () => call.cancel(),
      () => undefined,
    );
    try {
      return await call.run(step);
    } catch (err) {
      if (cancel.requested && isCancellation(err)) return undefined;
      throw err;
    } finally {
      watch.cancel();
    }
  };

  /** The step that books the rooms: shielded, since once sent its outcome must be known. */
  let completing = false;
  const complete = async (requestId: string, changes?: BookingChanges): Promise<HotelStop> => {
    booking.moveTo('processing', 'complete', 'asking hotels24 to book the rooms', providerWait([]));
    if (booking.view.cancellable) booking.setCancellable(false, COMPLETING);
    completing = true;
    const at = await CancellationScope.nonCancellable(() => hotels24.completeHotelBooking({ request_id: requestId, changes }));
    completing = false;
    return at;
  };

  /** A person must look: the booking waits for an answer until the stop's deadline. */
  const waitAt = async (kind: StopKind, at: HotelStop): Promise<Decision | 'cancelled' | 'expired'> => {
    const waitMs = { conditions: timing.conditionsDecisionMs, requisites: timing.requisitesWaitMs, confirmation: timing.confirmationWaitMs }[kind];
    stop = { kind, at };
    decision = undefined;
    booking.setCancellable(true);
    booking.moveTo('awaiting_approval', at.state, stopNote(kind, at), {
      ...whoActs(kind),
      deadline: new Date(Date.now() + waitMs).toISOString(),
      atDeadline: `the booking expires; ${NOTHING_HELD}`,
      what: whatIsAsked(kind, at),
      details: {
        request_id: at.requestId,
        stage: at.state,
        status: at.status,
        // What hotels24 shows at this stage: actual conditions, general_conditions, requisites, living.
        booking: at.booking,
        ...(at.differences.length ? { differences: at.differences } : {}),
        ...(at.missing.length ? { missing: at.missing } : {}),
      },
    });
    const answered = await condition(() => decision !== undefined || cancel.requested !== undefined, waitMs);
    stop = undefined;
    if (cancel.requested) return 'cancelled';
    return answered && decision ? decision : 'expired';
  };

  const finish = async (): Promise<BookingView> => {
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    return booking.view;
  };
  const endCancelled = async (): Promise<BookingView> => {
    booking.moveTo('cancelled', booking.stage, `cancelled${cancel.requested?.reason ? `: ${cancel.requested.reason}` : ''}; ${NOTHING_HELD}`);
    return finish();
  };

  try {
    let at = await unlessCancelled('preConditions', 'asking hotels24 to check the rooms and show the actual conditions', () =>
      hotels24.requestHotelConditions(fields),
    );

    for (;;) {
      if (at) booking.addReferences({ request_id: at.requestId });
      // A cancel accepted while hotels24 was answering wins: nothing was booked yet.
      if (!at || cancel.requested) return await endCancelled();
      const requestId = at.requestId;

      if (at.state === 'complete' && at.status === 'ok') {
        booking.setResult({ request_id: requestId, ...at.booking });
        booking.moveTo('completed', 'complete', 'hotels24 booked the rooms');
        booking.setCancellable(false, PIVOT);
        return await finish();
      }
      if (at.status === 'ok' && at.state !== 'postRequisites') {
        // The conditions are the requested ones: on to the requisites.
        at = await unlessCancelled(at.state, 'the conditions are as requested; hotels24 takes the requisites', () =>
          hotels24.continueHotelBooking({ request_id: requestId }),
        );
        continue;
      }
      if (at.status === 'ok' && autoConfirm) {
        at = await complete(requestId);
        continue;
      }

      const kind: StopKind = at.status === 'rejected' ? 'conditions' : at.status === 'requirements' ? 'requisites' : 'confirmation';
      const answered = await waitAt(kind, at);
      if (answered === 'cancelled') return await endCancelled();
      if (answered === 'expired') {
        booking.moveTo('expired', at.state, `no answer by the deadline; ${NOTHING_HELD}, hotels24 lets request ${requestId} lapse`);
        return await finish();
      }
      if (answered.answer === 'reject') {
        const message = `rejected by the approver${answered.reason ? `: ${answered.reason}` : ''}`;
        booking.setError({ code: 'rejected_by_approver', message });
        booking.moveTo('cancelled', at.state, `${message}; ${NOTHING_HELD}`);
        return await finish();
      }
      if (answered.answer === 'requisites') {
        sent = { ...sent, requisites: answered.requisites };
        const supplied = answered.requisites;
        at = await unlessCancelled(at.state, 'requisites supplied; hotels24 checks them', () => hotels24.supplyHotelRequisites(requestId, supplied));
        continue;
      }
      sent = { ...sent, ...answered.changes };
      const changes = Object.keys(answered.changes).length > 0 ? answered.changes : undefined;
      booking.note(`accepted${changes ? ` with corrected ${Object.keys(changes).join(', ')}` : ''}${answered.note ? `: ${answered.note}` : ''}`);
      at = completesFrom(at)
        ? await complete(requestId, changes)
        : await unlessCancelled(at.state, 'accepted; hotels24 goes on', () => hotels24.continueHotelBooking({ request_id: requestId, changes }));
    }
  } catch (err) {
    if (isCancellation(err)) {
      // Cancelled from the Temporal UI or CLI: nothing to release, and a completed booking stands.
      if (booking.status === 'completed') return booking.view;
      booking.moveTo('cancelled', booking.stage, `cancelled by an operator; ${NOTHING_HELD}`);
      throw err;
    }
    // Anything but an activity's failure is a bug: fail the workflow task, so a fix can resume it.
    if (!(err instanceof ActivityFailure)) throw err;
    const error = describeFailure(err);
    booking.setError(error);
    booking.moveTo('failed', booking.stage, `failed: ${error.message}`);
    if (completing && (error.code === 'provider_unavailable' || error.code === 'provider_timeout')) {
      booking.flag(`hotels24 gave no usable answer to the request to book the rooms; they may be booked under request_id ${String(booking.view.references.request_id)}: check with hotels24 before booking again`);
    }
    return await finish();
  }
}

/** From postRequisites on, `accepted` takes the request to `complete`. */
function completesFrom(at: HotelStop): boolean {
  return at.state === 'postRequisites' || at.state === 'complete';
}

function whoActs(kind: StopKind): Pick<Waiting, 'on' | 'actions'> {
  if (kind === 'requisites') return { on: 'client', actions: ['requisites', 'reject', 'cancel'] };
  return { on: 'approver', actions: ['accept', 'reject', 'cancel'] };
}

function whatIsAsked(kind: StopKind, at: HotelStop): string {
  switch (kind) {
    case 'conditions':
      return `hotels24's actual conditions differ from the requested ones (${at.differences.map((d) => d.field).join(', ')}): accept them, optionally with corrected data, or reject the booking`;
    case 'requisites':
      return `the booker's requisites are missing (${at.missing.join(', ')}): supply them`;
    case 'confirmation':
      return 'final confirmation: accept to book the rooms (a completed hotel booking cannot be cancelled), or reject';
  }
}

function stopNote(kind: StopKind, at: HotelStop): string {
  switch (kind) {
    case 'conditions':
      return `hotels24 rejected the requested conditions at ${at.state}; waiting for the approver`;
    case 'requisites':
      return 'hotels24 needs the booker\'s requisites; waiting for them';
    case 'confirmation':
      return 'hotels24 shows the booking for the final confirmation; waiting for the approver';
  }
}
