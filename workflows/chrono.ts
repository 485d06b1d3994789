/**
 * Places on a chrono agenda (public services), for the booking's whole life:
 * fillslot puts the booking on the event's main list (confirmed) or on its
 * waiting list, where it waits for an approver to accept or reject it until
 * its deadline. While confirmed it can be suspended (back to the waiting
 * list), resized, cancelled; after the event presence is marked; once the
 * retention period after the event is over the booking is anonymized at
 * chrono and completes. It can be deleted on request at any time.
 *
 * Every answer (accept, reject, suspend, resize, markPresence, cancel,
 * delete) is carried out by the workflow itself, one at a time, so what
 * chrono holds and what the view says never drift apart. When chrono refuses
 * (`err` != 0), the booking stays where it is, unless the refusal itself
 * says where chrono has it (e.g. "booking is not in waiting list"), and the
 * view follows chrono.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  type SignalDefinition,
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { ChronoActivities, FilledSlot } from '../activities/chrono/activities';
import type { ChronoBookingRequest, ChronoPlace, ChronoRefusal, PresenceRequest, ResizeRequest } from '../activities/chrono/contract';
import { type BookingStart, type BookingView, type CancelRequest, cancelSignal, cancelUpdate, statusQuery } from './booking';
import { BookingRecord } from './booking-record';
import { PROVIDER_CALL } from './provider-call';
import { CompensationStack } from './compensations';
import { describeFailure, failureOfSteps } from './failures';
import { FailureType } from '../common/failure-types';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ChronoTiming {
  /** How long an approver has to accept a booking on the waiting list; never past the event's start. */
  approvalMs: number;
  /** How long a booking keeps its personal data after the event before it is anonymized. */
  retentionMs: number;
  /** How long chrono may stay unreachable before a booking, or an answer, gives up. */
  providerDeadlineMs: number;
  /** After this long a failing release flags the booking for an operator (and goes on retrying). */
  releaseEscalationMs: number;
  /** Pause between rounds of a release that keeps failing. */
  releaseRetryPauseMs: number;
}

export const defaultChronoTiming: ChronoTiming = {
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

// Signals are for people in the Temporal UI / CLI; updates for the API (a refusal is a 409 with its reason).
export const acceptSignal = defineSignal('accept');
export const acceptUpdate = defineUpdate<BookingView>('acceptBooking');
export const rejectSignal = defineSignal<[ReasonRequest?]>('reject');
export const rejectUpdate = defineUpdate<BookingView, [ReasonRequest?]>('rejectBooking');
export const suspendSignal = defineSignal<[ReasonRequest?]>('suspend');
export const suspendUpdate = defineUpdate<BookingView, [ReasonRequest?]>('suspendBooking');
export const resizeSignal = defineSignal<[ResizeRequest]>('resize');
export const resizeUpdate = defineUpdate<BookingView, [ResizeRequest]>('resizeBooking');
export const markPresenceSignal = defineSignal<[PresenceRequest]>('markPresence');
export const markPresenceUpdate = defineUpdate<BookingView, [PresenceRequest]>('markBookingPresence');
export const deleteSignal = defineSignal<[ReasonRequest?]>('delete');
export const deleteUpdate = defineUpdate<BookingView, [ReasonRequest?]>('deleteBooking');

type Command =
  | { kind: 'accept' }
  | { kind: 'reject'; reason?: string }
  | { kind: 'suspend'; reason?: string }
  | { kind: 'resize'; count: number }
  | { kind: 'markPresence'; presence: PresenceRequest }
  | { kind: 'cancel'; reason?: string }
  | { kind: 'delete'; reason?: string };
type CommandKind = Command['kind'];

const DONE: Record<CommandKind, string> = {
  accept: 'accepted',
  reject: 'rejected',
  suspend: 'suspended',
  resize: 'resized',
  markPresence: 'marked present or absent',
  cancel: 'cancelled',
  delete: 'deleted',
};

type Outcome = { done: true } | { done: false; reason: string };

/** Where the booking is: being created, on one of chrono's lists, or past the point of answers. */
type Place = 'filling' | 'waiting_list' | 'main_list' | 'closing';

export async function chronoAgendaBooking(input: ChronoBookingStart): Promise<BookingView> {
  const timing: ChronoTiming = { ...defaultChronoTiming, ...input.timing };
  const booking = new BookingRecord(input.bookingId, 'chrono', input.client);
  const chrono = proxyActivities<ChronoActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.providerDeadlineMs });
  // Anonymizing is owed to the user: it retries until chrono takes it.
  const chronoUntilDone = proxyActivities<ChronoActivities>(PROVIDER_CALL);
  const chronoRelease = proxyActivities<ChronoActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs });
  const releases = new CompensationStack(booking, {
    activities: chronoRelease,
    pauseBetweenRoundsMs: timing.releaseRetryPauseMs,
  });

  let place = 'filling' as Place;
  let slot: FilledSlot | undefined;
  let approvalDeadline = 0;
  let pending: { id: number; command: Command } | undefined;
  let nextCommandId = 1;
  const outcomes = new Map<number, Outcome>();
  const result: Record<string, unknown> = {};

  const eventOver = (): boolean => slot !== undefined && Date.now() >= Date.parse(slot.endsAt);
  const anonymizeAt = (): number => Date.parse(slot!.endsAt) + timing.retentionMs;
  const publish = (changes: Record<string, unknown>): void => {
    Object.assign(result, changes);
    booking.setResult({ ...result });
  };

  // ---------------------------------------------------------------------------
  // Answers: when each is allowed, and how it reaches the main flow.

  const whyNot = (kind: CommandKind): string | undefined => {
    if (booking.isTerminal || place === 'closing') return `the booking is ${booking.status} (${booking.stage}): ${kind} is no longer possible`;
    if (pending) return `the booking is busy with ${pending.command.kind}; try again once it is done`;
    const onList = place === 'waiting_list' ? 'on the waiting list' : place === 'main_list' ? 'confirmed on the main list' : 'being booked at chrono';
    switch (kind) {
      case 'accept':
      case 'reject':
        return place === 'waiting_list' ? undefined : `only a booking on the waiting list can be ${DONE[kind]}; this one is ${onList}`;
      case 'suspend':
      case 'resize':
        if (place !== 'main_list') return `only a confirmed booking can be ${DONE[kind]}; this one is ${onList}`;
        return eventOver() ? `the event is over (${slot!.end_datetime}): the booking can no longer be ${DONE[kind]}` : undefined;
      case 'markPresence':
        if (place !== 'main_list') return `presence is marked on a confirmed booking; this one is ${onList}`;
        return eventOver() ? undefined : `presence is marked after the event, which ends at ${slot!.end_datetime}`;
      case 'cancel':
        return place === 'main_list' && eventOver() ? `the event is over (${slot!.end_datetime}): the booking can no longer be cancelled, only deleted` : undefined;
      case 'delete':
        return place === 'filling' ? 'the booking is still being made at chrono; delete it once chrono has answered' : undefined;
    }
  };
  /** Signals from the Temporal UI carry whatever JSON was typed: checked as the API's schemas would. */
  const badInput = (command: Command): string | undefined => {
    if (command.kind === 'resize' && !(Number.isInteger(command.count) && command.count >= 1)) return 'count must be a whole number of places, at least 1';
    if (command.kind === 'markPresence' && typeof command.presence?.user_was_present !== 'boolean') return 'user_was_present must be true or false';
    return undefined;
  };
  const refusalOf = (command: Command): string | undefined => {
    // A second cancel while the first is carried out is the same cancel.
    if (command.kind === 'cancel' && pending?.command.kind === 'cancel') return undefined;
    return whyNot(command.kind) ?? badInput(command);
  };
  const enqueue = (command: Command): number => {
    if (command.kind === 'cancel' && pending?.command.kind === 'cancel') return pending.id;
    const id = nextCommandId++;
    pending = { id, command };
    booking.note(`${command.kind} requested${'reason' in command && command.reason ? `: ${command.reason}` : ''}`);
    return id;
  };
  /** The update returns once chrono has answered; a refusal fails the update with its reason. */
  const answerByUpdate = async (command: Command): Promise<BookingView> => {
    const id = enqueue(command);
    // Cancel while chrono is still booking: the answer is taken, carried out once the booking exists.
    if (place === 'filling') return booking.view;
    await condition(() => outcomes.has(id));
    const outcome = outcomes.get(id)!;
    if (!outcome.done) throw ApplicationFailure.create({ message: outcome.reason, type: FailureType.ProviderRefused, nonRetryable: true });
    return booking.view;
  };
  const answerBySignal = (command: Command): void => {
    const refusal = refusalOf(command);
    if (refusal) booking.note(`${command.kind} signal ignored: ${refusal}`);
    else if (command.kind === 'cancel' && pending?.command.kind === 'cancel') booking.note('cancel signal: a cancel is already under way');
    else enqueue(command);
  };
  const handle = <SignalArgs extends unknown[], UpdateArgs extends unknown[]>(
    signal: SignalDefinition<SignalArgs>,
    update: UpdateDefinition<BookingView, UpdateArgs>,
    commandOf: (...args: SignalArgs | UpdateArgs) => Command,
  ): void => {
    setHandler(signal, (...args: SignalArgs) => answerBySignal(commandOf(...args)));
    setHandler(update, (...args: UpdateArgs) => answerByUpdate(commandOf(...args)), {
      validator: (...args: UpdateArgs) => {
        const refusal = refusalOf(commandOf(...args));
        if (refusal) throw new Error(refusal);
      },
    });
  };

  setHandler(statusQuery, () => booking.view);
  handle(acceptSignal, acceptUpdate, () => ({ kind: 'accept' }));
  handle(rejectSignal, rejectUpdate, (request?: ReasonRequest) => ({ kind: 'reject', reason: request?.reason }));
  handle(suspendSignal, suspendUpdate, (request?: ReasonRequest) => ({ kind: 'suspend', reason: request?.reason }));
  handle(resizeSignal, resizeUpdate, (request: ResizeRequest) => ({ kind: 'resize', count: request?.count }));
  handle(markPresenceSignal, markPresenceUpdate, (presence: PresenceRequest) => ({ kind: 'markPresence', presence }));
  handle(cancelSignal, cancelUpdate, (request?: CancelRequest) => ({ kind: 'cancel', reason: request?.reason }));
  handle(deleteSignal, deleteUpdate, (request?: ReasonRequest) => ({ kind: 'delete', reason: request?.reason }));

  // ---------------------------------------------------------------------------
  // Where the booking stands, as chrono has it.

  const enterWaitingList = (note: string): void => {
    place = 'waiting_list';
    const start = Date.parse(slot!.startsAt);
    const byRule = Date.now() + timing.approvalMs;
    approvalDeadline = start > Date.now() ? Math.min(byRule, start) : byRule;
    publish({ in_waiting_list: true });
    booking.setCancellable(true);
    booking.moveTo('awaiting_approval', 'waiting_list', note, {
      on: 'approver',
      actions: ['accept', 'reject', 'cancel', 'delete'],
      deadline: new Date(approvalDeadline).toISOString(),
      atDeadline: 'the booking is cancelled at chrono and expires',
    });
  };
  const enterMainList = (note: string): void => {
    place = 'main_list';
    publish({ in_waiting_list: false });
    if (eventOver()) showEventOver(note);
    else {
      booking.moveTo('confirmed', 'main_list', note, {
        on: 'client',
        actions: ['resize', 'suspend', 'cancel', 'delete'],
        deadline: slot!.endsAt,
        atDeadline: 'the event is over: presence can be marked until the booking is anonymized',
      });
    }
  };
  const showEventOver = (note: string): void => {
    booking.setCancellable(false, 'the event is over: the booking can no longer be cancelled, only deleted');
    booking.moveTo('confirmed', 'event_over', note, {
      on: 'approver',
      actions: ['markPresence', 'delete'],
      deadline: new Date(anonymizeAt()).toISOString(),
      atDeadline: 'the booking is anonymized at chrono and completes',
    });
  };
  /** The end for a booking that gave its places back: whatever is held is released first. */
  const releaseAndEnd = async (status: 'cancelled' | 'expired', stage: string, note: string): Promise<void> => {
    place = 'closing';
    booking.moveTo(booking.status, 'releasing', 'cancelling the booking at chrono', { on: 'provider', actions: [], deadline: null, atDeadline: '' });
    await releases.unwind();
    booking.moveTo(status, stage, note);
  };
  /** A refusal that says where chrono has the booking: the view follows chrono. Returns whether the booking ended. */
  const followChrono = (chronoPlace: ChronoPlace): boolean => {
    if (chronoPlace === 'cancelled') {
      place = 'closing';
      booking.moveTo('cancelled', 'cancelled_at_chrono', 'chrono has the booking cancelled: it was cancelled outside this workflow');
      return true;
    }
    if (chronoPlace === 'waiting_list' && place !== 'waiting_list') enterWaitingList('chrono has the booking on the waiting list (suspended at chrono): awaiting approval again');
    if (chronoPlace === 'main_list' && place !== 'main_list') enterMainList('chrono has the booking on the main list (accepted at chrono): confirmed');
    return false;
  };

  // ---------------------------------------------------------------------------
  // Carrying out an answer. Returns whether the booking ended.

  const carryOut = async ({ id, command }: { id: number; command: Command }): Promise<boolean> => {
    const chronoId = slot!.booking_id;
    const settle = (outcome: Outcome, ended: boolean): boolean => {
      if (outcome.done && result.lastRefusal) publish({ lastRefusal: null });
      outcomes.set(id, outcome);
      pending = undefined;
      return ended;
    };
    const because = 'reason' in command && command.reason ? ` (${command.reason})` : '';
    try {
      switch (command.kind) {
        case 'accept': {
          const { overbooked_places } = await chrono.acceptChronoBooking(chronoId);
          publish({ overbooked_places });
          enterMainList(
            overbooked_places > 0
              ? `accepted by an approver: on the main list, the event is overbooked by ${overbooked_places} place(s)`
              : 'accepted by an approver: on the main list',
          );
          return settle({ done: true }, false);
        }
        case 'reject':
          await releaseAndEnd('cancelled', 'rejected', `rejected by an approver${because}; the booking was cancelled at chrono`);
          return settle({ done: true }, true);
        case 'cancel':
          await releaseAndEnd('cancelled', 'cancelled', `cancelled${because}; the places were given back at chrono`);
          return settle({ done: true }, true);
        case 'suspend':
          await chrono.suspendChronoBooking(chronoId);
          enterWaitingList(`suspended${because}: back on the waiting list, awaiting approval again`);
          return settle({ done: true }, false);
        case 'resize': {
          const before = result.count;
          await chrono.resizeChronoBooking(chronoId, command.count);
          publish({ count: command.count });
          booking.note(`resized from ${String(before)} to ${command.count} place(s)`);
          return settle({ done: true }, false);
        }
        case 'markPresence': {
          const { user_was_present, user_absence_reason = '', extra_data = null } = command.presence;
          await chrono.markChronoPresence(chronoId, command.presence);
          publish({ presence: { user_was_present, user_absence_reason, extra_data } });
          booking.note(user_was_present ? 'marked present' : 'marked absent');
          return settle({ done: true }, false);
        }
        case 'delete': {
          const status = eventOver() ? 'completed' : 'cancelled';
          await chrono.deleteChronoBooking(chronoId);
          place = 'closing';
          booking.moveTo(status, 'deleted', `deleted at chrono on request${because}`);
          return settle({ done: true }, true);
        }
      }
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const error = describeFailure(err);
      const refusal = chronoRefusalIn(error.providerDetails);
      const said = refusal ? `chrono refused ${command.kind}: ${refusal.err_class} (${refusal.meaning})` : `${command.kind} failed: ${error.message}`;
      publish({ lastRefusal: { action: command.kind, ...(refusal ? { err_class: refusal.err_class, meaning: refusal.meaning } : { message: error.message }) } });
      booking.note(said);
      const ended = refusal?.place ? followChrono(refusal.place) : false;
      const kept = ended ? '' : `; the booking is ${booking.status} (${booking.stage})${command.kind === 'resize' ? ` with ${String(result.count)} place(s)` : ''}`;
      return settle({ done: false, reason: `${said}${kept}` }, ended);
    }
  };

  const finish = async (): Promise<BookingView> => {
    await condition(allHandlersFinished);
    return booking.view;
  };
  const waitForAnswer = (until: number): Promise<boolean> => condition(() => pending !== undefined, Math.max(1, until - Date.now()));

  // ---------------------------------------------------------------------------
  // The booking's life.

  try {
    const { request } = input;
    booking.moveTo('processing', 'filling_slot', `asking chrono for ${request.count} place(s) on ${request.agenda}/${request.slot}`, {
      on: 'provider',
      actions: ['cancel'],
      deadline: null,
      atDeadline: '',
    });
    // Shielded: once chrono may have booked, the workflow must learn the booking to give it back.
    const filled = await CancellationScope.nonCancellable(() => chrono.fillChronoSlot(input.bookingId, request));
    slot = filled;
    releases.push(`cancel chrono booking ${filled.booking_id}`, (activities) => activities.cancelChronoBooking(filled.booking_id));
    booking.addReferences({ booking_id: filled.booking_id, agenda: filled.agenda.slug, slot: String(request.slot) });
    publish({
      booking_id: filled.booking_id,
      agenda: filled.agenda,
      slot: String(request.slot),
      datetime: filled.datetime,
      end_datetime: filled.end_datetime,
      startsAt: filled.startsAt,
      endsAt: filled.endsAt,
      count: request.count,
      in_waiting_list: filled.in_waiting_list,
      overbooked_places: null,
      presence: null,
      lastRefusal: null,
      anonymized: false,
    });
    if (filled.replacedEarlierAttempts.length > 0) {
      booking.note(`an earlier unanswered attempt had booked ${filled.replacedEarlierAttempts.join(', ')} at chrono; cancelled before booking again`);
    }
    if (filled.in_waiting_list) enterWaitingList(`chrono booking ${filled.booking_id} is on the waiting list: an approver must accept it`);
    else enterMainList(`chrono booking ${filled.booking_id} is on the main list: confirmed`);

    for (;;) {
      const deadline = place === 'waiting_list' ? approvalDeadline : booking.stage === 'event_over' ? anonymizeAt() : Date.parse(filled.endsAt);
      if (await waitForAnswer(deadline)) {
        if (await carryOut(pending!)) return await finish();
      } else if (place === 'waiting_list') {
        await releaseAndEnd('expired', 'expired', 'no approver answered before the deadline; the booking was cancelled at chrono');
        return await finish();
      } else if (booking.stage !== 'event_over') {
        showEventOver('the event is over: presence can be marked until the booking is anonymized');
      } else {
        place = 'closing';
        booking.moveTo('confirmed', 'anonymizing', 'the retention period is over: anonymizing the booking at chrono', {
          on: 'provider',
          actions: [],
          deadline: null,
          atDeadline: '',
        });
        await chronoUntilDone.anonymizeChronoBooking(filled.booking_id);
        // chrono no longer holds the absence reason or extra data: neither does the view.
        const presence = result.presence as { user_was_present: boolean | null } | null;
        publish({ anonymized: true, presence: presence ? { user_was_present: presence.user_was_present } : null });
        booking.moveTo('completed', 'anonymized', 'anonymized at chrono; the booking is complete');
        return await finish();
      }
    }
  } catch (err) {
    const error = await failureOfSteps(err, booking, () =>
      releaseAndEnd('cancelled', 'cancelled', 'cancelled by an operator; the places were given back at chrono'),
    );
    const refusal = chronoRefusalIn(error.providerDetails);
    await releases.unwind();
    place = 'closing';
    booking.moveTo('failed', slot ? booking.stage : refusal ? 'fillslot_refused' : 'fillslot_failed', refusal ? `chrono refused: ${refusal.err_class} (${refusal.meaning})` : `failed: ${error.message}`);
    return await finish();
  }
}

/** The refusal the chrono client put in a failure's details, if it was one. */
function chronoRefusalIn(details: unknown): ChronoRefusal | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const d = details as Partial<ChronoRefusal>;
  return typeof d.err_class === 'string' && typeof d.meaning === 'string' ? (d as ChronoRefusal) : undefined;
}
