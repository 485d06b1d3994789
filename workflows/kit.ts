/**
 * The booking kit every provider workflow is written with, so that a workflow
 * reads as its business process and every mechanism lives here once:
 * - `step`: a provider call and the view change it brings;
 * - `hold`: takes something at the provider, its release registered before the
 *   call (a lost or unreadable answer never leaves it behind);
 * - `waitFor`: a person's answer with a deadline; each answer is one signal
 *   (Temporal UI / CLI: a wrong-time answer is recorded and ignored) and one
 *   update (API: refused by its validator with the reason, and answered once
 *   the booking has carried it out);
 * - `run`: the failure policy, operator cancellation, releases newest first,
 *   and all handlers finished before the workflow returns.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  type SignalDefinition,
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  isCancellation,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { FailureType } from '../common/failure-types';
import { type ReleaseOutcome, needsOperator } from '../common/release';
import {
  type BookingError,
  type BookingStart,
  type BookingStatus,
  type BookingView,
  type CancelRequest,
  type Provider,
  isAnswerAuthor,
  statusQuery,
} from './booking';
import { BookingRecord } from './booking-record';
import { describeFailure } from './failures';

/**
 * An answer people give a booking, defined once and shared by the workflow
 * and the API: `name` is the signal's name (the one `waitingFor.actions`
 * shows), `update` the API's.
 */
export interface Answer<A extends unknown[] = unknown[]> {
  readonly name: string;
  readonly signal: SignalDefinition<A>;
  readonly update: UpdateDefinition<BookingView, A>;
}

export function defineAnswer<A extends unknown[] = []>(signalName: string, updateName: string): Answer<A> {
  return { name: signalName, signal: defineSignal<A>(signalName), update: defineUpdate<BookingView, A>(updateName) };
}

/** Cancel: the answer every booking takes while it may still be undone. */
export const cancel = defineAnswer<[CancelRequest?]>('cancel', 'cancelBooking');

/** What an operator did by hand, recorded on the booking. */
export interface MarkReleasedRequest {
  reason: string;
}

/** An operator's answers to a release that keeps failing: try it again now, or count it done by hand. */
export const retryRelease = defineAnswer('retryRelease', 'retryBookingRelease');
export const markReleased = defineAnswer<[MarkReleasedRequest]>('markReleased', 'markBookingReleased');

/** Bookings started since wait for an operator between the rounds of a failing release. */
const OPERATOR_RELEASE_ANSWERS = 'operator-release-answers';

const throwIf = (refusal: string | undefined): void => {
  if (refusal) throw new Error(refusal);
};

/** An answer given and taken, as the workflow carries it out. */
export interface Given<A extends unknown[] = unknown[]> {
  answer: Answer<A>;
  args: A;
}

/** Whether a given answer is `answer`, with its arguments typed. */
export const isAnswer = <A extends unknown[]>(given: Given | undefined, answer: Answer<A>): given is Given<A> =>
  given?.answer === (answer as unknown);

/** What the workflow checks of an answer's input or timing beyond "is it awaited now": a refusal, or undefined. */
export type AnswerCheck<A extends unknown[]> = (...args: A) => string | undefined;

/** An answer the workflow takes, with its check; built by `takes`. */
export interface TakenAnswer {
  readonly answer: Answer;
  readonly check?: AnswerCheck<unknown[]>;
}

export const takes = <A extends unknown[]>(answer: Answer<A>, check?: AnswerCheck<A>): TakenAnswer => ({
  answer: answer as unknown as Answer,
  check: check as AnswerCheck<unknown[]> | undefined,
});

export interface BookingKitOptions<R> {
  provider: Provider;
  /** Every answer the workflow takes besides cancel. */
  answers?: readonly TakenAnswer[];
  /** Why cancel is refused now, beyond "not among the answers awaited"; the view's notCancellableReason by default. */
  cancelCheck?: AnswerCheck<[CancelRequest?]>;
  /** The activities that release what is held: their retries stop at the escalation period. */
  releases: R;
  /** Pause between release rounds once a release was flagged. */
  releasePauseMs: number;
  /**
   * Answers whose updates returned as soon as they were taken before the kit
   * (histories recorded then replay that way); bookings started since return
   * once the answer is carried out.
   */
  answeredAtOnceBefore?: readonly Answer[];
}

/** The patch marking bookings whose answers' updates return once carried out. */
const ANSWERS_RETURN_WHEN_CARRIED_OUT = 'answers-return-when-carried-out';

/** How the booking looks while a step runs. */
export interface Progress {
  stage: string;
  note: string;
  status?: BookingStatus;
  /** Whether an app may cancel during the step (carried out once the step is done). Default: yes. */
  cancellable?: boolean;
  deadline?: string | null;
  atDeadline?: string;
}

/** What a booking waits a person for. */
export interface Wait {
  status: BookingStatus;
  stage: string;
  note: string;
  on: 'approver' | 'client';
  answers: readonly Answer[];
  /** Epoch ms after which the booking moves on by itself. */
  until: number;
  atDeadline: string;
  what?: string;
  details?: Record<string, unknown>;
}

/** A thing held at the provider; `run` finds what exists, releases it and says what it found. */
interface Release<R> {
  readonly what: string;
  run: (releases: R) => Promise<ReleaseOutcome | unknown>;
}

/** An answer taken; `outcome` is set once the workflow carried it out (or could not). */
interface Taken extends Given {
  outcome?: 'done' | { refusal: string };
}

/** A cancel carried out through the booking's end: `run` releases what is held and ends `cancelled`. */
class BookingCancelled extends Error {
  constructor(
    readonly request: CancelRequest,
    readonly note?: string,
  ) {
    super('cancelled');
  }
}

type Ending = 'completed' | 'failed' | 'cancelled' | 'expired';

/** An answer's own arguments, and who gave it when the API says so (its last argument). */
function withoutAuthor(given: unknown[]): { args: unknown[]; by?: string } {
  const last = given[given.length - 1];
  if (!isAnswerAuthor(last)) return { args: given };
  const args = given.slice(0, -1);
  // The API sends an answer without a body as [undefined, author]: the answer itself has no argument.
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return { args, by: `${last.answeredBy.client} (${last.answeredBy.role})` };
}

export class Booking<R> {
  readonly record: BookingRecord;
  private readonly releases: Release<R>[] = [];
  /** Given, not yet handed to the workflow. */
  private queued: Taken | undefined;
  /** An operator's answer to a release that keeps failing. */
  private operatorAnswer: 'retry' | MarkReleasedRequest | undefined;
  /** Handed to the workflow, carried out by its next wait or its end. */
  private carrying: Taken | undefined;

  constructor(
    input: BookingStart<unknown, unknown>,
    private readonly options: BookingKitOptions<R>,
  ) {
    this.record = new BookingRecord(input.bookingId, options.provider, input.client, input.createdAt);
    setHandler(statusQuery, () => this.record.view);
    this.register(
      takes(cancel, (request?: CancelRequest) => {
        if (!this.record.view.cancellable) return this.record.view.notCancellableReason ?? `the booking is ${this.record.status}: there is nothing to cancel`;
        return options.cancelCheck?.(request);
      }),
    );
    for (const taken of options.answers ?? []) this.register(taken);
    this.registerOperatorAnswers();
  }

  get status(): BookingStatus {
    return this.record.status;
  }

  get stage(): string {
    return this.record.stage;
  }

  /** The cancel given and not yet carried out, if any. */
  get cancelRequested(): CancelRequest | undefined {
    return isAnswer(this.queued, cancel) ? (this.queued.args[0] ?? {}) : undefined;
  }

  /**
   * A provider call, with the view showing what it is doing. A cancel given
   * meanwhile is carried out after it, or, for a step that holds nothing
   * (`interruptible`), at once: the call is abandoned.
   */
  async step<T>(progress: Progress, call: () => Promise<T>, { interruptible = false }: { interruptible?: boolean } = {}): Promise<T> {
    this.progress(progress);
    const value = interruptible ? await this.interruptedByCancel(call) : await call();
    this.cancelIfGiven();
    return value;
  }

  /**
   * Takes something at the provider. Its release is registered before the call,
   * from what the workflow knows already, and kept unless the provider clearly
   * refused: a timeout, a lost or unreadable answer leaves the release to find
   * what exists. The call is shielded from cancellation: its outcome must be known.
   * `heldIf` says whether what came back holds anything (a refused task does not).
   * A cancel given meanwhile waits for the booking's next step or wait.
   */
  async hold<T>(
    what: string | ((taken: T | undefined) => string),
    take: () => Promise<T>,
    release: (releases: R, taken: T | undefined) => Promise<ReleaseOutcome | unknown>,
    heldIf: (taken: T) => boolean = () => true,
  ): Promise<T> {
    let taken: T | undefined;
    const entry: Release<R> = {
      get what() {
        return typeof what === 'string' ? what : what(taken);
      },
      run: (releases) => release(releases, taken),
    };
    // The call is shielded: an operator's cancellation is honoured before it, never in the middle.
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('cancelled by an operator');
    this.releases.push(entry);
    try {
      taken = await CancellationScope.nonCancellable(take);
    } catch (err) {
      if (clearlyRefused(err)) this.forget(entry);
      throw err;
    }
    if (!heldIf(taken)) this.forget(entry);
    return taken;
  }

  /**
   * Waits for one of `answers`, or the deadline (undefined). An answer given
   * already is returned at once. Its update returns once the booking has
   * carried it out: at the booking's next wait, or its end.
   */
  async waitFor(wait: Wait): Promise<Given | undefined> {
    this.carriedOut();
    if (this.queued && !wait.answers.includes(this.queued.answer)) {
      this.settle(this.queued, { refusal: `the booking moved on: it is ${this.record.status} (${this.record.stage})` });
      this.queued = undefined;
    }
    if (!this.queued) {
      this.record.moveTo(wait.status, wait.stage, wait.note, {
        on: wait.on,
        actions: wait.answers.map((a) => a.name),
        deadline: new Date(wait.until).toISOString(),
        atDeadline: wait.atDeadline,
        ...(wait.what ? { what: wait.what } : {}),
        ...(wait.details ? { details: wait.details } : {}),
      });
      const answered = await condition(() => this.queued !== undefined, Math.max(1, wait.until - Date.now()));
      if (!answered) return undefined;
    }
    this.carrying = this.queued;
    this.queued = undefined;
    return this.carrying;
  }

  /** The answer being carried out could not be: its update fails with the reason, the booking goes on where it is. */
  refuseAnswer(reason: string): void {
    if (this.carrying) this.settle(this.carrying, { refusal: reason });
    this.carrying = undefined;
  }

  /** Carries out a cancel: `run` releases what is held and ends the booking `cancelled`, with `note` in the timeline when given. */
  cancelNow(request: CancelRequest = {}, note?: string): never {
    throw new BookingCancelled(request, note);
  }

  /** Ends the booking where it is, with nothing held any more. */
  end(status: Ending, stage: string, note: string): void {
    this.releases.length = 0;
    this.record.moveTo(status, stage, note);
  }

  /** Releases everything held, newest first, then ends the booking. */
  async releaseAndEnd(status: Ending, stage: string, note: string, releasing = 'releasing what is held'): Promise<void> {
    if (this.releases.length > 0) {
      this.record.moveTo(this.record.status, 'releasing', releasing, { on: 'provider', actions: [], deadline: null, atDeadline: '' });
      await this.unwind();
    }
    this.record.moveTo(status, stage, note);
  }

  /** Fails the booking in the provider's words, releasing what is held. */
  async fail(error: BookingError, stage = this.record.stage, note = `failed: ${error.message}`): Promise<void> {
    this.record.setError(error);
    await this.releaseAndEnd('failed', stage, note);
  }

  /** Ends `cancelled`: with releases, at the `cancelled` stage once they are done; with none, where the booking stood. */
  private async endCancelled(note: string): Promise<void> {
    await this.releaseAndEnd('cancelled', this.releases.length > 0 ? 'cancelled' : this.record.stage, note);
  }

  /**
   * Runs the booking's process and owns its failure policy:
   * - a cancel (given during a step, or carried out with `cancelNow`): release, end `cancelled`;
   * - an operator's cancellation (Temporal UI / CLI): release, end `cancelled`,
   *   and the workflow ends Canceled;
   * - an activity's failure: the provider's words kept, release, end `failed`;
   * - anything else is a bug: rethrown, failing the workflow task so that a
   *   fixed worker resumes the booking where it stopped.
   */
  async run(process: () => Promise<void>): Promise<BookingView> {
    try {
      await process();
    } catch (err) {
      if (err instanceof BookingCancelled) {
        const because = err.request.reason ? `: ${err.request.reason}` : '';
        await this.endCancelled(err.note ?? `cancelled${because}; ${this.releases.length > 0 ? 'what was held is released' : 'nothing was held'}`);
      } else if (isCancellation(err)) {
        this.record.note('workflow cancellation requested by an operator');
        const what = this.releases.length > 0 ? 'what was held is released' : 'nothing was held';
        await CancellationScope.nonCancellable(() => this.endCancelled(`cancelled by an operator; ${what}`));
        await this.finish();
        throw err;
      } else if (err instanceof ActivityFailure) {
        await this.fail(describeFailure(err));
      } else {
        throw err;
      }
    }
    return this.finish();
  }

  // ---------------------------------------------------------------------------

  private async finish(): Promise<BookingView> {
    this.carriedOut();
    if (this.queued) this.settle(this.queued, isAnswer(this.queued, cancel) && this.record.status === 'cancelled' ? 'done' : { refusal: `the booking is ${this.record.status}` });
    this.queued = undefined;
    await condition(allHandlersFinished);
    // The last changes reach the search attributes and memo before the workflow's last command.
    this.record.write();
    return this.record.view;
  }

  /** Shows what the provider is doing, without a call of the workflow's own (inside a hold, between its calls). */
  progress(progress: Progress): void {
    this.record.moveTo(progress.status ?? 'processing', progress.stage, progress.note, {
      on: 'provider',
      actions: progress.cancellable === false ? [] : ['cancel'],
      deadline: progress.deadline ?? null,
      atDeadline: progress.atDeadline ?? '',
    });
  }

  /** Runs `call` in a scope that a cancel answer cancels; the cancel itself is carried out by the caller's check. */
  private async interruptedByCancel<T>(call: () => Promise<T>): Promise<T> {
    const scope = new CancellationScope();
    const watch = new CancellationScope();
    void watch.run(() => condition(() => this.cancelRequested !== undefined)).then(
      () => scope.cancel(),
      () => undefined,
    );
    try {
      return await scope.run(call);
    } catch (err) {
      // The call was abandoned for the cancel: carried out by the caller's check, not a failure.
      if (isCancellation(err) && this.cancelRequested && !CancellationScope.current().consideredCancelled) this.cancelIfGiven();
      throw err;
    } finally {
      watch.cancel();
    }
  }

  private cancelIfGiven(): void {
    const request = this.cancelRequested;
    if (!request) return;
    this.carriedOut();
    this.carrying = this.queued;
    this.queued = undefined;
    throw new BookingCancelled(request);
  }

  private carriedOut(): void {
    if (this.carrying) this.settle(this.carrying, 'done');
    this.carrying = undefined;
  }

  private settle(taken: Taken, outcome: NonNullable<Taken['outcome']>): void {
    if (taken.outcome === undefined) taken.outcome = outcome;
  }

  private forget(entry: Release<R>): void {
    const at = this.releases.lastIndexOf(entry);
    if (at >= 0) this.releases.splice(at, 1);
  }

  /** One answer, two doors: the update for the API (refused by its validator), the signal for people (refused = recorded, ignored). */
  private register({ answer, check }: TakenAnswer): void {
    const refusal = (given: unknown[]): string | undefined => {
      const { args } = withoutAuthor(given);
      // A second cancel joins the first, whether it waits or is being carried out.
      if (answer === cancel && (this.queued?.answer === cancel || this.carrying?.answer === cancel)) return undefined;
      if (this.queued) return `the booking is busy with ${this.queued.answer.name}; try again once it is done`;
      if (this.carrying && answer !== cancel) return `the booking is busy with ${this.carrying.answer.name}; try again once it is done`;
      const waiting = this.record.view.waitingFor;
      if (this.record.isTerminal || !waiting?.actions.includes(answer.name)) {
        return (answer === cancel ? check?.(...args) : undefined) ?? `the booking is ${this.record.status} (${this.record.stage}): ${answer.name} is not possible now`;
      }
      return check?.(...args);
    };
    const take = (given: unknown[]): Taken => {
      const { args, by } = withoutAuthor(given);
      // A second cancel joins the first.
      if (this.queued) return this.queued;
      if (answer === cancel && this.carrying?.answer === cancel) return this.carrying;
      this.queued = { answer, args };
      const reason = (args[0] as { reason?: unknown } | undefined)?.reason;
      this.record.note(`${answer.name} requested${typeof reason === 'string' && reason ? `: ${reason}` : ''}`, by);
      return this.queued;
    };
    setHandler(
      answer.update,
      async (...args: unknown[]) => {
        const taken = take(args);
        if (this.options.answeredAtOnceBefore?.includes(answer) && !this.record.hasPatch(ANSWERS_RETURN_WHEN_CARRIED_OUT)) return this.record.view;
        await condition(() => taken.outcome !== undefined);
        if (taken.outcome !== 'done' && taken.outcome) {
          throw ApplicationFailure.create({ message: taken.outcome.refusal, type: FailureType.ProviderRefused, nonRetryable: true });
        }
        return this.record.view;
      },
      {
        validator: (...args: unknown[]) => {
          const refused = refusal(args);
          if (refused) throw new Error(refused);
        },
      },
    );
    setHandler(answer.signal, (...args: unknown[]) => {
      const refused = refusal(args);
      if (refused) this.record.note(`${answer.name} signal ignored: ${refused}`);
      else take(args);
    });
  }

  private async unwind(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (let release = this.releases.pop(); release; release = this.releases.pop()) {
        await this.releaseUntilDone(release);
      }
    });
  }

  /**
   * A release is never given up on: it retries until done. While it keeps
   * failing the booking is flagged, searchable, and waits between rounds for
   * an operator, who may retry it at once or mark it released by hand.
   */
  private async releaseUntilDone(release: Release<R>): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        const outcome = await release.run(this.options.releases);
        if (needsOperator(outcome)) {
          this.record.flag(`${outcome.unknown} (${release.what})`, 'outcome_unknown');
          return;
        }
        if (round > 1) this.record.flag(null);
        const evidence = (outcome as { evidence?: unknown } | undefined)?.evidence;
        this.record.note(`released: ${release.what}${typeof evidence === 'string' ? ` (${evidence})` : ''}`);
        return;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const failing = `release "${release.what}" keeps failing (round ${round}): ${describeFailure(err).message}; retrying until it succeeds`;
        this.record.flag(failing, 'release_failing');
        if (!this.record.hasPatch(OPERATOR_RELEASE_ANSWERS)) {
          await sleep(this.options.releasePauseMs);
          continue;
        }
        const marked = await this.operatorBetweenRounds(release);
        if (marked) {
          this.record.flag(null);
          this.record.note(`marked released by hand: ${release.what} (${marked.reason})`);
          return;
        }
      }
    }
  }

  /** Waits out the pause between release rounds, unless an operator retries now or marks the release done. */
  private async operatorBetweenRounds(release: Release<R>): Promise<MarkReleasedRequest | undefined> {
    const until = Date.now() + this.options.releasePauseMs;
    const { status, stage } = this.record;
    this.record.moveTo(status, 'releasing', `waiting to release ${release.what} again`, {
      on: 'operator',
      actions: [retryRelease.name, markReleased.name],
      deadline: new Date(until).toISOString(),
      atDeadline: 'the release is tried again',
      what: `the release of ${release.what} keeps failing: retry it now, or mark it released by hand with a reason once you have released it yourself`,
    });
    this.operatorAnswer = undefined;
    await condition(() => this.operatorAnswer !== undefined, Math.max(1, until - Date.now()));
    const answer = this.operatorAnswer;
    this.operatorAnswer = undefined;
    this.record.moveTo(status, stage, `releasing ${release.what}`, { on: 'provider', actions: [], deadline: null, atDeadline: '' });
    return answer === 'retry' ? undefined : answer;
  }

  /** An operator's answers while a release keeps failing: they bypass the booking's own answers, which may be waiting on that very release. */
  private registerOperatorAnswers(): void {
    const refusal = (): string | undefined =>
      this.record.view.waitingFor?.on === 'operator' && this.operatorAnswer === undefined ? undefined : `the booking is ${this.record.status} (${this.record.stage}): no release is waiting for an operator`;
    const take = (answer: 'retry' | MarkReleasedRequest, author?: unknown): void => {
      this.operatorAnswer = answer;
      const by = isAnswerAuthor(author) ? `${author.answeredBy.client} (${author.answeredBy.role})` : undefined;
      this.record.note(answer === 'retry' ? 'an operator asked to retry the release now' : `an operator marked the release done by hand: ${answer.reason}`, by);
    };
    const markReleasedRefusal = (request?: MarkReleasedRequest): string | undefined =>
      refusal() ?? (typeof request?.reason === 'string' && request.reason.trim() ? undefined : 'markReleased needs {"reason": "..."}: what was done by hand, recorded on the booking');
    // The API sends who answers after the answer's own argument (retryRelease has none: [undefined, author]).
    setHandler(retryRelease.update, (...args: unknown[]) => (take('retry', args[args.length - 1]), this.record.view), { validator: () => throwIf(refusal()) });
    setHandler(retryRelease.signal, () => (refusal() ? this.record.note(`retryRelease signal ignored: ${refusal()}`) : take('retry')));
    setHandler(markReleased.update, (request, author?: unknown) => (take(request, author), this.record.view), { validator: (request) => throwIf(markReleasedRefusal(request)) });
    setHandler(markReleased.signal, (request) => {
      const refused = markReleasedRefusal(request);
      if (refused) this.record.note(`markReleased signal ignored: ${refused}`);
      else take(request);
    });
  }
}

/** Opens a booking: its view, search attributes and memo, its answers, its releases. */
export function openBooking<R>(input: BookingStart<unknown, unknown>, options: BookingKitOptions<R>): Booking<R> {
  return new Booking(input, options);
}

/** The provider said no in so many words: nothing was created, nothing to release. */
function clearlyRefused(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure && (cause.type === FailureType.ProviderRefused || cause.type === FailureType.ProviderAuthRejected);
}

/**
 * What each of a provider's activities does, in a few words from the ids it is given ("remove
 * ticket 27061"): the activity's summary in the Temporal UI, so a booking's timeline reads as its
 * story. Ids only: summaries are sealed like every payload, yet never carry personal data.
 */
export type StepSummaries<A> = {
  [K in keyof A]?: A[K] extends (...args: infer P) => unknown ? (...args: P) => string : never;
};
