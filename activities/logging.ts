import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { bookingIdFromWorkflowId } from '../common/workflow-id';

/** A logger for the running activity, carrying the bookingId and the attempt. */
export function activityLogger(logger: Logger): Logger {
  const { info } = Context.current();
  return logger.child({
    bookingId: info.workflowExecution && bookingIdFromWorkflowId(info.workflowExecution.workflowId),
    activity: info.activityType,
    attempt: info.attempt,
  });
}
