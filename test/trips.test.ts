/**
 * Trips end to end: the API over HTTP, a real Temporal server, the worker, and
 * the qtickets, oks, hotels24, chrono and brusnika simulators over HTTP. Every failure
 * path checks that each involved simulator's inventory is as it was before the trip.
 */
import { randomUUID } from 'node:crypto';
import { brusnikaBinding } from '../api/providers/brusnika';
import { chronoBinding } from '../api/providers/chrono';
import { hotels24Binding } from '../api/providers/hotels24';
import { oksBinding } from '../api/providers/oks';
import { qticketsBinding } from '../api/providers/qtickets';
import { SeatBookingRequest } from '../activities/qtickets/request';
import type { TripAnswer } from '../api/trips';
import { tripWorkflowIdFor } from '../common/workflow-id';
import { type BrusnikaState, setVisitOutcome, startBrusnikaSimulator, stateView as brusnikaStateView } from '../simulators/brusnika';
import { type ChronoState, addChronoEvent, chronoStateView, startChronoSimulator } from '../simulators/chrono';
import type { RunningSimulator } from '../simulators/harness';
import { type Hotels24State, startHotels24Simulator } from '../simulators/hotels24';
import { type OksState, readOksState, setOksScenario, startOksSimulator } from '../simulators/oks';
import { type RunningQticketsSimulator, hangSeat, refuseSeat, startQticketsSimulator } from '../simulators/qtickets';
import { BookingClient, BookingStatus, BookingTrip } from '../workflows/search-attributes';
import { type TripStart, cancelTrip, trip } from '../workflows/trip';
import { APPROVER_TOKEN, OTHER_APP_TOKEN, type Stack, eventually, startStack } from './support/stack';
import { chronoRequest } from './support/requests';

let qtickets: RunningQticketsSimulator;
let oks: RunningSimulator<OksState>;
let hotels24: RunningSimulator<Hotels24State>;
let chrono: RunningSimulator<ChronoState>;
let brusnika: RunningSimulator<BrusnikaState>;
let stack: Stack;

const qticketsTiming = { holdMs: 60_000, maxHoldMs: 3 * 60_000, extendByMs: 60_000, callDeadlineMs: 20_000, releaseEscalationMs: 5_000, releasePauseMs: 500 };
const oksTiming = { taskPollInitialMs: 200, taskPollMaxMs: 400, taskDeadlineMs: 30_000, holdTermMs: 60_000, releaseEscalationMs: 5_000 };
const hotels24Timing = { conditionsDecisionMs: 60_000, requisitesWaitMs: 60_000, confirmationWaitMs: 60_000, retryInitialMs: 100, retryMaxMs: 200, retryGiveUpMs: 15_000 };
const brusnikaTiming = { pollInitialMs: 100, pollMaxMs: 300, callDeadlineMs: 20_000, decisionDeadlineMs: 20_000, bookedWatchMs: 60_000, releaseEscalationMs: 5_000 };
const chronoTiming = { approvalMs: 60_000, retentionMs: 60_000, providerDeadlineMs: 30_000, releaseEscalationMs: 5_000, releaseRetryPauseMs: 500 };
const hotelClock = new Date('2014-09-01T09:00:00Z');

beforeAll(async () => {
  [qtickets, oks, hotels24, chrono, brusnika] = await Promise.all([
    startQticketsSimulator({ token: 'qtickets-token' }),
    startOksSimulator({ token: 'oks-token', pendingMs: 200, processingMs: 800 }),
    startHotels24Simulator({ token: 'hotels24-token', now: () => hotelClock }),
    startChronoSimulator({ token: 'chrono-token' }),
    startBrusnikaSimulator({ token: 'brusnika-token', timing: { bookingDecisionMs: 600, visitDecisionMs: 600, timeSlotHoldMs: 60_000 } }),
  ]);
  const endpoints = {
    qtickets: { provider: 'qtickets' as const, baseUrl: qtickets.url, token: 'qtickets-token', timeoutMs: 2_000 },
    oks: { provider: 'oks' as const, baseUrl: oks.url, token: 'oks-token', timeoutMs: 2_000 },
    hotels24: { provider: 'hotels24' as const, baseUrl: hotels24.url, token: 'hotels24-token', timeoutMs: 2_000 },
    chrono: { provider: 'chrono' as const, baseUrl: chrono.url, token: 'chrono-token', timeoutMs: 2_000 },
    brusnika: { provider: 'brusnika' as const, baseUrl: brusnika.url, token: 'brusnika-token', timeoutMs: 2_000 },
  };
  stack = await startStack({
    providers: endpoints,
    bindings: {
      qtickets: qticketsBinding({ endpoint: endpoints.qtickets, timing: qticketsTiming }),
      oks: oksBinding(oksTiming),
      hotels24: hotels24Binding(hotels24Timing),
      chrono: chronoBinding({ endpoint: endpoints.chrono, timing: chronoTiming }),
      brusnika: brusnikaBinding({ endpoint: endpoints.brusnika, timing: brusnikaTiming }),
    },
    settleWaitMs: 1_000,
    queryTimeoutMs: 5_000,
  });
});

afterAll(async () => {
  await stack?.close();
  await Promise.all([qtickets, oks, hotels24, chrono, brusnika].map((sim) => sim?.close()));
});

/** Trips a test started: each is brought to an end (its legs released) before the next test. */
let started: string[] = [];
beforeEach(() => {
  qtickets.reset();
  started = [];
});
afterEach(async () => {
  for (const tripId of started) {
    const handle = stack.client.workflow.getHandle(tripWorkflowIdFor(tripId));
    await handle.signal(cancelTrip.signal, { reason: 'end of test' }).catch(() => undefined);
    await handle.result().catch(() => undefined);
  }
}, 60_000);

// ---------------------------------------------------------------------------
// Legs

const seats = (...ids: string[]) => ({ provider: 'qtickets', request: { event_id: 12, show_id: 21, seats: ids } });
const layout = (layoutUuid: string = randomUUID()) => ({
  provider: 'oks',
  request: { layoutUuid, phone: '+77071234567', firstName: 'Иван', lastName: 'Иванов', reserveDays: 1 },
});
let nights = 0;
/** A night of its own for every stay, so the hotel's stock never runs out across tests. */
function room(extra: Record<string, unknown> = {}) {
  const arrival = new Date(Date.UTC(2014, 8, 2 + nights++));
  const departure = new Date(arrival.getTime() + 24 * 60 * 60 * 1000);
  return {
    provider: 'hotels24',
    request: {
      arrival_date: arrival.toISOString().slice(0, 10),
      departure_date: departure.toISOString().slice(0, 10),
      blocks: [{ tariff: '507f1f77bcf86cd799439011', total_cost: 500, quantity: 1 }],
      requisites: { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' },
      ...extra,
    },
  };
}
/** A place at a chrono event of the test's own, starting in a day; with no places, on its waiting list. */
function place({ places = 5 }: { places?: number } = {}) {
  const slug = `seance-${randomUUID().slice(0, 8)}`;
  const at = new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
  addChronoEvent(chrono.ctx.state, 'gymnase-jean-moulin', { slug, datetime: at, duration: 60, places, waiting_list_places: 5 });
  return {
    provider: 'chrono',
    request: chronoRequest({ agenda: 'gymnase-jean-moulin', slot: slug }),
  };
}

/** A visit of an existing client at a free slot of the CRM's project 21. */
async function visit() {
  const slots = await stack.api('/api/v1/providers/brusnika/time-slots?project_id=21');
  const [slot] = slots.body.data as { id: number }[];
  return { provider: 'brusnika', request: { kind: 'visit', agent_id: 501, client: { fullname: 'Смирнов Алексей Дмитриевич', phone_number: '8 (912) 001-00-01' }, time_slot_id: slot!.id } };
}

// ---------------------------------------------------------------------------
// The API

async function startTrip(legs: unknown[], headers: Record<string, string> = {}): Promise<{ tripId: string; legs: Array<{ bookingId: string; provider: string }> }> {
  const res = await stack.api('/api/v1/trips', { method: 'POST', json: { legs }, headers });
  expect(res.status).toBe(202);
  started.push(res.body.tripId);
  return res.body;
}

async function view(tripId: string, token?: string): Promise<TripAnswer> {
  const res = await stack.api(`/api/v1/trips/${tripId}`, { token });
  expect(res.status).toBe(200);
  return res.body as TripAnswer;
}

const until = (tripId: string, status: string, timeoutMs = 30_000) =>
  eventually(async () => {
    const v = await view(tripId);
    if (['completed', 'failed', 'cancelled', 'expired'].includes(v.status) && v.status !== status) throw new Error(`trip ended ${v.status}: ${JSON.stringify(v.error)}`);
    return v.status === status ? v : undefined;
  }, `trip ${tripId} to be ${status}`, timeoutMs);

const answer = (tripId: string, action: 'confirm' | 'cancel', json?: unknown) =>
  stack.api(`/api/v1/trips/${tripId}/${action}`, { method: 'POST', ...(json === undefined ? {} : { json }) });

/** What each simulator holds: seats, units, rooms and places. Equal before a trip and after one that failed. */
function inventories() {
  return {
    qtickets: qtickets.view().inventory.map(({ show_id, seats: all }) => ({ show_id, seats: all })),
    oks: readOksState(oks).units.filter((u) => u.status === 'booked').map((u) => u.layoutUuid),
    hotels24: JSON.parse(JSON.stringify(hotels24.ctx.state.stock)) as unknown,
    chrono: chronoStateView(chrono.ctx.state).agendas.flatMap((a) => a.events.map((e) => ({ slug: e.slug, main: e.main_list, waiting: e.waiting_list }))),
    brusnika: ((crm) => ({
      activeVisits: crm.visits.filter((v) => v.status !== 'fail').map((v) => v.id),
      timeSlots: crm.timeSlots.map((t) => ({ id: t.id, client_id: t.client_id, visit_id: t.visit_id })),
    }))(brusnikaStateView(brusnika.ctx.state, Date.now())),
  };
}

const legsOf = (v: TripAnswer) => v.legs.map((l) => [l.provider, l.status]);

/** Started straight in Temporal, for durations shorter than the stack's (a leg's hold, the confirm wait). */
async function startTripWithTiming(input: Omit<TripStart, 'tripId' | 'client'>) {
  const tripId = randomUUID();
  const handle = await stack.client.workflow.start(trip, {
    taskQueue: stack.taskQueue,
    workflowId: tripWorkflowIdFor(tripId),
    args: [{ tripId, client: 'test-app', ...input }],
    typedSearchAttributes: [
      { key: BookingStatus, value: 'pending' },
      { key: BookingClient, value: 'test-app' },
      { key: BookingTrip, value: tripId },
    ],
  });
  started.push(tripId);
  return { tripId, handle };
}

// ---------------------------------------------------------------------------

describe('a trip books or releases as one', () => {
  test('every leg holds, confirm books the hotel and then pays the tickets and completes the deal; BookingTrip finds the legs', async () => {
    const before = inventories();
    const { tripId, legs } = await startTrip([seats('1-1;3', '1-1;2'), layout(), room({ autoConfirm: true })]);
    expect(legs.map((l) => l.provider)).toEqual(['qtickets', 'oks', 'hotels24']);

    const held = await until(tripId, 'held');
    expect(held).toMatchObject({
      stage: 'held',
      waitingFor: { on: 'client', actions: ['confirm', 'cancel'], deadline: expect.any(String) },
      cancellable: true,
    });
    expect(legsOf(held)).toEqual([['qtickets', 'held'], ['oks', 'held'], ['hotels24', 'pending']]);
    expect(held.legs[2]!.pivot).toMatch(/hotels24 offers no cancellation/);
    // Each leg's own booking view; the pivot has none before it starts.
    expect(held.legs.map((l) => l.view && { provider: l.view.provider, status: l.view.status, bookingId: l.view.bookingId })).toEqual([
      { provider: 'qtickets', status: 'held', bookingId: legs[0]!.bookingId },
      { provider: 'oks', status: 'held', bookingId: legs[1]!.bookingId },
      null,
    ]);

    const confirmed = await answer(tripId, 'confirm');
    expect([200, 202]).toContain(confirmed.status);
    const again = await answer(tripId, 'confirm');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/confirm is (possible once every leg holds|no longer possible)/);
    const done = await until(tripId, 'completed');
    expect(legsOf(done)).toEqual([['qtickets', 'completed'], ['oks', 'completed'], ['hotels24', 'completed']]);
    expect(done.notUndone).toEqual([]);
    const tooLate = await answer(tripId, 'cancel');
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error.message).toMatch(/^the trip is completed: cancel is no longer possible; cannot be undone: leg 1 \(qtickets\): the payment is confirmed.*; leg 3 \(hotels24\): hotels24 offers no cancellation/);
    // The pivot is booked before anything that cannot be undone: the tickets are paid and the deal completed after it.
    const order = done.timeline.map((e) => e.note);
    expect(order.findIndex((n) => n.startsWith('leg 3 (hotels24) is completed'))).toBeLessThan(order.findIndex((n) => n.startsWith('leg 1 (qtickets) is completed')));

    const after = inventories();
    expect(after.qtickets).not.toEqual(before.qtickets);
    expect(after.oks).toHaveLength(before.oks.length + 1);
    expect(after.hotels24).not.toEqual(before.hotels24);

    // Each leg is a booking of its own, its trip's child, found by BookingTrip (with the trip itself).
    const leg = await stack.api(`/api/v1/bookings/${legs[0]!.bookingId}`);
    expect(leg.body).toMatchObject({ provider: 'qtickets', status: 'completed', client: 'test-app' });
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const w of stack.client.workflow.list({ query: `${BookingTrip.name} = "${tripId}"` })) ids.push(w.workflowId);
      return ids.length === 4 ? ids.sort() : undefined;
    }, 'BookingTrip to find the trip and its legs');
    expect(found).toEqual([...legs.map((l) => `booking-${l.bookingId}`), `trip-${tripId}`].sort());
    const described = await stack.client.workflow.getHandle(`booking-${legs[1]!.bookingId}`).describe();
    expect(described.parentExecution?.workflowId).toBe(`trip-${tripId}`);
  }, 90_000);

  test('the last leg that can be undone fails: the others are released, the trip fails in the provider\'s words', async () => {
    const before = inventories();
    const failing = randomUUID();
    setOksScenario(oks, failing, { failWith: 'Планировка недоступна для брони' });
    const { tripId } = await startTrip([seats('1-1;3'), layout(failing), room()]);
    const failed = await until(tripId, 'failed');
    expect(failed.error).toEqual({ code: 'provider_refused', message: 'leg 2 (oks) failed: Планировка недоступна для брони', leg: 2, provider: 'oks' });
    expect(legsOf(failed)).toEqual([['qtickets', 'cancelled'], ['oks', 'failed'], ['hotels24', 'pending']]);
    expect(failed.notUndone).toEqual([]);
    expect(inventories()).toEqual(before);
  }, 60_000);

  test("a viewing: the CRM's manager declines the visit, the layout is released, the trip fails in the manager's words", async () => {
    const viewing = await visit();
    const before = inventories();
    setVisitOutcome(brusnika.ctx.state, 21, { status: 'fail', reason: 'Менеджер не сможет провести показ в это время' });
    try {
      const { tripId } = await startTrip([layout(), viewing]);
      const failed = await until(tripId, 'failed');
      expect(failed.error).toEqual({ code: 'provider_refused', message: 'leg 2 (brusnika) failed: Менеджер не сможет провести показ в это время', leg: 2, provider: 'brusnika' });
      expect(legsOf(failed)).toEqual([['oks', 'cancelled'], ['brusnika', 'failed']]);
      expect(inventories()).toEqual(before);
    } finally {
      setVisitOutcome(brusnika.ctx.state, 21, { status: 'success' });
    }
  }, 60_000);

  test('an approver rejects the hotels24 stop: every other leg is released; the wait appears among the approvals with its trip', async () => {
    const before = inventories();
    // The hotel's conditions differ from the ones asked for: an approver decides.
    const differing = room({ blocks: [{ tariff: '507f1f77bcf86cd799439011', total_cost: 450, quantity: 1, conditions: { cancellation: 1 } }] });
    const { tripId, legs } = await startTrip([seats('1-1;3'), layout(), differing]);
    await until(tripId, 'held');
    await answer(tripId, 'confirm');
    const waiting = await until(tripId, 'awaiting_approval');
    expect(waiting.waitingFor).toMatchObject({ on: 'approver', leg: 3, actions: ['accept', 'reject', 'cancel'] });

    const hotelLeg = legs[2]!.bookingId;
    const entry = await eventually(async () => {
      const list = await stack.api('/api/v1/approvals?provider=hotels24&client=test-app&limit=100', { token: APPROVER_TOKEN });
      return list.body.approvals?.find((a: { bookingId: string }) => a.bookingId === hotelLeg);
    }, 'the hotel leg among the approvals');
    expect(entry).toMatchObject({ provider: 'hotels24', trip: tripId, readable: true, waitingFor: { on: 'approver' } });

    const rejected = await stack.api(`/api/v1/bookings/${hotelLeg}/reject`, { method: 'POST', json: { reason: 'too expensive' }, token: APPROVER_TOKEN });
    expect(rejected.status).toBe(200);
    const failed = await until(tripId, 'failed');
    expect(failed.error).toMatchObject({ code: 'rejected_by_approver', leg: 3, provider: 'hotels24', message: 'leg 3 (hotels24) cancelled: rejected by the approver: too expensive' });
    expect(legsOf(failed)).toEqual([['qtickets', 'cancelled'], ['oks', 'cancelled'], ['hotels24', 'cancelled']]);
    expect(inventories()).toEqual(before);
  }, 60_000);

  test("a place on chrono's waiting list is the trip's wait for an approver; accepted, the trip holds; cancelled, it releases both", async () => {
    const waitingListPlace = place({ places: 0 });
    const before = inventories();
    const { tripId, legs } = await startTrip([waitingListPlace, seats('1-1;3')]);
    const waiting = await until(tripId, 'awaiting_approval');
    expect(waiting.waitingFor).toMatchObject({ on: 'approver', leg: 1, actions: ['accept', 'reject', 'cancel', 'delete'], deadline: expect.any(String) });
    expect(waiting.waitingFor!.what).toMatch(/^leg 1 \(chrono\): /);
    const approvals = await eventually(async () => {
      const list = await stack.api('/api/v1/approvals?provider=chrono&client=test-app&limit=100', { token: APPROVER_TOKEN });
      return list.body.approvals?.find((a: { bookingId: string }) => a.bookingId === legs[0]!.bookingId);
    }, 'the chrono leg among the approvals');
    expect(approvals).toMatchObject({ provider: 'chrono', trip: tripId, waitingFor: { on: 'approver' } });

    expect((await stack.api(`/api/v1/bookings/${legs[0]!.bookingId}/accept`, { method: 'POST', token: APPROVER_TOKEN })).status).toBe(200);
    const held = await until(tripId, 'held');
    expect(legsOf(held)).toEqual([['chrono', 'confirmed'], ['qtickets', 'held']]);
    await answer(tripId, 'cancel');
    await until(tripId, 'cancelled');
    expect(inventories()).toEqual(before);
  }, 60_000);

  test('a leg expires: every other leg is released and the trip fails naming it', async () => {
    const before = inventories();
    const { tripId } = await startTripWithTiming({
      legs: [
        { provider: 'oks', bookingId: randomUUID(), request: layout().request, timing: oksTiming },
        // Held for three seconds only.
        { provider: 'qtickets', bookingId: randomUUID(), request: SeatBookingRequest.parse(seats('1-1;2').request), timing: { ...qticketsTiming, holdMs: 3_000 } },
      ],
    });
    const failed = await until(tripId, 'failed');
    expect(failed.error).toMatchObject({ code: 'leg_expired', leg: 2, provider: 'qtickets', message: expect.stringMatching(/^leg 2 \(qtickets\) expired: the hold reached its deadline/) });
    expect(legsOf(failed)).toEqual([['oks', 'cancelled'], ['qtickets', 'expired']]);
    expect(inventories()).toEqual(before);
  }, 60_000);

  test('no confirm before the deadline: every leg is released and the trip expires', async () => {
    const before = inventories();
    const { tripId } = await startTripWithTiming({
      legs: [
        { provider: 'qtickets', bookingId: randomUUID(), request: SeatBookingRequest.parse(seats('1-1;3').request), timing: qticketsTiming },
        { provider: 'oks', bookingId: randomUUID(), request: layout().request, timing: oksTiming },
      ],
      timing: { confirmWaitMs: 1_500 },
    });
    const held = await until(tripId, 'held');
    expect(held.waitingFor).toMatchObject({ on: 'client', atDeadline: 'every leg is released and the trip expires' });
    const expired = await until(tripId, 'expired');
    expect(legsOf(expired)).toEqual([['qtickets', 'cancelled'], ['oks', 'cancelled']]);
    expect(inventories()).toEqual(before);
  }, 60_000);

  test("an operator's cancellation of the trip's workflow releases every leg; the workflow ends Canceled", async () => {
    const before = inventories();
    const { tripId } = await startTrip([seats('1-1;3'), layout()]);
    await until(tripId, 'held');
    const handle = stack.client.workflow.getHandle(tripWorkflowIdFor(tripId));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const cancelled = await view(tripId);
    expect(cancelled.status).toBe('cancelled');
    expect(legsOf(cancelled)).toEqual([['qtickets', 'cancelled'], ['oks', 'cancelled']]);
    expect(inventories()).toEqual(before);
  }, 60_000);

  test('cancel before the pivot releases every leg', async () => {
    const before = inventories();
    const { tripId } = await startTrip([seats('1-1;3'), layout(), room()]);
    await until(tripId, 'held');
    const cancelled = await answer(tripId, 'cancel', { reason: 'plans changed' });
    expect([200, 202]).toContain(cancelled.status);
    const done = await until(tripId, 'cancelled');
    expect(legsOf(done)).toEqual([['qtickets', 'cancelled'], ['oks', 'cancelled'], ['hotels24', 'pending']]);
    expect(done.notUndone).toEqual([]);
    expect(done.timeline.at(-1)!.note).toBe('cancelled; every leg was released');
    expect(inventories()).toEqual(before);
    // Nothing left to cancel or confirm.
    expect((await answer(tripId, 'cancel')).status).toBe(409);
    expect((await answer(tripId, 'confirm')).body.error.message).toBe('the trip is cancelled: confirm is no longer possible');
  }, 60_000);

  test('cancel after the pivot releases what can still be released and says which legs cannot be undone', async () => {
    const chronoPlace = place();
    const before = inventories();
    const { tripId } = await startTrip([chronoPlace, seats('1-1;3'), room({ autoConfirm: true })]);
    await until(tripId, 'held');
    await answer(tripId, 'confirm');
    // The place at chrono holds on by itself after the trip is confirmed.
    const running = await eventually(async () => {
      const v = await view(tripId);
      return v.stage === 'legs_running' ? v : undefined;
    }, 'the trip to be confirmed with its chrono leg running');
    expect(legsOf(running)).toEqual([['chrono', 'confirmed'], ['qtickets', 'completed'], ['hotels24', 'completed']]);

    const cancelled = await answer(tripId, 'cancel');
    expect([200, 202]).toContain(cancelled.status);
    const done = await until(tripId, 'cancelled');
    expect(legsOf(done)).toEqual([['chrono', 'cancelled'], ['qtickets', 'completed'], ['hotels24', 'completed']]);
    expect(done.notUndone).toEqual([
      { leg: 3, provider: 'hotels24', bookingId: done.legs[2]!.bookingId, reason: 'hotels24 offers no cancellation: booked rooms cannot be undone' },
      { leg: 2, provider: 'qtickets', bookingId: done.legs[1]!.bookingId, reason: 'the payment is confirmed: the tickets can no longer be cancelled' },
    ]);
    expect(done.timeline.at(-1)!.note).toMatch(/cannot be undone: leg 3 \(hotels24\)/);
    expect(inventories().chrono).toEqual(before.chrono);
  }, 90_000);

  test("a leg's release that keeps failing is the trip's wait for an operator, naming the leg; the trip ends once it is released", async () => {
    const before = inventories();
    const failing = randomUUID();
    setOksScenario(oks, failing, { failWith: 'Планировка недоступна для брони' });
    refuseSeat(qtickets.ctx.state, { method: 'tickets/remove', seat_id: '1-1;3', code: 'UNKNOWN_ERROR', message: 'Внутренняя ошибка', times: 3 });
    const { tripId } = await startTrip([seats('1-1;3'), layout(failing)]);
    const waiting = await eventually(async () => {
      const v = await view(tripId);
      return v.waitingFor?.on === 'operator' ? v : undefined;
    }, 'the trip to wait for an operator', 30_000, 50);
    expect(waiting).toMatchObject({ stage: 'releasing', waitingFor: { leg: 1, actions: ['retryRelease', 'markReleased'] }, attention: expect.stringMatching(/^leg 1 \(qtickets\): release "remove ticket .*" keeps failing/) });
    const failed = await until(tripId, 'failed');
    expect(failed).toMatchObject({ attention: null, waitingFor: null });
    expect(legsOf(failed)).toEqual([['qtickets', 'cancelled'], ['oks', 'failed']]);
    expect(inventories()).toEqual(before);
  }, 60_000);

  test('the worker killed in the middle of the compensations: the trip releases every leg once a worker is back', async () => {
    const before = inventories();
    const failing = randomUUID();
    setOksScenario(oks, failing, { failWith: 'Планировка недоступна для брони', processingMs: 2_000 });
    // qtickets removes the ticket but answers late: the release is under way when the worker goes.
    hangSeat(qtickets.ctx.state, { method: 'tickets/remove', seat_id: '1-1;2', hangMs: 1_500, times: 1 });
    const { tripId } = await startTrip([seats('1-1;2'), layout(failing)]);
    await eventually(async () => ((await view(tripId)).stage === 'releasing' ? true : undefined), 'the trip to release its legs', 30_000, 50);
    await stack.stopWorker();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await stack.startWorker();
    }
    const failed = await until(tripId, 'failed');
    expect(legsOf(failed)).toEqual([['qtickets', 'cancelled'], ['oks', 'failed']]);
    expect(inventories()).toEqual(before);
  }, 90_000);
});

describe('starting a trip', () => {
  test('a retried POST with the same Idempotency-Key makes one trip; another request with it is a 422', async () => {
    const key = `trip-${randomUUID()}`;
    const legs = [seats('1-1;3'), layout()];
    const first = await startTrip(legs, { 'Idempotency-Key': key });
    const again = await stack.api('/api/v1/trips', { method: 'POST', json: { legs }, headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toMatchObject({ tripId: first.tripId, legs: first.legs });
    const other = await stack.api('/api/v1/trips', { method: 'POST', json: { legs: [seats('1-1;2'), layout()] }, headers: { 'Idempotency-Key': key } });
    expect(other.status).toBe(422);

    const listed = await eventually(async () => {
      const list = await stack.api('/api/v1/trips');
      const mine = list.body.trips.filter((t: { tripId: string }) => t.tripId === first.tripId);
      return mine.length ? mine : undefined;
    }, 'the trip in the list');
    expect(listed).toHaveLength(1);
    // Scoped to the caller: another app neither reads nor lists it.
    expect((await stack.api(`/api/v1/trips/${first.tripId}`, { token: OTHER_APP_TOKEN })).status).toBe(404);
    const others = await stack.api('/api/v1/trips', { token: OTHER_APP_TOKEN });
    expect(others.body.trips.map((t: { tripId: string }) => t.tripId)).not.toContain(first.tripId);
    await until(first.tripId, 'held');
  }, 60_000);

  test('each leg is checked as POST /api/v1/bookings checks it, every bad field named; a second leg that cannot be undone is a 400', async () => {
    const bad = await stack.api('/api/v1/trips', { method: 'POST', json: { legs: [seats(), { provider: 'oks', request: { layoutUuid: 'x' } }, { provider: 'nope', request: {} }] } });
    expect(bad.status).toBe(400);
    const fields = bad.body.error.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['legs[1].request.layoutUuid', 'legs[1].request.phone', 'legs[2].provider']));
    expect(fields.some((f: string) => f.startsWith('legs[0].request'))).toBe(true);

    const one = await stack.api('/api/v1/trips', { method: 'POST', json: { legs: [seats('1-1;3')] } });
    expect(one.status).toBe(400);
    expect(one.body.error.fields).toEqual([{ field: 'legs', message: 'a trip has at least two legs' }]);

    const twoPivots = await stack.api('/api/v1/trips', { method: 'POST', json: { legs: [seats('1-1;3'), room(), room()] } });
    expect(twoPivots.status).toBe(400);
    expect(twoPivots.body.error.fields).toEqual([{ field: 'legs[2]', message: expect.stringContaining('a trip takes at most one leg that cannot be undone: legs[1] (hotels24) is its pivot already') }]);
    // Tickets asked for paid are sold at once: such a leg cannot be undone either.
    const paidAndRoom = await stack.api('/api/v1/trips', { method: 'POST', json: { legs: [room(), { provider: 'qtickets', request: { ...seats('1-1;3').request, paid: true } }] } });
    expect(paidAndRoom.status).toBe(400);
    expect(paidAndRoom.body.error.fields).toEqual([{ field: 'legs[1]', message: expect.stringContaining('tickets added paid are sold at once and cannot be removed') }]);
  });
});
