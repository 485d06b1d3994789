/** oks activities: start the provider's booking task, wait for its end, release the unit. */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../common/failure-types';
import { type ReleaseOutcome, released } from '../../common/release';
import { type BookLayoutRequest, type FinishedTask, type LayoutDeal, isFinished } from './contract';
import type { OksClient } from './client';
import { activityLogger } from '../logging';

export interface BookingTaskStarted {
  taskId: string;
  /** Whether an earlier attempt may have started a task we never heard of. */
  earlierAttemptsUnclear: boolean;
}

export interface TaskPolling {
  initialMs: number;
  maxMs: number;
}

export interface OksDeps {
  oks: OksClient;
  logger: Logger;
}

export function createOksActivities({ oks, logger }: OksDeps) {
  return {
    /**
     * Asks oks to book the layout and returns its task id. oks has no idempotency
     * key, so the task id is recorded as a heartbeat the moment it is known: a
     * retry after a worker crash finds it there and does not book a second time.
     */
    async requestLayoutBooking(request: BookLayoutRequest): Promise<BookingTaskStarted> {
      const ctx = Context.current();
      const recorded = ctx.info.heartbeatDetails as BookingTaskStarted | undefined;
      if (recorded?.taskId) return recorded;
      const accepted = await oks.bookLayout(request, activityLogger(logger));
      // An earlier attempt that failed without an answer (timeout, 5xx) may have started a task too.
      const started: BookingTaskStarted = { taskId: accepted.taskId, earlierAttemptsUnclear: ctx.info.attempt > 1 };
      ctx.heartbeat(started);
      return started;
    },

    /**
     * Polls the task until it ends, pausing longer each time, heartbeating as it
     * goes: the history holds one activity however long oks takes, and a worker
     * that dies mid-poll is noticed at the heartbeat timeout and replaced.
     */
    async awaitLayoutBookingTask(taskId: string, polling: TaskPolling): Promise<FinishedTask> {
      const ctx = Context.current();
      const log = activityLogger(logger);
      for (let pause = polling.initialMs; ; pause = Math.min(pause * 2, polling.maxMs)) {
        const task = await oks.taskStatus(taskId, log);
        if (isFinished(task)) return task;
        ctx.heartbeat({ status: task.status });
        await ctx.sleep(pause);
      }
    },

    async releaseLayout(deal: Pick<LayoutDeal, 'contact_id' | 'shows_id'>): Promise<ReleaseOutcome> {
      return oks.unbook({ contact_id: deal.contact_id, shows_id: deal.shows_id }, activityLogger(logger));
    },

    /**
     * Releases whatever a task booked when its end was never seen (the poll gave
     * up): a task still running is waited for, a failed one booked nothing, a
     * completed one is unbooked.
     */
    async releaseLayoutOfTask(taskId: string, polling: TaskPolling): Promise<ReleaseOutcome> {
      const log = activityLogger(logger);
      const task = await oks.taskStatus(taskId, log);
      if (!isFinished(task)) {
        await Context.current().sleep(polling.maxMs);
        throw ApplicationFailure.retryable(`oks task ${taskId} is still ${task.status}; its unit is released once it ends`, FailureType.ProviderUnavailable);
      }
      if (task.status === 'failed') return released(`oks task ${taskId} failed: nothing was booked`);
      return oks.unbook({ contact_id: task.result.contact_id, shows_id: task.result.shows_id }, log);
    },
  };
}

export type OksActivities = ReturnType<typeof createOksActivities>;
