/**
 * A premise or a visit booked in Brusnika's CRM for an agent's client.
 *
 * Premise: check the premise is free, find the client by phone or create it
 * (under the agent, after the agency), book the premise, and wait for the CRM's
 * decision: `success` -> confirmed, `fail` -> failed with the CRM's reason. A
 * confirmed booking stays cancellable here for `bookedWatchMs`, then is handed
 * over to the deal in the CRM (completed).
 *
 * Visit: find or create the client, book the free time slot, create the visit on
 * it, and wait for the manager's answer; a confirmed visit stays cancellable until
 * it starts. Cancelling the visit frees its slot in the CRM.
 *
 * The CRM booking and the visit are holds: each release is registered before its
 * create, from the client and the premise (or slot), and finds the record whether
 * or not the create was answered. Brusnika cannot delete a client: one created by
 * this booking and left without it is reported (result.left_behind, attention).
 */
import { CancellationScope, condition, proxyActivities } from '@temporalio/workflow';
import type { BrusnikaActivities, ClientFacts, Polling } from '../activities/brusnika/activities';
import type { Booking, BrusnikaBookingRequest, PremiseBookingRequest, Visit, VisitBookingRequest } from '../activities/brusnika/contract';
import { needsOperator, releaseUnknown, released } from '../common/release';
import type { BookingStart, BookingView } from './booking';
import { type StepSummaries, cancel, isAnswer, openBooking } from './kit';
import { PROVIDER_CALL } from './provider-call';
import type { TripRole } from './trip-role';

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
  /** After this long a failing release flags the booking for an operator (and goes on retrying). */
  releaseEscalationMs: number;
}

const defaultBrusnikaTiming: BrusnikaTiming = {
  pollInitialMs: 1_000,
  pollMaxMs: 30_000,
  callDeadlineMs: 30 * MINUTE_MS,
  decisionDeadlineMs: DAY_MS,
  bookedWatchMs: 7 * DAY_MS,
  releaseEscalationMs: 10 * MINUTE_MS,
};

export type BrusnikaBookingStart = BookingStart<BrusnikaBookingRequest, BrusnikaTiming>;

/** A premise's `purchase_option` as a list says every way it can be bought; one value does not say it is the only one. */
const optionsOffered = (option: unknown): readonly string[] | undefined => (Array.isArray(option) ? (option as string[]) : undefined);

/** Bookings started since note a client left behind in the timeline and result, without raising `attention`. */
const LEFT_BEHIND_NOTED = 'left-behind-noted';

/** brusnika's steps as the Temporal UI's timeline says them (ids only: the CRM's clients are people). */
export const brusnikaSteps: StepSummaries<BrusnikaActivities> = {
  findBrusnikaPremise: (premiseId) => `find premise ${premiseId}`,
  ensureBrusnikaAgency: (agency) => `find or create the agency (INN ${agency.inn})`,
  findBrusnikaClient: () => 'find the client by phone',
  createBrusnikaClient: (agentId) => `create the client for agent ${agentId}`,
  createBrusnikaBooking: (booking) => `book premise ${booking.premise_id}`,
  releaseBrusnikaBooking: (key) => `release premise ${key.premise_id} (client ${key.client_id})`,
  awaitBrusnikaBookingDecision: (bookingId) => `await the CRM's decision on booking ${bookingId}`,
  readBrusnikaBooking: (bookingId) => `read booking ${bookingId}`,
  cancelBrusnikaBooking: (bookingId) => `cancel booking ${bookingId}`,
  bookBrusnikaTimeSlot: (slotId) => `hold time slot ${slotId}`,
  createBrusnikaVisit: (_visit, slotId) => `create the visit in time slot ${slotId}`,
  releaseBrusnikaVisit: (key) => `release the visit in time slot ${key.slot.id}`,
  releaseBrusnikaTimeSlot: (slotId) => `release time slot ${slotId}`,
  awaitBrusnikaVisitDecision: (visitId) => `await the CRM's decision on visit ${visitId}`,
  readBrusnikaVisit: (visitId) => `read visit ${visitId}`,
  cancelBrusnikaVisit: (visitId) => `cancel visit ${visitId}`,
};


export async function brusnikaBooking(input: BrusnikaBookingStart): Promise<BookingView> {
  const timing: BrusnikaTiming = { ...defaultBrusnikaTiming, ...input.timing };
  const crm = proxyActivities<BrusnikaActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.callDeadlineMs });
  const crmPoller = proxyActivities<BrusnikaActivities>({
    ...PROVIDER_CALL,
    // The workflow's own deadline comes first; this only bounds a poller left behind.
    scheduleToCloseTimeout: timing.decisionDeadlineMs + timing.pollMaxMs + MINUTE_MS,
    // A poller that stops heartbeating (its worker died) is replaced.
    heartbeatTimeout: timing.pollMaxMs + 30_000,
  });
  const b = openBooking(input, {
    provider: 'brusnika',
    releases: proxyActivities<BrusnikaActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs }),
    releasePauseMs: timing.pollMaxMs,
    answeredAtOnceBefore: [cancel],
  });
  const polling: Polling = { initialMs: timing.pollInitialMs, maxMs: timing.pollMaxMs };
  const request = input.request;
  let result: Record<string, unknown> = { kind: request.kind };
  const addResult = (part: Record<string, unknown>): void => {
    result = { ...result, ...part };
    b.record.setResult(result);
  };
  /** A client this booking created: reported if the booking ends without it. */
  let createdClientId: number | undefined;

  const refuse = (code: string, message: string, stage: string): void => {
    b.record.setError({ code, message });
    b.end('failed', stage, message);
  };
  /** The CRM decided `fail`: the record holds nothing any more (the seed's own status says so). */
  const crmRefused = (record: Booking | Visit, what: string): void => {
    const reason = record.reason ?? `the CRM refused the ${what} without a reason`;
    b.record.setError({ code: 'provider_refused', message: reason, providerDetails: record });
    b.end('failed', 'crm_refused', `the CRM refused ${what} ${record.id}: ${reason}`);
  };

  /** The client with this phone, or created under the agent (after the agency, found by INN or created). */
  async function agentsClient(agentId: number, details: BrusnikaBookingRequest['client'], agency: BrusnikaBookingRequest['agency']): Promise<ClientFacts> {
    const client = await b.step({ stage: 'client', note: 'finding the client by phone' }, async () => {
      if (agency) {
        const found = await CancellationScope.nonCancellable(() => crm.ensureBrusnikaAgency(agency));
        b.record.addReferences({ agency_id: found.agency_id });
        addResult({ agency: found });
        b.record.note(found.created ? `agency ${found.agency_id} created` : `agency ${found.agency_id} found by INN`);
      }
      const facts = (await crm.findBrusnikaClient(details.phone_number)) ?? (await CancellationScope.nonCancellable(() => crm.createBrusnikaClient(agentId, details)));
      if (facts.created) createdClientId = facts.client_id;
      return facts;
    });
    b.record.addReferences({ client_id: client.client_id });
    addResult({ client });
    b.record.note(
      client.created
        ? `client ${client.client_id} created under agent ${agentId}`
        : `client ${client.client_id} found by phone (agent ${client.agent_id ?? '?'}, ${client.fixing_type ?? 'fixing unknown'})`,
    );
    return client;
  }

  /** Waits for the CRM to decide an open record: the decided record, or undefined at the deadline; a cancel is carried out. */
  async function crmDecision<T>(what: 'booking' | 'visit', id: number, poll: () => Promise<T>): Promise<T | undefined> {
    b.progress({
      stage: `${what}_open`,
      note: `the CRM is deciding ${what} ${id}`,
      deadline: new Date(Date.now() + timing.decisionDeadlineMs).toISOString(),
      atDeadline: `the ${what} is cancelled at the CRM and the booking expires`,
    });
    let decided: T | undefined;
    let failure: unknown;
    const scope = new CancellationScope();
    const watching = scope.run(poll).then(
      (record) => void (decided = record),
      (err: unknown) => void (failure = err),
    );
    await condition(() => decided !== undefined || failure !== undefined || b.cancelRequested !== undefined, timing.decisionDeadlineMs);
    if (decided !== undefined) return decided;
    if (failure !== undefined) throw failure;
    scope.cancel();
    await watching;
    if (b.cancelRequested) b.cancelNow(b.cancelRequested);
    return undefined;
  }

  async function bookPremise(premiseRequest: PremiseBookingRequest): Promise<void> {
    const { premise_id: premiseId, agent_id: agentId, purchase_option: purchaseOption } = premiseRequest;
    const premise = await b.step({ stage: 'premise_check', note: `checking premise ${premiseId} is free` }, () => crm.findBrusnikaPremise(premiseId));
    if (!premise) return refuse('premise_not_found', `premise ${premiseId} is not in Brusnika's list of premises`, 'premise_check');
    b.record.addReferences({ premise_id: premiseId });
    addResult({ premise });
    // Checked before the client is made, so a premise that is not free leaves nothing behind.
    const taken = premise.is_sold ? 'sold (is_sold)' : premise.is_booked ? 'booked (is_booked)' : undefined;
    if (taken) return refuse('premise_not_free', `premise ${premiseId} is not free: it is already ${taken}`, 'premise_check');
    const offered = optionsOffered(premise.purchase_option);
    if (offered && !offered.includes(purchaseOption)) {
      return refuse('purchase_option_not_available', `premise ${premiseId} cannot be bought by ${purchaseOption}; it offers: ${offered.join(', ')}`, 'premise_check');
    }

    const client = await agentsClient(agentId, premiseRequest.client, premiseRequest.agency);
    const key = { client_id: client.client_id, premise_id: premiseId, agent_id: agentId };
    const { record, found: bookingFound } = await b.hold(
      (made) => (made ? `cancel booking ${made.record.id}` : `the booking of premise ${premiseId} for client ${client.client_id}`),
      () => {
        b.progress({ stage: 'booking_requested', note: `asking the CRM to book premise ${premiseId}` });
        return crm.createBrusnikaBooking({ ...key, purchase_option: purchaseOption, date: premiseRequest.date, time: premiseRequest.time });
      },
      (releases, made) => (made ? releases.cancelBrusnikaBooking(made.record.id) : releases.releaseBrusnikaBooking(key)),
    );
    if (bookingFound) b.record.note(bookingFound);
    b.record.addReferences({ booking_id: record.id });
    addResult({ booking: record });

    const decided = record.status === 'open' ? await crmDecision('booking', record.id, () => crmPoller.awaitBrusnikaBookingDecision(record.id, polling)) : record;
    if (!decided) return b.releaseAndEnd('expired', 'expired', 'the CRM did not decide in time; the booking was cancelled at the CRM');
    addResult({ booking: decided });
    if (decided.status === 'fail') return crmRefused(decided, 'booking');

    const answer = await b.waitFor({
      status: 'confirmed',
      stage: 'booked',
      note: `the CRM booked premise ${premiseId} (booking ${record.id})`,
      on: 'client',
      answers: [cancel],
      until: Date.now() + timing.bookedWatchMs,
      atDeadline: 'the booking is handed over to the deal in the CRM and completes; after that it is cancelled in the CRM',
    });
    if (isAnswer(answer, cancel)) b.cancelNow(answer.args[0]);
    const last = await crm.readBrusnikaBooking(record.id);
    addResult({ booking: last });
    if (last.status === 'fail') return crmRefused(last, 'booking');
    b.end('completed', 'handed_over', 'the premise stays booked for the client; the deal goes on in the CRM');
  }

  async function bookVisit(visitRequest: VisitBookingRequest): Promise<void> {
    const { agent_id: agentId, time_slot_id: slotId } = visitRequest;
    const client = await agentsClient(agentId, visitRequest.client, visitRequest.agency);
    // Cancelling its visit frees a slot at once; a slot held without one is freed by the CRM at its reserved_until.
    let freedWithVisit = false;
    /** Why the visit may still exist unseen: its slot then stays held with it. */
    let visitUnknown: string | undefined;
    const slot = await b.hold(
      `time slot ${slotId}`,
      () => {
        b.progress({ stage: 'time_slot_booking', note: `booking time slot ${slotId}` });
        return crm.bookBrusnikaTimeSlot(slotId, { agent_id: agentId, client_id: client.client_id });
      },
      (releases, held) => {
        if (freedWithVisit) return Promise.resolve(released(`time slot ${slotId} was freed with its visit`));
        if (visitUnknown) return Promise.resolve(releaseUnknown(`${visitUnknown}; time slot ${slotId} stays held with it`));
        return releases.releaseBrusnikaTimeSlot(slotId, held?.reserved_until ?? null);
      },
    );
    b.record.addReferences({ time_slot_id: slot.id, project_id: slot.project_id });
    addResult({ time_slot: slot });
    b.record.note(`time slot ${slot.id} (${slot.date} ${slot.time}) held until ${slot.reserved_until ?? 'the CRM frees it'}`);

    const key = { client_id: client.client_id, agent_id: agentId, slot: { id: slot.id, project_id: slot.project_id, date: slot.date, time: slot.time } };
    const { record, found: visitFound } = await b.hold(
      (made) => (made ? `cancel visit ${made.record.id} (frees time slot ${slot.id})` : `the visit of client ${client.client_id} on time slot ${slot.id}`),
      () => {
        b.progress({ stage: 'visit_requested', note: `asking the CRM for a visit at ${slot.date} ${slot.time}` });
        return crm.createBrusnikaVisit({ project_id: slot.project_id, agent_id: agentId, client_id: client.client_id, date: slot.date, time: slot.time }, slot.id);
      },
      async (releases, made) => {
        const outcome = made ? await releases.cancelBrusnikaVisit(made.record.id) : await releases.releaseBrusnikaVisit(key);
        if (needsOperator(outcome)) visitUnknown = outcome.unknown;
        else freedWithVisit = made !== undefined;
        return outcome;
      },
    );
    if (visitFound) b.record.note(visitFound);
    b.record.addReferences({ visit_id: record.id });
    addResult({ visit: record });

    const decided = record.status === 'open' ? await crmDecision('visit', record.id, () => crmPoller.awaitBrusnikaVisitDecision(record.id, polling)) : record;
    if (!decided) return b.releaseAndEnd('expired', 'expired', 'the CRM did not answer the visit request in time; it was cancelled and its time slot freed');
    addResult({ visit: decided });
    if (decided.status === 'fail') return crmRefused(decided, 'visit');

    const confirmed = { status: 'confirmed', stage: 'visit_confirmed', note: `the CRM confirmed visit ${record.id} at ${slot.date} ${slot.time}` } as const;
    if (Date.parse(slot.startsAt) > Date.now()) {
      const answer = await b.waitFor({ ...confirmed, on: 'client', answers: [cancel], until: Date.parse(slot.startsAt), atDeadline: 'the visit takes place and the booking completes' });
      if (isAnswer(answer, cancel)) b.cancelNow(answer.args[0]);
    } else {
      b.progress({ ...confirmed, cancellable: false });
    }
    b.end('completed', 'visit_due', 'the visit time has come');
  }

  /** Brusnika cannot delete a client: one created for this booking and left without it is reported, never removed. */
  const reportLeftBehind = (): void => {
    if (!b.record.isTerminal || b.status === 'completed' || createdClientId === undefined) return;
    const note = `client ${createdClientId} was created in Brusnika for this booking and is left without it; Brusnika cannot delete a client, so it stays there (keep it or close it in the CRM)`;
    addResult({ left_behind: [{ client_id: createdClientId, note }] });
    // A client left in the CRM is for the record, not an operator's alarm: bookings started since only note it.
    if (b.record.hasPatch(LEFT_BEHIND_NOTED)) return b.record.note(note);
    const attention = b.record.view.attention;
    b.record.flag(attention ? `${attention}; also: ${note}` : note);
  };

  try {
    await b.run(() => (request.kind === 'premise' ? bookPremise(request) : bookVisit(request)));
  } finally {
    reportLeftBehind();
  }
  return b.record.view;
}

/**
 * brusnika in a trip: a premise booked or a visit confirmed by the CRM holds; a
 * cancel releases it (the booking or visit is cancelled in the CRM) until the
 * premise is handed over to the deal or the visit starts. The trip's confirm
 * leaves it as it is.
 */
export const brusnikaInTrip: TripRole<BrusnikaBookingRequest> = {
  booked: (request) => request.kind === 'premise' ? `premise ${request.premise_id} (${request.purchase_option})` : `a visit in time slot ${request.time_slot_id}`,
  workflow: brusnikaBooking,
  pivotBecause: () => undefined,
  holds: (leg) => leg.status === 'confirmed',
};
