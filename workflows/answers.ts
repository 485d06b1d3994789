/**
 * An answer people give a booking (cancel, complete, accept...), registered
 * twice: as an update for the API, whose validator refuses an answer at the
 * wrong time (the API's 409, with the reason), and as a signal for people in
 * the Temporal UI or CLI, where a wrong-time answer is recorded in the
 * timeline and ignored. One place for both, so they can never disagree.
 */
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { setHandler } from '@temporalio/workflow';
import type { BookingView, CancelRequest } from './booking';
import { cancelSignal, cancelUpdate } from './booking';
import type { BookingRecord } from './booking-record';

export interface Answer<A extends unknown[]> {
  /** The answer's name in the timeline ("cancel signal ignored: ..."). */
  name: string;
  signal: SignalDefinition<A>;
  update: UpdateDefinition<BookingView, A>;
  /** Why the answer cannot be taken now, or undefined when it can. */
  refuse: (...args: A) => string | undefined;
  /** Takes the answer; the update replies once this is done. */
  take: (...args: A) => void | Promise<void>;
}

export function handleAnswer<A extends unknown[]>(booking: BookingRecord, answer: Answer<A>): void {
  setHandler(
    answer.update,
    async (...args: A) => {
      await answer.take(...args);
      return booking.view;
    },
    {
      validator: (...args: A) => {
        const refusal = answer.refuse(...args);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(answer.signal, async (...args: A) => {
    const refusal = answer.refuse(...args);
    if (refusal) booking.note(`${answer.name} signal ignored: ${refusal}`);
    else await answer.take(...args);
  });
}

/**
 * The shared cancel answer: the first cancel is recorded with its reason, a
 * second one joins it. Workflows read `requested` at their next step.
 */
export function handleCancel(
  booking: BookingRecord,
  refuse: () => string | undefined = () => {
    const { cancellable, notCancellableReason } = booking.view;
    return cancellable ? undefined : (notCancellableReason ?? `the booking is ${booking.status}: there is nothing to cancel`);
  },
): { readonly requested: CancelRequest | undefined } {
  let requested: CancelRequest | undefined;
  const take = (request: CancelRequest = {}): void => {
    if (requested) return;
    requested = request;
    booking.note(`cancel requested${request.reason ? `: ${request.reason}` : ''}`);
  };
  // The signal's input may be left out in the UI; `take` defaults it.
  const signal = cancelSignal as SignalDefinition<[CancelRequest]>;
  handleAnswer<[CancelRequest]>(booking, { name: 'cancel', signal, update: cancelUpdate, refuse: () => refuse(), take });
  return {
    get requested() {
      return requested;
    },
  };
}
