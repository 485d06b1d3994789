/**
 * Every activity a booking schedules carries a summary (the Temporal UI's timeline and the CLI
 * show it): the provider's own words for the step where its workflow declares them
 * (`<provider>Steps`), else the activity's name in words. A workflow interceptor, bundled with
 * the workflows (worker/create.ts BOOKING_BUNDLE), so no call site has to remember it.
 */
import type { ActivityInput, Next, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';
import { brusnikaSteps } from './brusnika';
import { chronoSteps } from './chrono';
import { hotels24Steps } from './hotels24';
import { oksSteps } from './oks';
import { qticketsSteps } from './qtickets';

type Summarize = (...args: never[]) => string;
const summaries = new Map<string, Summarize>(
  [oksSteps, qticketsSteps, hotels24Steps, brusnikaSteps, chronoSteps].flatMap((steps) => Object.entries(steps) as [string, Summarize][]),
);

/** `removeQticketsTicket` → `remove qtickets ticket`. */
const inWords = (activityType: string): string => activityType.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

export function summaryOf(activityType: string, args: readonly unknown[]): string {
  const summarize = summaries.get(activityType);
  try {
    if (summarize) return (summarize as (...a: readonly unknown[]) => string)(...args);
  } catch {
    // An argument of an older shape (a replayed booking): the name in words still says what it is.
  }
  return inWords(activityType);
}

class StepSummaryInterceptor implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next({ ...input, options: { ...input.options, summary: input.options.summary ?? summaryOf(input.activityType, input.args) } });
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new StepSummaryInterceptor()] });
