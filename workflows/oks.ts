/**
 * An apartment layout booked with oks: oks books it in a background task, the
 * unit is then held for `reserveDays` while the deal goes ahead, and released
 * (unbook) if the booking is cancelled or the term ends first.
 */
import {
  CancellationScope,
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { OksActivities } from '../activities/oks/activities';
import type { BookLayoutRequest, FinishedTask, LayoutDeal } from '../activities/oks/contract';
import { handleAnswer, handleCancel } from './answers';
import { type BookingStart, type BookingView, statusQuery } from './booking';
import { BookingRecord } from './booking-record';
import { PROVIDER_CALL } from './provider-call';
import { CompensationStack } from './compensations';
import { failureOfSteps } from './failures';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface OksTiming {
  /** First pause between looks at the provider's task; doubles up to the maximum. */
  taskPollInitialMs: number;
  taskPollMaxMs: number;
  /** How long oks may take to finish its task before the booking gives up. */
  taskDeadlineMs: number;
  /** How long the unit stays held for the deal; oks's rule is `reserveDays` days. */
  holdTermMs: number;
  /** After this long a failing release flags the booking for an operator (and goes on retrying). */
  releaseEscalationMs: number;
}

export const defaultOksTiming = (request: Pick<BookLayoutRequest, 'reserveDays'>): OksTiming => ({
  taskPollInitialMs: 1_000,
  taskPollMaxMs: 30_000,
  taskDeadlineMs: 30 * 60_000,
  holdTermMs: (request.reserveDays ?? 1) * DAY_MS,
  releaseEscalationMs: 10 * 60_000,
});

export type OksBookingStart = BookingStart<BookLayoutRequest, OksTiming>;

/** The deal went ahead: the hold ends as `completed`, nothing is released. */
export const completeSignal = defineSignal('complete');
export const completeUpdate = defineUpdate<BookingView>('completeBooking');

export async function oksLayoutBooking(input: OksBookingStart): Promise<BookingView> {
  const timing: OksTiming = { ...defaultOksTiming(input.request), ...input.timing };
  const booking = new BookingRecord(input.bookingId, 'oks', input.client);
  const oks = proxyActivities<OksActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.taskDeadlineMs });
  const oksTask = proxyActivities<OksActivities>({
    ...PROVIDER_CALL,
    scheduleToCloseTimeout: timing.taskDeadlineMs,
    // A poller that stops heartbeating (its worker died) is replaced.
    heartbeatTimeout: timing.taskPollMaxMs + 30_000,
  });
  const releases = new CompensationStack(booking, {
    activities: proxyActivities<OksActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs }),
    pauseBetweenRoundsMs: timing.taskPollMaxMs,
  });

  let dealCompleted = false;

  setHandler(statusQuery, () => booking.view);
  const cancel = handleCancel(booking);
  handleAnswer(booking, {
    name: 'complete',
    signal: completeSignal,
    update: completeUpdate,
    refuse: () =>
      booking.status === 'held' && !cancel.requested ? undefined : `only a held layout can be completed; the booking is ${booking.status}`,
    take: () => {
      dealCompleted = true;
    },
  });

  const finish = async (): Promise<BookingView> => {
    await condition(allHandlersFinished);
    return booking.view;
  };
  const releaseAndEnd = async (status: 'cancelled' | 'expired', note: string): Promise<void> => {
    booking.moveTo(booking.status, 'releasing', 'releasing the unit', { on: 'provider', actions: [], deadline: null, atDeadline: '' });
    await releases.unwind();
    booking.moveTo(status, status, note);
  };

  try {
    // The task and its outcome are shielded from cancellation: once oks may be
    // booking the unit, the workflow must learn the outcome to release it.
    booking.moveTo('processing', 'task_requested', 'asking oks to book the layout', {
      on: 'provider',
      actions: ['cancel'],
      deadline: null,
      atDeadline: '',
    });
    const { taskId, earlierAttemptsUnclear } = await CancellationScope.nonCancellable(() => oks.requestLayoutBooking(input.request));
    booking.addReferences({ taskId });
    booking.moveTo('processing', 'task_processing', `oks is processing task ${taskId}`, {
      on: 'provider',
      actions: ['cancel'],
      deadline: new Date(Date.now() + timing.taskDeadlineMs).toISOString(),
      atDeadline: 'the booking fails as unanswered',
    });
    const task: FinishedTask = await CancellationScope.nonCancellable(() => oksTask.awaitLayoutBookingTask(taskId, { initialMs: timing.taskPollInitialMs, maxMs: timing.taskPollMaxMs }));
    if (task.status === 'failed') {
      booking.setError({ code: 'provider_refused', message: task.result.api_error, providerDetails: task.result });
      booking.moveTo('failed', 'task_failed', `oks refused: ${task.result.detail}: ${task.result.api_error}`);
      if (earlierAttemptsUnclear) {
        // oks has no idempotency key and no lookup: an unanswered earlier request may hold the unit.
        booking.flag('an earlier book request got no answer and may have booked the unit; oks offers no way to find it, so it stays held until oks releases it after reserveDays');
      }
      return await finish();
    }

    const deal: LayoutDeal = task.result;
    booking.addReferences({ contact_id: deal.contact_id, shows_id: deal.shows_id });
    booking.setResult(deal);
    releases.push(`unbook deal ${deal.shows_id}`, (activities) => activities.releaseLayout(deal));

    if (cancel.requested) {
      await releaseAndEnd('cancelled', 'cancelled while oks was booking; the unit was released');
      return await finish();
    }

    const heldUntil = new Date(Date.now() + timing.holdTermMs).toISOString();
    booking.moveTo('held', 'reserved', `the unit is held until ${heldUntil}`, {
      on: 'client',
      actions: ['complete', 'cancel'],
      deadline: heldUntil,
      atDeadline: 'the unit is released (unbook) and the booking expires',
    });
    const answered = await condition(() => dealCompleted || cancel.requested !== undefined, timing.holdTermMs);

    if (answered && dealCompleted) {
      booking.moveTo('completed', 'deal_completed', 'the deal went ahead; the unit stays with the client');
    } else if (answered) {
      await releaseAndEnd('cancelled', 'cancelled; the unit was released');
    } else {
      await releaseAndEnd('expired', 'the hold term ended; the unit was released');
    }
    return await finish();
  } catch (err) {
    const error = await failureOfSteps(err, booking, () => releaseAndEnd('cancelled', 'cancelled by an operator; what was held is released'));
    await releases.unwind();
    booking.moveTo('failed', booking.stage, `failed: ${error.message}`);
    if (error.code === 'provider_timeout') {
      booking.flag('oks did not finish its task in time; if it completes later the unit stays held until oks releases it');
    }
    return await finish();
  }
}
