/**
 * A trip: one booking across several providers, all or nothing (a saga). Each
 * leg is a booking of its provider's own workflow, started as the trip's child
 * (`booking-<bookingId>`, with `BookingTrip` set), and tells the trip how it
 * stands by signal (trip-leg.ts). The process:
 * 1. the legs that can be undone run first, in parallel, until each holds;
 * 2. the trip waits for confirm, until a deadline;
 * 3. confirm books the pivot (the one leg that cannot be undone, e.g. hotels24)
 *    while every other leg still holds, then completes the legs whose
 *    completion cannot be undone either (pays the tickets, completes the deal);
 * 4. a leg that fails, is rejected or expires, a cancel, or the confirm
 *    deadline releases every leg that holds something, newest first.
 * A leg releases what it holds itself (the kit's rules): the trip cancels it
 * and counts it released once its workflow has ended.
 */
import {
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { type BookingStatus, type CancelRequest, type Provider, type Waiting, isTerminal, workflowIdFor } from './booking';
import { brusnikaInTrip } from './brusnika';
import { chronoInTrip } from './chrono';
import { hotels24InTrip } from './hotels24';
import { cancel } from './kit';
import { oksInTrip } from './oks';
import { qticketsInTrip } from './qtickets';
import { BookingClient, BookingProvider, BookingStatus as BookingStatusKey, BookingTrip } from './search-attributes';
import { type LegStatus, legChanged, legStatusOf } from './trip-leg';
import type { TripRole } from './trip-role';

/** Each provider's part in a trip, declared beside its workflow. */
export const tripRoles: Record<Provider, TripRole> = {
  oks: oksInTrip,
  qtickets: qticketsInTrip,
  hotels24: hotels24InTrip,
  chrono: chronoInTrip,
  brusnika: brusnikaInTrip,
};

export interface TripTiming {
  /** How long a trip whose legs all hold waits for confirm; then every leg is released and the trip expires. */
  confirmWaitMs: number;
}

const defaultTripTiming: TripTiming = { confirmWaitMs: 10 * 60_000 };

/** A leg as the trip starts it: the provider's booking, its request checked by the provider's schema. */
export interface TripLegStart {
  provider: Provider;
  bookingId: string;
  request: unknown;
  timing?: Record<string, number>;
}

export interface TripStart {
  tripId: string;
  /** Owner of the trip and of its legs (the API token's client); not personal data. */
  client: string;
  legs: TripLegStart[];
  timing?: Partial<TripTiming>;
}

/** A leg in the trip's view: its booking's summary, and whether it is the pivot. */
interface TripLegView extends LegStatus {
  /** 1-based, as the trip names its legs. */
  leg: number;
  /** Why the leg cannot be undone, when it is the trip's pivot. */
  pivot: string | null;
}

/** A leg that holds something the trip could not release. */
interface NotUndone {
  leg: number;
  provider: Provider;
  bookingId: string;
  reason: string;
}

/** The answer of the trip's `status` query, of GET /api/v1/trips/:id, and of the workflow. */
export interface TripView {
  tripId: string;
  client: string;
  status: BookingStatus;
  /** Where the trip is: `holding`, `held`, `booking_pivot`, `completing`, `legs_running`, `releasing`, or how it ended. */
  stage: string;
  createdAt: string;
  updatedAt: string;
  /** The trip's own wait (confirm), or the human wait of a leg, named. */
  waitingFor: (Waiting & { leg?: number }) | null;
  legs: TripLegView[];
  error: { code: string; message: string; leg?: number; provider?: Provider } | null;
  /** Legs that hold what they hold for good: after the pivot, a cancel or a failure cannot release them. */
  notUndone: NotUndone[];
  attention: string | null;
  cancellable: boolean;
  revision: number;
  timeline: Array<{ at: string; status: BookingStatus; stage: string; note: string }>;
}

export const tripStatusQuery = defineQuery<TripView>('status');
/** The app goes ahead: the pivot is booked, then the legs are completed. */
export const confirmTrip = { signal: defineSignal('confirm'), update: defineUpdate<TripView>('confirmTrip') };
/** Releases every leg that can still be released; the signal is the bookings' `cancel`, for the Temporal UI. */
export const cancelTrip = { signal: cancel.signal, update: defineUpdate<TripView, [CancelRequest?]>('cancelTrip') };

interface Leg {
  index: number;
  start: TripLegStart;
  role: TripRole;
  pivot: string | undefined;
  started: boolean;
  /** The leg's workflow has ended: whatever it held is released, or it holds it for good. */
  closed: boolean;
  last: LegStatus;
}

type Phase = 'holding' | 'held' | 'booking_pivot' | 'completing' | 'legs_running' | 'releasing' | 'ended';

const TIMELINE_LIMIT = 50;

export async function trip(input: TripStart): Promise<TripView> {
  const timing: TripTiming = { ...defaultTripTiming, ...input.timing };
  const legs: Leg[] = input.legs.map((start, index) => {
    const role = tripRoles[start.provider];
    return {
      index,
      start,
      role,
      // Checked by the API with the provider's own schema.
      pivot: role.pivotBecause(start.request as never),
      started: false,
      closed: false,
      last: { bookingId: start.bookingId, provider: start.provider, status: 'pending', stage: 'not_started', note: '', waitingFor: null, error: null, attention: null, cancellable: true, revision: 0 },
    };
  });
  const pivot = legs.find((leg) => leg.pivot);
  const undoable = legs.filter((leg) => !leg.pivot);
  /** Legs in the order they were started: released newest first. */
  const startedOrder: Leg[] = [];
  const now = new Date().toISOString();
  const view: TripView = {
    tripId: input.tripId,
    client: input.client,
    status: 'pending',
    stage: 'received',
    createdAt: workflowInfo().startTime.toISOString(),
    updatedAt: now,
    waitingFor: null,
    legs: [],
    error: null,
    notUndone: [],
    attention: null,
    cancellable: true,
    revision: 1,
    timeline: [{ at: now, status: 'pending', stage: 'received', note: `trip received: ${legs.map(named).join(', ')}` }],
  };
  let phase: Phase = 'holding';
  /** How the trip ended, once it has. */
  let ending: { status: BookingStatus; stage: string } | undefined;
  let lastSummary = '';
  let confirmDeadline = 0;
  let confirmed = false;
  let cancelRequest: CancelRequest | undefined;

  // ---------------------------------------------------------------------------
  // The view, derived from the phase and the legs, mirrored to search attributes and memo.

  const record = (note: string): void => {
    const at = new Date().toISOString();
    view.updatedAt = at;
    view.revision += 1;
    view.timeline.push({ at, status: view.status, stage: view.stage, note });
    if (view.timeline.length > TIMELINE_LIMIT) view.timeline.splice(1, view.timeline.length - TIMELINE_LIMIT);
  };

  /**
   * The first leg that waits for a person, and that wait, named: an operator
   * (a release that keeps failing) whenever, others before the leg holds (a
   * held leg's own wait is the trip's business).
   */
  const humanWait = (among: Leg[]): TripView['waitingFor'] => {
    const waits = (leg: Leg): boolean => {
      const on = leg.last.waitingFor?.on;
      return !isTerminal(leg.last.status) && (on === 'operator' || (on !== undefined && on !== 'provider' && !holding(leg)));
    };
    const waiting = among.find(waits);
    const wait = waiting?.last.waitingFor;
    if (!waiting || !wait) return null;
    return { ...wait, leg: waiting.index + 1, what: `leg ${named(waiting)}: ${wait.what ?? `${wait.actions.join('/')} awaited`}` };
  };

  const refresh = (note?: string): void => {
    const before = view.status;
    let status: BookingStatus = view.status;
    let waitingFor: TripView['waitingFor'] = null;
    if (phase === 'holding') {
      waitingFor = humanWait(undoable);
      status = waitingFor && waitingFor.on !== 'operator' ? 'awaiting_approval' : 'processing';
    } else if (phase === 'held') {
      status = 'held';
      waitingFor = {
        on: 'client',
        actions: ['confirm', 'cancel'],
        deadline: new Date(confirmDeadline).toISOString(),
        atDeadline: 'every leg is released and the trip expires',
        what: pivot ? `confirm to book ${named(pivot)}, which cannot be undone, and complete the other legs` : 'confirm to complete every leg',
      };
    } else if (phase === 'booking_pivot' || phase === 'completing' || phase === 'legs_running') {
      waitingFor = humanWait(legs);
      status = waitingFor?.on === 'approver' ? 'awaiting_approval' : 'confirmed';
    } else if (phase === 'releasing') {
      waitingFor = humanWait(legs);
    } else if (ending) {
      status = ending.status;
    }
    view.status = status;
    view.stage = ending?.stage ?? phase;
    view.waitingFor = waitingFor;
    view.legs = legs.map((leg) => ({ ...leg.last, leg: leg.index + 1, pivot: leg.pivot ?? null }));
    const attentions = legs.filter((leg) => leg.last.attention).map((leg) => `leg ${named(leg)}: ${leg.last.attention}`);
    view.attention = attentions.length ? attentions.join('; ') : null;
    view.cancellable = phase !== 'ended' && legs.some((leg) => !leg.closed && leg.last.status !== 'completed');
    if (note) record(note);
    else {
      view.updatedAt = new Date().toISOString();
      view.revision += 1;
    }
    if (status !== before) {
      upsertSearchAttributes([{ key: BookingStatusKey, value: status }]);
      log.info('trip moved', { tripId: input.tripId, status, stage: view.stage });
    }
    const waits = waitingFor?.deadline ? `; waits for ${waitingFor.leg ? `leg ${waitingFor.leg}: ` : ''}${waitingFor.actions.join('/')} until ${waitingFor.deadline}` : '';
    const summary = `trip ${status} (${view.stage}); ${legs.map((leg) => `${leg.start.provider} ${leg.last.status}`).join(', ')}${waits}${view.attention ? `; ATTENTION: ${view.attention}` : ''}`;
    // The memo changes only when its line does: a leg's every move need not cost the trip a command.
    if (summary !== lastSummary) upsertMemo({ summary });
    lastSummary = summary;
  };

  const moveTo = (next: Phase, note: string): void => {
    phase = next;
    refresh(note);
  };

  const end = (status: BookingStatus, stage: string, note: string): void => {
    phase = 'ended';
    ending = { status, stage };
    refresh(note);
  };

  // ---------------------------------------------------------------------------
  // Legs

  const follow = (leg: Leg, status: LegStatus): void => {
    if (status.revision <= leg.last.revision) return;
    const moved = status.status !== leg.last.status;
    leg.last = status;
    refresh(moved ? `leg ${named(leg)} is ${status.status} (${status.stage})` : undefined);
  };
  setHandler(legChanged, (status) => {
    const leg = legs.find((l) => l.start.bookingId === status.bookingId);
    if (leg) follow(leg, status);
  });

  const startLeg = async (leg: Leg): Promise<void> => {
    const { provider, bookingId, request, timing: legTiming } = leg.start;
    // Started outside the trip's cancellation: an operator's cancel of the trip releases the legs in order, by the trip's own rules.
    const handle = await CancellationScope.nonCancellable(() =>
      startChild(leg.role.workflow, {
        workflowId: workflowIdFor(bookingId),
        args: [{ bookingId, client: input.client, request: request as never, ...(legTiming ? { timing: legTiming as never } : {}) }],
        // A leg outlives a trip terminated by hand: it still releases what it holds at its own deadline.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: BookingProvider, value: provider },
          { key: BookingStatusKey, value: 'pending' },
          { key: BookingClient, value: input.client },
          { key: BookingTrip, value: input.tripId },
        ],
        memo: { summary: `${provider} pending (received)` },
        staticSummary: `${provider}: ${leg.role.booked(request as never)}, leg ${leg.index + 1} of trip ${input.tripId}, for ${input.client}`,
      }),
    );
    leg.started = true;
    startedOrder.push(leg);
    refresh(`leg ${named(leg)} started: booking ${bookingId}`);
    // The leg's last view is its result: the trip knows how it ended even if a signal was lost.
    handle.result().then(
      (final) => {
        follow(leg, legStatusOf(final));
        leg.closed = true;
        refresh();
      },
      (err: unknown) => {
        const how = err instanceof Error ? err.message : String(err);
        if (!isTerminal(leg.last.status)) {
          follow(leg, { ...leg.last, status: 'failed', stage: 'workflow_ended', note: `the leg's workflow ended: ${how}`, error: { code: 'leg_workflow_ended', message: how }, revision: leg.last.revision + 1 });
        }
        leg.closed = true;
        refresh();
      },
    );
  };

  /** Gives a leg an answer by signal, again whenever the leg moves on, until `done` (a signal at the wrong time is ignored by the leg). */
  const answerUntil = async (leg: Leg, give: () => Promise<void>, canTake: (status: LegStatus) => boolean, done: () => boolean): Promise<void> => {
    while (!done()) {
      const seen = leg.last.revision;
      if (canTake(leg.last)) await give();
      await condition(() => done() || leg.last.revision !== seen);
    }
  };

  const legHandle = (leg: Leg) => getExternalWorkflowHandle(workflowIdFor(leg.start.bookingId));
  const awaits = (answer: string) => (status: LegStatus) => !isTerminal(status.status) && (status.waitingFor?.actions.includes(answer) ?? false);

  /** Cancels the leg and waits for its workflow to end: released (cancelled, expired, failed) or held for good (completed). */
  const releaseLeg = async (leg: Leg, reason: string): Promise<void> => {
    await answerUntil(leg, () => legHandle(leg).signal(cancel.signal, { reason }), (s) => s.cancellable && awaits('cancel')(s), () => leg.closed);
    if (leg.last.status === 'completed') {
      const why = heldForGood(leg);
      view.notUndone.push({ leg: leg.index + 1, provider: leg.start.provider, bookingId: leg.start.bookingId, reason: why });
      record(`leg ${named(leg)} cannot be undone: ${why}`);
    } else {
      record(`leg ${named(leg)} released: ${leg.last.status} (${leg.last.note})`);
    }
  };

  /** Releases every leg that still holds something, newest first; shielded: it runs to the end whatever happens. */
  const releaseAll = async (reason: string): Promise<void> => {
    moveTo('releasing', `releasing every leg, newest first: ${reason}`);
    await CancellationScope.nonCancellable(async () => {
      for (const leg of [...startedOrder].reverse()) {
        if (leg.closed && leg.last.status !== 'completed') continue;
        await releaseLeg(leg, `trip ${input.tripId}: ${reason}`);
      }
    });
  };

  /** A leg that ended without holding what the trip needs: failed, rejected, expired, or cancelled from outside. */
  const failedLeg = (): Leg | undefined => legs.find((leg) => leg.started && isTerminal(leg.last.status) && leg.last.status !== 'completed');
  const holding = (leg: Leg): boolean => leg.last.status === 'completed' || leg.role.holds(leg.last);

  /** Waits until `done`, a leg fails, the trip is cancelled, or `until` passes. */
  const watch = async (done: () => boolean, until?: number): Promise<'done' | 'leg_failed' | 'cancel' | 'deadline'> => {
    const reached = () => cancelRequest !== undefined || failedLeg() !== undefined || done();
    await (until === undefined ? condition(reached) : condition(reached, Math.max(1, until - Date.now())));
    if (cancelRequest) return 'cancel';
    if (failedLeg()) return 'leg_failed';
    return done() ? 'done' : 'deadline';
  };

  /** A leg failed: every leg is released and the trip fails, naming the leg in its provider's words. */
  const failOn = async (leg: Leg): Promise<void> => {
    const { status, error, note } = leg.last;
    await releaseAll(`leg ${named(leg)} ${status}`);
    view.error = { code: error?.code ?? `leg_${status}`, message: `leg ${named(leg)} ${status}: ${error?.message ?? note}`, leg: leg.index + 1, provider: leg.start.provider };
    end('failed', `leg_${status}`, `failed: ${view.error.message}${notUndoneNote()}`);
  };

  const cancelled = async (request: CancelRequest, note: string): Promise<void> => {
    await releaseAll(`cancelled${request.reason ? `: ${request.reason}` : ''}`);
    end('cancelled', 'cancelled', `${note}${notUndoneNote()}`);
  };

  const notUndoneNote = (): string => (view.notUndone.length ? `; cannot be undone: ${view.notUndone.map((n) => `leg ${n.leg} (${n.provider}): ${n.reason}`).join('; ')}` : '; every leg was released');

  /** Whether `outcome` ended the trip (it did unless it is `done`); only the confirm wait has a deadline. */
  const settle = async (outcome: Awaited<ReturnType<typeof watch>>): Promise<boolean> => {
    if (outcome === 'cancel') await cancelled(cancelRequest ?? {}, 'cancelled');
    else if (outcome === 'leg_failed') await failOn(failedLeg()!);
    else if (outcome === 'deadline') await expire();
    return outcome !== 'done';
  };

  // ---------------------------------------------------------------------------
  // Answers: one signal for the Temporal UI (ignored with a note at the wrong time), one update for the API (refused with the reason).

  const confirmRefusal = (): string | undefined => (phase === 'held' && !confirmed && !cancelRequest ? undefined : `the trip is ${view.status} (${view.stage}): confirm is possible once every leg holds`);
  const cancelRefusal = (): string | undefined => {
    if (cancelRequest) return undefined;
    if (phase === 'ended') return `the trip is ${view.status}: there is nothing to cancel`;
    const forGood = legs.filter((leg) => leg.last.status === 'completed').map((leg) => `leg ${named(leg)}: ${heldForGood(leg)}`);
    return view.cancellable ? undefined : `nothing can be released any more; cannot be undone: ${forGood.join('; ')}`;
  };
  const takeConfirm = (): void => {
    confirmed = true;
    record('confirm requested');
  };
  const takeCancel = (request: CancelRequest = {}): void => {
    if (cancelRequest) return;
    cancelRequest = request;
    record(`cancel requested${request.reason ? `: ${request.reason}` : ''}`);
  };
  setHandler(
    confirmTrip.update,
    async () => {
      takeConfirm();
      await condition(() => phase !== 'held');
      return view;
    },
    { validator: () => throwIf(confirmRefusal()) },
  );
  setHandler(confirmTrip.signal, () => (confirmRefusal() ? record(`confirm signal ignored: ${confirmRefusal()}`) : takeConfirm()));
  setHandler(
    cancelTrip.update,
    async (request?: CancelRequest) => {
      takeCancel(request);
      await condition(() => phase === 'ended');
      return view;
    },
    { validator: (_request?: CancelRequest) => throwIf(cancelRefusal()) },
  );
  setHandler(cancelTrip.signal, (request?: CancelRequest) => (cancelRefusal() ? record(`cancel signal ignored: ${cancelRefusal()}`) : takeCancel(request)));
  setHandler(tripStatusQuery, () => view);

  // ---------------------------------------------------------------------------
  // The trip's process.

  const process = async (): Promise<void> => {
    // 1. The legs that can be undone, in parallel, until each holds.
    moveTo('holding', `starting ${undoable.length} leg(s) that can be undone${pivot ? `; ${named(pivot)} is the pivot, booked once the trip is confirmed` : ''}`);
    await Promise.all(undoable.map(startLeg));
    if (await settle(await watch(() => undoable.every(holding)))) return;

    // 2. Every leg holds: the app confirms, or the deadline releases them.
    confirmDeadline = Date.now() + timing.confirmWaitMs;
    moveTo('held', 'every leg holds: waiting for confirm');
    const answered = await watch(() => confirmed, confirmDeadline);
    if (await settle(answered)) return;

    // 3. The pivot, while every other leg still holds (completions that stay undoable come first): if it fails they are all released.
    if (!(await complete(legs.filter((leg) => leg.role.completion?.undoable)))) return;
    if (pivot) {
      moveTo('booking_pivot', `confirmed: booking ${named(pivot)}, which cannot be undone`);
      await startLeg(pivot);
      if (await settle(await watch(() => pivot.last.status === 'completed'))) return;
    }

    // 4. Completions that cannot be undone (paid tickets, a deal that went ahead): only once the pivot is booked.
    if (!(await complete(legs.filter((leg) => leg.role.completion && !leg.role.completion.undoable)))) return;

    // 5. Legs that hold on by themselves (a place, a visit) live on until their own end; a cancel still releases them.
    if (legs.some((leg) => !leg.closed)) {
      moveTo('legs_running', 'every leg is done: those that hold on by themselves run until their own end');
      if (await settle(await watch(() => legs.every((leg) => leg.closed)))) return;
    }
    end('completed', 'completed', `every leg is done: ${legs.map((leg) => `${named(leg)} ${leg.last.status}`).join(', ')}`);
  };

  /** Gives each leg its completion and waits until it completed; false when the trip ended instead. */
  const complete = async (toComplete: Leg[]): Promise<boolean> => {
    if (toComplete.length === 0) return true;
    moveTo('completing', `completing ${toComplete.map(named).join(', ')}`);
    for (const leg of toComplete) {
      const { answer } = leg.role.completion!;
      await answerUntil(leg, () => legHandle(leg).signal(answer.signal), awaits(answer.name), () => isTerminal(leg.last.status) || cancelRequest !== undefined);
      if (await settle(await watch(() => leg.last.status === 'completed'))) return false;
    }
    return true;
  };

  const expire = async (): Promise<void> => {
    await releaseAll('no confirm before the deadline');
    end('expired', 'expired', `not confirmed by ${new Date(confirmDeadline).toISOString()}${notUndoneNote()}`);
  };

  try {
    await process();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // An operator cancelled the trip's workflow: its legs are released by the same rules, then it ends Canceled.
    record('workflow cancellation requested by an operator');
    await CancellationScope.nonCancellable(async () => {
      await cancelled({}, 'cancelled by an operator');
      await condition(allHandlersFinished);
    });
    throw err;
  }
  await condition(allHandlersFinished);
  return view;
}

/** Why a completed leg cannot be released. */
function heldForGood(leg: Leg): string {
  return leg.pivot ?? leg.last.notCancellableReason ?? `the ${leg.start.provider} booking completed`;
}

/** `2 (oks)`: a leg as the trip names it. */
function named(leg: { index: number; start: { provider: Provider } }): string {
  return `${leg.index + 1} (${leg.start.provider})`;
}

function throwIf(refusal: string | undefined): void {
  if (refusal) throw new Error(refusal);
}
