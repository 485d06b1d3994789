/**
 * An apartment layout booked with oks: oks books it in a background task, the
 * unit is then held for `reserveDays` while the deal goes ahead, and released
 * (unbook) if the booking is cancelled or the term ends first.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { OksActivities } from '../activities/oks/activities';
import type { BookLayoutRequest, FinishedTask } from '../activities/oks/contract';
import { releaseUnknown } from '../common/release';
import type { BookingStart, BookingView } from './booking';
import { type StepSummaries, cancel, defineAnswer, isAnswer, openBooking, takes } from './kit';
import { PROVIDER_CALL } from './provider-call';
import type { TripRole } from './trip-role';

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

const defaultOksTiming = (request: Pick<BookLayoutRequest, 'reserveDays'>): OksTiming => ({
  taskPollInitialMs: 1_000,
  taskPollMaxMs: 30_000,
  taskDeadlineMs: 30 * 60_000,
  holdTermMs: (request.reserveDays ?? 1) * DAY_MS,
  releaseEscalationMs: 10 * 60_000,
});

export type OksBookingStart = BookingStart<BookLayoutRequest, OksTiming>;

/** The deal went ahead: the hold ends as `completed`, nothing is released. */
export const complete = defineAnswer('complete', 'completeBooking');

/** oks's steps as the Temporal UI's timeline says them. */
export const oksSteps: StepSummaries<OksActivities> = {
  requestLayoutBooking: (request) => `book layout ${request.layoutUuid}`,
  awaitLayoutBookingTask: (taskId) => `await oks task ${taskId}`,
  releaseLayout: (deal) => `release layout (contact ${deal.contact_id}, show ${deal.shows_id})`,
  releaseLayoutOfTask: (taskId) => `release the layout of oks task ${taskId}`,
};


export async function oksLayoutBooking(input: OksBookingStart): Promise<BookingView> {
  const timing: OksTiming = { ...defaultOksTiming(input.request), ...input.timing };
  const oks = proxyActivities<OksActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.taskDeadlineMs });
  // A poller that stops heartbeating (its worker died) is replaced.
  const oksTask = proxyActivities<OksActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.taskDeadlineMs, heartbeatTimeout: timing.taskPollMaxMs + 30_000 });
  const b = openBooking(input, {
    provider: 'oks',
    answers: [takes(complete)],
    releases: proxyActivities<OksActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs }),
    releasePauseMs: timing.taskPollMaxMs,
    answeredAtOnceBefore: [complete, cancel],
  });
  const { layoutUuid } = input.request;

  return b.run(async () => {
    // oks has no idempotency key and no lookup: what the booking knows of the task decides how the unit is released.
    let taskId: string | undefined;
    let earlierAttemptsUnclear = false;
    const task: FinishedTask = await b.hold(
      (done) => (done?.status === 'completed' ? `unbook deal ${done.result.shows_id}` : `the layout ${layoutUuid} booked by task ${taskId ?? '(unknown)'}`),
      async () => {
        b.progress({ stage: 'task_requested', note: 'asking oks to book the layout' });
        const started = await oks.requestLayoutBooking(input.request);
        ({ taskId, earlierAttemptsUnclear } = started);
        b.record.addReferences({ taskId: started.taskId });
        b.progress({
          stage: 'task_processing',
          note: `oks is processing task ${started.taskId}`,
          deadline: new Date(Date.now() + timing.taskDeadlineMs).toISOString(),
          atDeadline: 'the booking fails as unanswered',
        });
        return oksTask.awaitLayoutBookingTask(started.taskId, { initialMs: timing.taskPollInitialMs, maxMs: timing.taskPollMaxMs });
      },
      (activities, done) => {
        if (done?.status === 'completed') return activities.releaseLayout(done.result);
        if (taskId && !done) return activities.releaseLayoutOfTask(taskId, { initialMs: timing.taskPollInitialMs, maxMs: timing.taskPollMaxMs });
        return Promise.resolve(
          releaseUnknown(
            taskId
              ? 'an earlier book request got no answer and may have booked the unit; oks offers no way to find it, so it stays held until oks releases it after reserveDays'
              : 'oks may have taken the book request although its answer could not be read; oks offers no way to find the deal, so it stays held until oks releases it after reserveDays',
          ),
        );
      },
      (done) => done.status === 'completed' || earlierAttemptsUnclear,
    );

    if (task.status === 'failed') {
      await b.fail({ code: 'provider_refused', message: task.result.api_error ?? task.result.detail ?? 'oks failed the task', providerDetails: task.result }, 'task_failed');
      return;
    }
    b.record.addReferences({ contact_id: task.result.contact_id, shows_id: task.result.shows_id });
    b.record.setResult(task.result);

    const heldUntil = Date.now() + timing.holdTermMs;
    const answer = await b.waitFor({
      status: 'held',
      stage: 'reserved',
      note: `the unit is held until ${new Date(heldUntil).toISOString()}`,
      on: 'client',
      answers: [complete, cancel],
      until: heldUntil,
      atDeadline: 'the unit is released (unbook) and the booking expires',
    });
    if (isAnswer(answer, complete)) b.end('completed', 'deal_completed', 'the deal went ahead; the unit stays with the client');
    else if (isAnswer(answer, cancel)) b.cancelNow(answer.args[0]);
    else await b.releaseAndEnd('expired', 'expired', 'the hold term ended; the unit was released');
  });
}

/**
 * oks in a trip: the unit holds while the booking is `held`; the trip's confirm
 * completes the deal, after which the booking ends with nothing to release (the
 * deal went ahead: unbook is for reservations), so it is completed after the pivot.
 */
export const oksInTrip: TripRole<BookLayoutRequest> = {
  booked: (request) => `layout ${request.layoutUuid}`,
  workflow: oksLayoutBooking,
  pivotBecause: () => undefined,
  holds: (leg) => leg.status === 'held',
  completion: { answer: complete, undoable: false },
};
