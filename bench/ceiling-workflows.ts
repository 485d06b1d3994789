/**
 * The bench's ceiling: a booking that does nothing, in the shape of a provider's
 * main path (its activities before the person's wait, the wait with its deadline
 * timer, its activities after), with a status query, a `complete` signal and a
 * `completeBooking` update. Bundled by the bench itself onto its own task queue:
 * what Temporal costs on this machine, without the booking kit.
 */
import { condition, defineQuery, defineSignal, defineUpdate, proxyActivities, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { BookingStatus } from '../workflows/search-attributes';

export interface CeilingShape {
  before: number;
  wait: boolean;
  after: number;
  /**
   * Mirror every step to a search attribute and the memo, as the booking record does
   * (workflows/booking-record.ts): what those upserts cost, without the rest of the kit.
   */
  upserts?: boolean;
}

export interface CeilingView {
  status: 'processing' | 'held' | 'completed';
  /** Workflow time (ms) of each status reached. */
  at: Partial<Record<'processing' | 'held' | 'completed', number>>;
}

export const ceilingStatus = defineQuery<CeilingView>('status');
export const ceilingComplete = defineSignal('complete');
export const ceilingCompleteUpdate = defineUpdate<CeilingView>('completeBooking');

const { benchNoop } = proxyActivities<{ benchNoop(step: number): Promise<number> }>({ startToCloseTimeout: '10 seconds' });

export async function ceilingBooking(shape: CeilingShape): Promise<CeilingView> {
  const view: CeilingView = { status: 'processing', at: { processing: Date.now() } };
  let answered = false;
  setHandler(ceilingStatus, () => view);
  setHandler(ceilingComplete, () => {
    answered = true;
  });
  setHandler(ceilingCompleteUpdate, async () => {
    answered = true;
    await condition(() => view.status === 'completed');
    return view;
  });
  const mirror = (step: string): void => {
    if (!shape.upserts) return;
    upsertSearchAttributes([{ key: BookingStatus, value: step }]);
    upsertMemo({ summary: `ceiling ${step}` });
  };
  mirror('processing');
  for (let i = 0; i < shape.before; i++) {
    await benchNoop(i);
    mirror(`step ${i}`);
  }
  if (shape.wait) {
    view.status = 'held';
    mirror('held');
    view.at.held = Date.now();
    await condition(() => answered, '1 day');
  }
  for (let i = 0; i < shape.after; i++) await benchNoop(shape.before + i);
  view.status = 'completed';
  mirror('completed');
  view.at.completed = Date.now();
  return view;
}
