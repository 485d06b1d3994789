/**
 * A premise or a visit booked in Brusnika's CRM for an agent's client.
 *
 * Premise: check the premise is free, find the client by phone or create it
 * (under the agent, after the agency), create the booking, and wait for the
 * CRM's decision: `success` -> confirmed, `fail` -> failed with the CRM's reason.
 * A confirmed booking stays cancellable here for `bookedWatchMs`, then is handed
 * over to the deal in the CRM (completed).
 *
 * Visit: find or create the client, book the free time slot, create the visit on
 * it, and wait for the manager's answer; a confirmed visit stays cancellable
 * until it starts. Cancelling the visit frees its slot in the CRM.
 *
 * Brusnika cannot delete a client: one created by this booking and left without
 * it is reported in the view (result.left_behind and attention), never removed.
 * Brusnika has no idempotency key and no list of bookings or visits: when a
 * create got no answer and its retry is refused while the CRM shows the first
 * went through, the booking waits for an operator to attach the record's id
 * (`attach`) or cancel, until `operatorDeadlineMs`.
 */
import {
  ActivityFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { BrusnikaActivities, ClientFacts, CreateOutcome, Unconfirmed } from '../activities/brusnika/activities';
import type { Booking, BrusnikaBookingRequest, PremiseBookingRequest, Visit, VisitBookingRequest } from '../activities/brusnika/contract';
import { handleAnswer, handleCancel } from './answers';
import { type BookingStart, type BookingView, type Waiting, statusQuery } from './booking';
import { BookingRecord } from './booking-record';
import { PROVIDER_CALL } from './provider-call';
import { CompensationStack } from './compensations';
import { describeFailure, failureOfSteps } from './failures';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface BrusnikaTiming {
  /** First pause between looks at an open booking or visit; doubles up to the maximum. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** How long a call keeps retrying an unreachable CRM before the booking fails. */
  callDeadlineMs: number;
  /** How long the CRM may take to decide a booking or a visit; then it is cancelled there and the booking expires. */
  decisionDeadlineMs: number;
  /** How long a confirmed premise booking stays cancellable here before the CRM's deal takes over. */
  bookedWatchMs: number;
  /** How long a create the CRM may or may not have made waits for an operator to attach it. */
  operatorDeadlineMs: number;
  /** After this long a failing release flags the booking for an operator (and goes on retrying). */
  releaseEscalationMs: number;
}

export const defaultBrusnikaTiming: BrusnikaTiming = {
  pollInitialMs: 1_000,
  pollMaxMs: 30_000,
  callDeadlineMs: 30 * MINUTE_MS,
  decisionDeadlineMs: DAY_MS,
  bookedWatchMs: 7 * DAY_MS,
  operatorDeadlineMs: DAY_MS,
  releaseEscalationMs: 10 * MINUTE_MS,
};

export type BrusnikaBookingStart = BookingStart<BrusnikaBookingRequest, BrusnikaTiming>;

/** An operator found the booking or visit in the CRM: its id there. */
export interface AttachRecord {
  id: number;
}
export const attachSignal = defineSignal<[AttachRecord]>('attach');
export const attachUpdate = defineUpdate<BookingView, [AttachRecord]>('attachBrusnikaRecord');

type Ending = 'completed' | 'failed' | 'cancelled' | 'expired';
type Decision<T> = { kind: 'decided'; record: T } | { kind: 'cancel' } | { kind: 'deadline' };

export async function brusnikaBooking(input: BrusnikaBookingStart): Promise<BookingView> {
  const timing: BrusnikaTiming = { ...defaultBrusnikaTiming, ...input.timing };
  const booking = new BookingRecord(input.bookingId, 'brusnika', input.client);
  const crm = proxyActivities<BrusnikaActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.callDeadlineMs });
  const crmPoller = proxyActivities<BrusnikaActivities>({
    ...PROVIDER_CALL,
    // The workflow's own deadline comes first; this only bounds a poller left behind.
    scheduleToCloseTimeout: timing.decisionDeadlineMs + timing.pollMaxMs + MINUTE_MS,
    // A poller that stops heartbeating (its worker died) is replaced.
    heartbeatTimeout: timing.pollMaxMs + 30_000,
  });
  const releases = new CompensationStack(booking, {
    activities: proxyActivities<BrusnikaActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs }),
    pauseBetweenRoundsMs: timing.pollMaxMs,
  });
  const polling = { initialMs: timing.pollInitialMs, maxMs: timing.pollMaxMs };
  const request = input.request;

  let attachRequest: AttachRecord | undefined;
  /** A client this booking created: reported if the booking ends without holding anything for it. */
  let createdClientId: number | undefined;
  /** Set while a record may exist at the CRM unknown to us: the alarm about it outranks the client report. */
  let outcomeUnknown = false;
  let result: Record<string, unknown> = { kind: request.kind };

  const cancelRequested = (): boolean => cancel.requested !== undefined;
  const addResult = (part: Record<string, unknown>): void => {
    result = { ...result, ...part };
    booking.setResult(result);
  };
  const providerWait = (what: string): Waiting => ({ on: 'provider', actions: ['cancel'], deadline: null, atDeadline: what });
  const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString();

  // Answers: cancel (shared) and attach (an operator's, only while a create is unconfirmed).
  setHandler(statusQuery, () => booking.view);
  const cancel = handleCancel(booking);
  handleAnswer(booking, {
    name: 'attach',
    signal: attachSignal,
    update: attachUpdate,
    refuse: (attach: AttachRecord | undefined) => {
      if (!booking.stage.endsWith('_unconfirmed') || booking.isTerminal || cancel.requested) {
        return `only a booking whose create went unanswered takes an attached id; the booking is ${booking.status} (${booking.stage})`;
      }
      if (attachRequest) return `id ${attachRequest.id} is being checked already`;
      if (!attach || !Number.isInteger(attach.id) || attach.id <= 0) return 'attach needs {"id": <the id in the CRM>}';
      return undefined;
    },
    take: (attach: AttachRecord) => {
      attachRequest = attach;
    },
  });

  // Endings.
  const end = (status: Ending, stage: string, note: string): void => {
    booking.moveTo(status, stage, note);
    if (status !== 'completed' && createdClientId !== undefined && !outcomeUnknown) {
      const note = `client ${createdClientId} was created in Brusnika for this booking and is left without it; Brusnika cannot delete a client, so it stays there (keep it or close it in the CRM)`;
      addResult({ left_behind: [{ client_id: createdClientId, note }] });
      booking.flag(note);
    }
  };
  const refuse = (code: string, message: string, stage: string): void => {
    booking.setError({ code, message });
    end('failed', stage, message);
  };
  const releaseAndEnd = async (status: 'cancelled' | 'expired', note: string): Promise<void> => {
    booking.moveTo(booking.status, 'releasing', 'releasing what is held at the CRM', providerWait('retried until it succeeds'));
    await releases.unwind();
    end(status, status, note);
  };
  const crmRefused = (record: Booking | Visit, what: string): void => {
    const reason = record.reason ?? `the CRM refused the ${what} without a reason`;
    booking.setError({ code: 'provider_refused', message: reason, providerDetails: record });
    end('failed', 'crm_refused', `the CRM refused ${what} ${record.id}: ${reason}`);
  };

  // Steps both kinds share.
  async function agentsClient(agentId: number, details: BrusnikaBookingRequest['client'], agency: BrusnikaBookingRequest['agency']): Promise<ClientFacts> {
    booking.moveTo('processing', 'client', 'finding the client by phone', providerWait('the booking fails if the CRM stays unreachable'));
    if (agency) {
      const found = await CancellationScope.nonCancellable(() => crm.ensureBrusnikaAgency(agency));
      booking.addReferences({ agency_id: found.agency_id });
      addResult({ agency: found });
      booking.note(found.created ? `agency ${found.agency_id} created` : `agency ${found.agency_id} found by INN`);
    }
    const client = (await crm.findBrusnikaClient(details.phone_number)) ?? (await CancellationScope.nonCancellable(() => crm.createBrusnikaClient(agentId, details)));
    if (client.created) createdClientId = client.client_id;
    booking.addReferences({ client_id: client.client_id });
    addResult({ client: client });
    booking.note(
      client.created
        ? `client ${client.client_id} created under agent ${agentId}`
        : `client ${client.client_id} found by phone (agent ${client.agent_id}, ${client.fixing_type})`,
    );
    return client;
  }

  /** Waits for the CRM to decide an open record; a cancel or the deadline stops the wait. */
  async function crmDecision<T>(what: string, id: number, poll: () => Promise<T>): Promise<Decision<T>> {
    booking.moveTo('processing', `${what}_open`, `the CRM is deciding ${what} ${id}`, {
      on: 'provider',
      actions: ['cancel'],
      deadline: inMs(timing.decisionDeadlineMs),
      atDeadline: `the ${what} is cancelled at the CRM and the booking expires`,
    });
    let decided: T | undefined;
    let failure: unknown;
    const scope = new CancellationScope();
    const watching = scope.run(poll).then(
      (record) => void (decided = record),
      (err: unknown) => void (failure = err),
    );
    const stopped = await condition(() => decided !== undefined || failure !== undefined || cancelRequested(), timing.decisionDeadlineMs);
    if (decided !== undefined) return { kind: 'decided', record: decided };
    if (failure !== undefined) throw failure;
    scope.cancel();
    await watching;
    return stopped ? { kind: 'cancel' } : { kind: 'deadline' };
  }

  /**
   * The CRM may hold a record we cannot find: an operator looks it up in the CRM
   * and attaches its id (checked against this booking), or cancels, until the deadline.
   */
  async function attachedByOperator<T extends Booking | Visit>(
    what: 'booking' | 'visit',
    unconfirmed: Unconfirmed,
    read: (id: number) => Promise<T>,
    belongs: (record: T) => boolean,
  ): Promise<T | undefined> {
    outcomeUnknown = true;
    const deadlineAt = Date.now() + timing.operatorDeadlineMs;
    booking.flag(
      `the CRM did not answer the ${what} request and refused its retry ("${unconfirmed.refusal}"), yet ${unconfirmed.evidence}: the first request most likely created the ${what}. Brusnika has no list of ${what}s: find its id in the CRM and attach it, or cancel`,
    );
    booking.moveTo('awaiting_approval', `${what}_unconfirmed`, `waiting for an operator to attach the ${what}`, {
      on: 'approver',
      actions: ['attach', 'cancel'],
      deadline: new Date(deadlineAt).toISOString(),
      atDeadline: `the booking fails; the ${what} that may exist in the CRM stays flagged`,
    });
    for (;;) {
      const remaining = deadlineAt - Date.now();
      const answered = remaining > 0 && (await condition(() => attachRequest !== undefined || cancelRequested(), remaining));
      if (cancelRequested()) {
        end('cancelled', 'cancelled', `cancelled; nothing known to us is held, but the ${what} that may exist in the CRM stays flagged`);
        return undefined;
      }
      if (!answered || !attachRequest) {
        booking.setError({ code: 'provider_outcome_unknown', message: `the CRM may have created the ${what}, and no operator attached it in time: ${unconfirmed.evidence}` });
        end('failed', `${what}_unconfirmed`, `no operator attached the ${what} in time`);
        return undefined;
      }
      const { id } = attachRequest;
      try {
        const record = await read(id);
        if (belongs(record)) {
          outcomeUnknown = false;
          booking.flag(null);
          booking.note(`an operator attached ${what} ${id}`);
          return record;
        }
        booking.note(`attach ignored: ${what} ${id} is not this booking's (another client, premise or time)`);
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        booking.note(`attach ignored: ${what} ${id} could not be read: ${describeFailure(err).message}`);
      }
      attachRequest = undefined;
    }
  }

  const created = async <T extends Booking | Visit>(
    what: 'booking' | 'visit',
    outcome: CreateOutcome<T>,
    read: (id: number) => Promise<T>,
    belongs: (record: T) => boolean,
  ): Promise<T | undefined> => (outcome.outcome === 'created' ? outcome.record : attachedByOperator(what, outcome, read, belongs));

  // The two kinds, step by step.
  async function bookPremise(premiseRequest: PremiseBookingRequest): Promise<void> {
    const { premise_id: premiseId, agent_id: agentId, purchase_option: purchaseOption } = premiseRequest;
    booking.moveTo('processing', 'premise_check', `checking premise ${premiseId} is free`, providerWait('the booking fails if the CRM stays unreachable'));
    const premise = await crm.findBrusnikaPremise(premiseId);
    if (!premise) return refuse('premise_not_found', `premise ${premiseId} is not in Brusnika's list of premises`, 'premise_check');
    booking.addReferences({ premise_id: premiseId });
    const { id, building_id, section_id, type, rooms, size, floor, price, is_booked, is_sold } = premise;
    addResult({ premise: { id, building_id, section_id, type, rooms, size, floor, price, is_booked, is_sold } });
    // Checked before the client is made, so a premise that is not free leaves nothing behind.
    const taken = is_sold ? 'sold (is_sold)' : is_booked ? 'booked (is_booked)' : undefined;
    if (taken) return refuse('premise_not_free', `premise ${premiseId} is not free: it is already ${taken}`, 'premise_check');
    if (!premise.purchase_option.includes(purchaseOption)) {
      return refuse(
        'purchase_option_not_available',
        `premise ${premiseId} cannot be bought by ${purchaseOption}; it offers: ${premise.purchase_option.join(', ')}`,
        'premise_check',
      );
    }
    if (cancelRequested()) return end('cancelled', 'cancelled', 'cancelled before anything was held');

    const client = await agentsClient(agentId, premiseRequest.client, premiseRequest.agency);
    if (cancelRequested()) return end('cancelled', 'cancelled', 'cancelled before the premise was booked');

    booking.moveTo('processing', 'booking_requested', `asking the CRM to book premise ${premiseId}`, providerWait('the booking fails if the CRM stays unreachable'));
    const outcome = await CancellationScope.nonCancellable(() =>
      crm.createBrusnikaBooking({
        premise_id: premiseId,
        client_id: client.client_id,
        agent_id: agentId,
        purchase_option: purchaseOption,
        date: premiseRequest.date,
        time: premiseRequest.time,
      }),
    );
    const record = await created('booking', outcome, (bookingId) => crm.readBrusnikaBooking(bookingId), (b) => b.premise_id === premiseId && b.client_id === client.client_id);
    if (!record) return;
    booking.addReferences({ booking_id: record.id });
    addResult({ booking: record });
    releases.push(`cancel booking ${record.id}`, (activities) => activities.cancelBrusnikaBooking(record.id));

    const decision: Decision<Booking> =
      record.status === 'open' ? await crmDecision('booking', record.id, () => crmPoller.awaitBrusnikaBookingDecision(record.id, polling)) : { kind: 'decided', record };
    if (decision.kind === 'cancel') return releaseAndEnd('cancelled', 'cancelled while the CRM was deciding; the booking was cancelled at the CRM');
    if (decision.kind === 'deadline') return releaseAndEnd('expired', 'the CRM did not decide in time; the booking was cancelled at the CRM');
    addResult({ booking: decision.record });
    if (decision.record.status === 'fail') return crmRefused(decision.record, 'booking');

    const watchEnd = inMs(timing.bookedWatchMs);
    booking.moveTo('confirmed', 'booked', `the CRM booked premise ${premiseId} (booking ${record.id})`, {
      on: 'client',
      actions: ['cancel'],
      deadline: watchEnd,
      atDeadline: 'the booking is handed over to the deal in the CRM and completes; after that it is cancelled in the CRM',
    });
    if (await condition(cancelRequested, timing.bookedWatchMs)) {
      return releaseAndEnd('cancelled', 'cancelled; the booking was cancelled at the CRM and the premise is free again');
    }
    const last = await crm.readBrusnikaBooking(record.id);
    addResult({ booking: last });
    if (last.status === 'fail') return crmRefused(last, 'booking');
    end('completed', 'handed_over', 'the premise stays booked for the client; the deal goes on in the CRM');
  }

  async function bookVisit(visitRequest: VisitBookingRequest): Promise<void> {
    const { agent_id: agentId, time_slot_id: slotId } = visitRequest;
    const client = await agentsClient(agentId, visitRequest.client, visitRequest.agency);
    if (cancelRequested()) return end('cancelled', 'cancelled', 'cancelled before the time slot was booked');

    booking.moveTo('processing', 'time_slot_booking', `booking time slot ${slotId}`, providerWait('the booking fails if the CRM stays unreachable'));
    const slot = await CancellationScope.nonCancellable(() => crm.bookBrusnikaTimeSlot(slotId, { agent_id: agentId, client_id: client.client_id }));
    booking.addReferences({ time_slot_id: slot.id, project_id: slot.project_id });
    addResult({ time_slot: slot });
    // No release method for a slot without a visit: the CRM frees it at reserved_until.
    booking.note(`time slot ${slot.id} (${slot.date} ${slot.time}) held until ${slot.reserved_until ?? 'the CRM frees it'}`);
    if (cancelRequested()) return end('cancelled', 'cancelled', 'cancelled before the visit was requested; the CRM frees the time slot at its reserved_until');

    booking.moveTo('processing', 'visit_requested', `asking the CRM for a visit at ${slot.date} ${slot.time}`, providerWait('the booking fails if the CRM stays unreachable'));
    const outcome = await CancellationScope.nonCancellable(() =>
      crm.createBrusnikaVisit({ project_id: slot.project_id, agent_id: agentId, client_id: client.client_id, date: slot.date, time: slot.time }, slot.id),
    );
    const record = await created(
      'visit',
      outcome,
      (visitId) => crm.readBrusnikaVisit(visitId),
      (v) => v.client_id === client.client_id && v.project_id === slot.project_id && v.date === slot.date && v.time === slot.time,
    );
    if (!record) return;
    booking.addReferences({ visit_id: record.id });
    addResult({ visit: record });
    releases.push(`cancel visit ${record.id} (frees time slot ${slot.id})`, (activities) => activities.cancelBrusnikaVisit(record.id));

    const decision: Decision<Visit> =
      record.status === 'open' ? await crmDecision('visit', record.id, () => crmPoller.awaitBrusnikaVisitDecision(record.id, polling)) : { kind: 'decided', record };
    if (decision.kind === 'cancel') return releaseAndEnd('cancelled', 'cancelled while the CRM was deciding; the visit was cancelled and its time slot freed');
    if (decision.kind === 'deadline') return releaseAndEnd('expired', 'the CRM did not answer the visit request in time; it was cancelled and its time slot freed');
    addResult({ visit: decision.record });
    if (decision.record.status === 'fail') return crmRefused(decision.record, 'visit');

    booking.moveTo('confirmed', 'visit_confirmed', `the CRM confirmed visit ${record.id} at ${slot.date} ${slot.time}`, {
      on: 'client',
      actions: ['cancel'],
      deadline: slot.startsAt,
      atDeadline: 'the visit takes place and the booking completes',
    });
    const untilVisit = Date.parse(slot.startsAt) - Date.now();
    if (untilVisit > 0 && (await condition(cancelRequested, untilVisit))) {
      return releaseAndEnd('cancelled', 'cancelled; the visit was cancelled and its time slot freed');
    }
    end('completed', 'visit_due', 'the visit time has come');
  }

  try {
    if (request.kind === 'premise') await bookPremise(request);
    else await bookVisit(request);
  } catch (err) {
    const error = await failureOfSteps(err, booking, () => releaseAndEnd('cancelled', 'cancelled by an operator; what was held is released'));
    await releases.unwind();
    end('failed', booking.stage, `failed: ${error.message}`);
  }
  await condition(allHandlersFinished);
  return booking.view;
}
