/**
 * A hotels24 hotel booking, end to end: the API over HTTP, a real Temporal
 * server, the worker, and the hotels24 simulator over HTTP. The simulator's
 * clock stands at 2014-09-01 so the seed's tariffs and prices apply.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Hotels24Client } from '../activities/hotels24/client';
import { hotels24Binding } from '../api/providers/hotels24';
import type { RunningSimulator } from '../simulators/harness';
import {
  type Hotels24State,
  changeHotels24Tariff,
  forceHotels24Error,
  setHotels24Stock,
  startHotels24Simulator,
} from '../simulators/hotels24';
import { type BookingView, statusQuery, workflowIdFor } from '../workflows/booking';
import { Hotels24BookingRequest } from '../activities/hotels24/request';
import { type Hotels24Timing, accept, reject, requisites as requisitesAnswer } from '../workflows/hotels24';
import { BookingClient, BookingProvider, BookingStatus } from '../workflows/search-attributes';
import { APPROVER_TOKEN, APP_TOKEN, type Stack, eventually, operatorView, startStack } from './support/stack';

const HOTELS24_TOKEN = 'hotels24-test-token';
const FLEX = '507f1f77bcf86cd799439011'; // Бристоль, Стандарт: 500 a night, cancellation 3, method 1, 10 % prepaid (room 101)
const LUX = '507f1f77bcf86cd799439013'; // Бристоль, Люкс: 1800 a night (room 102)
const DNISTER = '507f1f77bcf86cd799439021'; // Гостиница Днестр: another hotel
const PALACE = '507f1f77bcf86cd799439031'; // Premier Palace: one room
const PIVOT = 'a completed hotel booking cannot be cancelled: hotels24 offers no cancellation (the hotel is the pivot of the booking)';

const requisites = { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' };

let sim: RunningSimulator<Hotels24State>;
let stack: Stack;
const clock = new Date('2014-09-01T09:00:00Z');
const timing: Hotels24Timing = {
  conditionsDecisionMs: 60_000,
  requisitesWaitMs: 60_000,
  confirmationWaitMs: 60_000,
  retryInitialMs: 100,
  retryMaxMs: 200,
  retryGiveUpMs: 15_000,
};

beforeAll(async () => {
  sim = await startHotels24Simulator({ token: HOTELS24_TOKEN, now: () => clock });
  stack = await startStack({
    providers: { hotels24: { provider: 'hotels24', baseUrl: sim.url, token: HOTELS24_TOKEN, timeoutMs: 1_000 } },
    bindings: { hotels24: hotels24Binding(timing) },
    settleWaitMs: 300,
  });
});

afterAll(async () => {
  await stack?.close();
  await sim?.close();
});

/** A night of its own for every booking (September and October nights cost the base price), so stock never runs out across tests. */
let nights = 0;
function nextStay(): { arrival_date: string; departure_date: string } {
  const arrival = new Date(Date.UTC(2014, 8, 2 + nights++));
  const departure = new Date(arrival.getTime() + 24 * 60 * 60 * 1000);
  return { arrival_date: arrival.toISOString().slice(0, 10), departure_date: departure.toISOString().slice(0, 10) };
}

function hotelRequest(overrides: Record<string, unknown> = {}) {
  return { ...nextStay(), blocks: [{ tariff: FLEX, total_cost: 500, quantity: 1 }], requisites, ...overrides };
}

/** A FLEX block asking for conditions the hotel does not have: 450 instead of 500, cancellation 1 instead of 3. */
const differingBlock = { tariff: FLEX, total_cost: 450, quantity: 1, conditions: { cancellation: 1 } };

async function book(request: Record<string, unknown>): Promise<string> {
  const res = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'hotels24', request } });
  expect(res.status).toBe(202);
  return res.body.bookingId as string;
}

async function view(bookingId: string): Promise<BookingView> {
  const res = await stack.api(`/api/v1/bookings/${bookingId}`, { token: APPROVER_TOKEN });
  expect(res.status).toBe(200);
  return res.body as BookingView;
}

const until = (bookingId: string, status: string, stage?: string, timeoutMs = 20_000) =>
  eventually(
    async () => {
      const v = await view(bookingId);
      return v.status === status && (stage === undefined || v.stage === stage) ? v : undefined;
    },
    `booking ${bookingId} to be ${status}${stage ? ` at ${stage}` : ''}`,
    timeoutMs,
  );

const act = (bookingId: string, action: string, json: unknown = {}, token = APPROVER_TOKEN) =>
  stack.api(`/api/v1/bookings/${bookingId}/${action}`, { method: 'POST', json, token });

const roomsLeft = (roomId: number, night: string): number => {
  const stock = sim.ctx.state.stock[roomId]!;
  return stock.by_date[night] ?? stock.allotment;
};
const requestAtHotels24 = (requestId: unknown) => sim.ctx.state.requests[String(requestId)];
const handleOf = (bookingId: string) => stack.client.workflow.getHandle(workflowIdFor(bookingId));

/** The booking names every id of rooms that may be booked, for an operator to settle with hotels24, and no personal data. */
function expectFlaggedForTheRooms(booking: BookingView, request: { arrival_date: string; departure_date: string; blocks: Array<{ tariff: string; quantity: number }> }): void {
  const requestId = String(booking.references.request_id);
  expect(requestId).toMatch(/^[0-9a-f]{24}$/);
  expect(booking.attention).toBe(
    `hotels24 gave no usable answer to the request to book the rooms, and documents no way to look a booking up or cancel it: they may be booked under request_id ${requestId}; check with hotels24 before booking again ` +
      `(hotel rooms of request_id ${requestId}: ${request.blocks.map((b) => `tariff ${b.tariff} x${b.quantity}`).join(', ')}, ${request.arrival_date} to ${request.departure_date})`,
  );
  for (const personal of Object.values(requisites)) expect(booking.attention).not.toContain(personal);
}

describe('booking hotel rooms', () => {
  test('with auto-confirmation the rooms are booked straight through, once, and the completed booking cannot be cancelled', async () => {
    const request = hotelRequest({ autoConfirm: true });
    const bookingId = await book(request);
    const done = await until(bookingId, 'completed');

    expect(done).toMatchObject({
      provider: 'hotels24',
      stage: 'complete',
      waitingFor: null,
      references: { request_id: expect.stringMatching(/^[0-9a-f]{24}$/) },
      result: {
        request_id: done.references.request_id,
        arrival_date: request.arrival_date,
        blocks: [{ tariff: FLEX, total_cost: 500, quantity: 1, conditions: { cancellation: 3, booking_method: 1 } }],
        general_conditions: { booking_sum: 500, cancellation: 3, booking_method: 3, recovery_sum: 50 },
      },
      cancellable: false,
      notCancellableReason: PIVOT,
    });
    expect(done.timeline.some((e) => e.status === 'awaiting_approval')).toBe(false);
    expect(requestAtHotels24(done.references.request_id)).toMatchObject({ state: 'complete', status: 'ok' });
    expect(roomsLeft(101, request.arrival_date)).toBe(4);

    const cancel = await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toBe(PIVOT);
    expect(roomsLeft(101, request.arrival_date)).toBe(4);
  });

  test('conditions that differ stop the booking for an approver, who sees the differences and accepts the actual ones; the final confirmation books the rooms', async () => {
    const request = hotelRequest({ blocks: [differingBlock] });
    const bookingId = await book(request);
    const stopped = await until(bookingId, 'awaiting_approval', 'postConditions');

    expect(stopped.waitingFor).toEqual({
      on: 'approver',
      actions: ['accept', 'reject', 'cancel'],
      deadline: expect.any(String),
      atDeadline: 'the booking expires; nothing is held at the hotel before complete',
      what: expect.stringMatching(/^hotels24's actual conditions differ from the requested ones \(blocks\.0\.total_cost, blocks\.0\.conditions\.cancellation\)/),
      details: expect.objectContaining({
        request_id: stopped.references.request_id,
        stage: 'postConditions',
        status: 'rejected',
        differences: [
          { field: 'blocks.0.total_cost', requested: 450, actual: 500 },
          { field: 'blocks.0.conditions.cancellation', requested: 1, actual: 3 },
        ],
        booking: expect.objectContaining({
          blocks: [expect.objectContaining({ tariff: FLEX, total_cost: 500, conditions: { cancellation: 3, booking_method: 1 } })],
          general_conditions: expect.objectContaining({ booking_sum: 500 }),
        }),
      }),
    });
    expect(Date.parse(stopped.waitingFor!.deadline!) - Date.parse(stopped.updatedAt)).toBeGreaterThan(55_000);
    expect(stopped.cancellable).toBe(true);

    // The operator's view: searchable status and a one-line summary, with no personal data.
    const { described, details } = await operatorView(handleOf(bookingId));
    expect(described.typedSearchAttributes.get(BookingProvider)).toBe('hotels24');
    expect(described.typedSearchAttributes.get(BookingStatus)).toBe('awaiting_approval');
    expect(described.typedSearchAttributes.get(BookingClient)).toBe('test-app');
    expect(details).toMatch(/^hotels24 awaiting_approval \(postConditions\); waits for accept\/reject\/cancel until /);
    const visible = JSON.stringify({ sa: described.searchAttributes, memo: described.memo, details });
    for (const personal of Object.values(requisites)) expect(visible).not.toContain(personal);

    const byApp = await act(bookingId, 'accept', {}, APP_TOKEN);
    expect(byApp.status).toBe(403);
    expect(byApp.body.error.message).toBe('accept needs the approver role; this token is app');

    const accepted = await act(bookingId, 'accept');
    expect([200, 202]).toContain(accepted.status);
    const confirming = await until(bookingId, 'awaiting_approval', 'postRequisites');
    expect(confirming.waitingFor).toMatchObject({
      on: 'approver',
      actions: ['accept', 'reject', 'cancel'],
      what: 'final confirmation: accept to book the rooms (a completed hotel booking cannot be cancelled), or reject',
      details: {
        stage: 'postRequisites',
        booking: { requisites, blocks: [expect.objectContaining({ total_cost: 500, living: [{ first_name: 'Booker', last_name: 'Da Mega' }] })] },
      },
    });
    expect(roomsLeft(101, request.arrival_date)).toBe(5);

    await act(bookingId, 'accept');
    const done = await until(bookingId, 'completed');
    expect(done.result).toMatchObject({ blocks: [{ total_cost: 500, conditions: { cancellation: 3 } }], general_conditions: { booking_sum: 500 } });
    expect(roomsLeft(101, request.arrival_date)).toBe(4);
    expect(done.timeline.map((e) => e.note)).toEqual(expect.arrayContaining(['accepted', 'hotels24 booked the rooms', PIVOT]));
  });

  test('an approver who rejects the differing conditions ends the booking cancelled, and nothing is booked', async () => {
    const request = hotelRequest({ blocks: [differingBlock] });
    const bookingId = await book(request);
    const stopped = await until(bookingId, 'awaiting_approval', 'postConditions');

    const rejected = await act(bookingId, 'reject', { reason: 'over budget' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'cancelled',
      stage: 'postConditions',
      waitingFor: null,
      cancellable: false,
      error: { code: 'rejected_by_approver', message: 'rejected by the approver: over budget' },
    });
    expect(requestAtHotels24(stopped.references.request_id)).toMatchObject({ state: 'postConditions', status: 'rejected' });
    expect(roomsLeft(101, request.arrival_date)).toBe(5);

    const late = await act(bookingId, 'accept');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe('the booking is cancelled: accept is no longer possible');
  });

  test('an approver may accept with corrected data: hotels24 checks the corrected booking from the start', async () => {
    const request = hotelRequest({ blocks: [differingBlock] });
    const bookingId = await book(request);
    await until(bookingId, 'awaiting_approval', 'postConditions');

    const invalid = await act(bookingId, 'accept', { blocks: [{ tariff: LUX, quantity: 0 }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.fields).toEqual([
      { field: 'blocks.0.total_cost', message: expect.any(String) },
      { field: 'blocks.0.quantity', message: expect.any(String) },
    ]);
    const reversed = await act(bookingId, 'accept', { departure_date: '2014-09-01' });
    expect(reversed.status).toBe(409);
    expect(reversed.body.error.message).toBe('the corrected booking is invalid: departure_date: departure_date must be after arrival_date');

    await act(bookingId, 'accept', { blocks: [{ tariff: LUX, total_cost: 1800, quantity: 1 }], note: 'the suite instead' });
    const confirming = await until(bookingId, 'awaiting_approval', 'postRequisites');
    expect(confirming.waitingFor?.details).toMatchObject({ booking: { blocks: [{ tariff: LUX, total_cost: 1800 }] } });
    expect(confirming.timeline.map((e) => e.note)).toContain('accepted with corrected blocks: the suite instead');

    await act(bookingId, 'accept');
    await until(bookingId, 'completed');
    expect(roomsLeft(102, request.arrival_date)).toBe(1);
    expect(roomsLeft(101, request.arrival_date)).toBe(5);
  });

  test('missing requisites stop the booking for the client; bad ones are refused naming the fields, good ones move it on', async () => {
    const { requisites: _none, ...withoutRequisites } = hotelRequest({ autoConfirm: true });
    const bookingId = await book(withoutRequisites);
    const stopped = await until(bookingId, 'awaiting_approval', 'preRequisites');
    expect(stopped.waitingFor).toMatchObject({
      on: 'client',
      actions: ['requisites', 'reject', 'cancel'],
      what: "the booker's requisites are missing (requisites.first_name, requisites.last_name, requisites.email, requisites.phone): supply them",
      details: { missing: ['requisites.first_name', 'requisites.last_name', 'requisites.email', 'requisites.phone'] },
    });

    const wrongAnswer = await act(bookingId, 'accept');
    expect(wrongAnswer.status).toBe(409);
    expect(wrongAnswer.body.error.message).toBe('the booking is awaiting_approval (preRequisites): accept is not possible now');

    const bad = await act(bookingId, 'requisites', { first_name: 'Booker', email: 'not-an-email', phone: '12' }, APP_TOKEN);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([
      { field: 'last_name', message: expect.any(String) },
      { field: 'email', message: 'email must be an email address' },
      { field: 'phone', message: 'phone is 7 to 20 digits, with an optional +, spaces, () and -' },
    ]);
    expect((await view(bookingId)).status).toBe('awaiting_approval');

    const good = await act(bookingId, 'requisites', requisites, APP_TOKEN);
    expect([200, 202]).toContain(good.status);
    const done = await until(bookingId, 'completed');
    expect(done.result).toMatchObject({ requisites });
    expect(requestAtHotels24(done.references.request_id)).toMatchObject({ state: 'complete', status: 'ok' });
  });

  test('each stop expires at its deadline and nothing is booked', async () => {
    const short = { ...timing, conditionsDecisionMs: 1_500, requisitesWaitMs: 1_500, confirmationWaitMs: 1_500 };
    const { requisites: _none, ...withoutRequisites } = hotelRequest();
    const requests = {
      postConditions: hotelRequest({ blocks: [differingBlock] }),
      preRequisites: withoutRequisites,
      postRequisites: hotelRequest(),
    };
    const started = await Promise.all(
      Object.entries(requests).map(async ([stage, request]) => {
        const bookingId = randomUUID();
        await stack.client.workflow.start('hotels24HotelBooking', {
          taskQueue: stack.taskQueue,
          workflowId: workflowIdFor(bookingId),
          args: [{ bookingId, client: 'test-app', request: Hotels24BookingRequest.parse(request), timing: short }],
        });
        return { stage, bookingId, night: String(request.arrival_date) };
      }),
    );
    for (const { stage, bookingId, night } of started) {
      const expired = await until(bookingId, 'expired', stage);
      expect(expired).toMatchObject({ waitingFor: null, cancellable: false });
      const waited = expired.timeline.find((e) => e.status === 'awaiting_approval')!;
      const ended = expired.timeline.at(-1)!;
      expect(waited.stage).toBe(stage);
      expect(Date.parse(ended.at) - Date.parse(waited.at)).toBeGreaterThanOrEqual(1_500);
      expect(ended.note).toMatch(/^no answer by the deadline; nothing is held at the hotel before complete, hotels24 lets request [0-9a-f]{24} lapse$/);
      expect(roomsLeft(101, night)).toBe(5);
    }
  });
});

describe('hotels24 answers', () => {
  test('"error" is retried with backoff until hotels24 books, and the rooms are booked once', async () => {
    forceHotels24Error(sim.ctx.state, { hotel_id: 1021, times: 2 });
    forceHotels24Error(sim.ctx.state, { hotel_id: 1021, times: 2, state: 'complete' });
    const request = hotelRequest({ autoConfirm: true });
    const bookingId = await book(request);
    const done = await until(bookingId, 'completed');
    expect(sim.ctx.state.errors.every((e) => e.remaining === 0)).toBe(true);
    expect(done.error).toBeNull();
    expect(roomsLeft(101, request.arrival_date)).toBe(4);
  });

  test('"failure" ends the booking failed, naming the fields hotels24 refused', async () => {
    const bookingId = await book(hotelRequest({ blocks: [{ tariff: '000000000000000000000000', total_cost: 500, quantity: 1 }] }));
    const failed = await until(bookingId, 'failed');
    expect(failed).toMatchObject({
      stage: 'preConditions',
      cancellable: false,
      error: {
        code: 'provider_refused',
        message: 'hotels24 refused the booking at preConditions: blocks.0.tariff 40401',
        providerDetails: { state: 'preConditions', status: 'failure', status_body: { blocks: [{ tariff: 40401 }] }, fields: ['blocks.0.tariff'] },
      },
    });
  });

  test('tariffs of two hotels in one request are refused on the other hotel\'s tariff', async () => {
    const bookingId = await book(
      hotelRequest({
        blocks: [
          { tariff: FLEX, total_cost: 500, quantity: 1 },
          { tariff: DNISTER, total_cost: 650, quantity: 1 },
        ],
      }),
    );
    const failed = await until(bookingId, 'failed');
    expect(failed.error).toMatchObject({
      code: 'provider_refused',
      message: 'hotels24 refused the booking at preConditions: blocks.1.tariff 40901',
      providerDetails: { fields: ['blocks.1.tariff'] },
    });
  });

  test('rooms sold out fail the booking: without a request_id there is nothing to accept', async () => {
    setHotels24Stock(sim.ctx.state, { tariff: PALACE, available: 0 });
    const bookingId = await book(hotelRequest({ blocks: [{ tariff: PALACE, total_cost: 3200, quantity: 1 }] }));
    const failed = await until(bookingId, 'failed');
    expect(failed.error?.message).toBe('hotels24 has not enough rooms at preConditions: blocks.0.quantity asked 1, available 0');
  });

  test('conditions changed by the hotel after the confirmation stop the booking again, at complete', async () => {
    const tariff = '507f1f77bcf86cd799439022'; // Днестр, Семейный: 1200 a night, 30 % prepaid
    const request = hotelRequest({ blocks: [{ tariff, total_cost: 1200, quantity: 1 }] });
    const bookingId = await book(request);
    await until(bookingId, 'awaiting_approval', 'postRequisites');
    changeHotels24Tariff(sim.ctx.state, tariff, { base_price: 1300 });

    await act(bookingId, 'accept');
    const stopped = await until(bookingId, 'awaiting_approval', 'complete');
    expect(stopped.cancellable).toBe(true);
    expect(stopped.waitingFor?.details?.differences).toEqual([
      { field: 'blocks.0.total_cost', requested: 1200, actual: 1300 },
      { field: 'blocks.0.recovery.sum', requested: 360, actual: 390 },
    ]);
    await act(bookingId, 'accept');
    const done = await until(bookingId, 'completed');
    expect(done.result).toMatchObject({ general_conditions: { booking_sum: 1300 } });
    expect(roomsLeft(202, request.arrival_date)).toBe(2);
  });

  test('a booking that hotels24 keeps answering "error" at complete fails when the retries give up, flagged for an operator', async () => {
    const scenario = forceHotels24Error(sim.ctx.state, { hotel_id: 1187, state: 'complete', times: 1_000 });
    try {
      const bookingId = randomUUID();
      const request = hotelRequest({ blocks: [{ tariff: DNISTER, total_cost: 650, quantity: 1 }], autoConfirm: true });
      await stack.client.workflow.start('hotels24HotelBooking', {
        taskQueue: stack.taskQueue,
        workflowId: workflowIdFor(bookingId),
        args: [{ bookingId, client: 'test-app', request: Hotels24BookingRequest.parse(request), timing: { ...timing, retryGiveUpMs: 2_500 } }],
      });
      const failed = await until(bookingId, 'failed', 'complete');
      // Temporal reports the give-up as a timeout, with or without the last "error" answer attached.
      expect(['provider_timeout', 'provider_unavailable']).toContain(failed.error?.code);
      expectFlaggedForTheRooms(failed, request);
      expect(roomsLeft(201, request.arrival_date)).toBe(8);
    } finally {
      scenario.remaining = 0;
    }
  });

  test('an answer lost after hotels24 moved the request on is read again, not repeated', async () => {
    const request = hotelRequest({ blocks: [differingBlock] });
    const bookingId = await book(request);
    const stopped = await until(bookingId, 'awaiting_approval', 'postConditions');
    // hotels24 takes the accept to postRequisites, but its answer comes after our client gave up.
    sim.setFaults({ hangNext: 1, hangMs: 1_200 });
    const hung = sim.ctx.calls.length;
    await act(bookingId, 'accept');
    const confirming = await until(bookingId, 'awaiting_approval', 'postRequisites');
    expect(confirming.references.request_id).toBe(stopped.references.request_id);
    const id = stopped.references.request_id;
    const sent = sim.ctx.calls.slice(hung).map((c) => c.body as { request_id?: string; accepted?: number; next_state?: string });
    expect(sent.map((b) => [b.request_id, b.accepted ?? null, b.next_state])).toEqual([
      [id, 1, 'postRequisites'], // taken to postRequisites, the answer lost
      [id, 1, 'postRequisites'], // the retry: refused, the request already stands there
      [id, null, 'postRequisites'], // read again, without moving it on
    ]);
    await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(requestAtHotels24(stopped.references.request_id)).toMatchObject({ state: 'postRequisites', status: 'ok' });
    // Let the late answer go out before the test ends, so nothing is left running.
    const lateAnswerSent = Date.parse(sim.ctx.calls[hung]!.at) + 1_200;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lateAnswerSent - Date.now()) + 100));
  });
});

describe('answers at the stops', () => {
  test('signals from the Temporal UI move the booking on; invalid or untimely ones are recorded and ignored', async () => {
    const { requisites: _none, ...withoutRequisites } = hotelRequest();
    const bookingId = await book(withoutRequisites);
    const handle = handleOf(bookingId);
    await until(bookingId, 'awaiting_approval', 'preRequisites');

    await handle.signal(accept.signal, {});
    await handle.signal(requisitesAnswer.signal, { ...requisites, email: 'mega.booker' });
    const ignored = [
      'accept signal ignored: the booking is awaiting_approval (preRequisites): accept is not possible now',
      'requisites signal ignored: invalid requisites: email: email must be an email address',
    ];
    await eventually(async () => {
      const notes = (await handle.query(statusQuery)).timeline.map((e) => e.note);
      return ignored.every((note) => notes.includes(note)) ? true : undefined;
    }, 'the ignored signals in the timeline');
    expect((await view(bookingId)).stage).toBe('preRequisites');

    await handle.signal(requisitesAnswer.signal, requisites);
    await until(bookingId, 'awaiting_approval', 'postRequisites');
    await handle.signal(accept.signal);
    const done = await until(bookingId, 'completed');
    expect(done.result).toMatchObject({ requisites });
  });

  test('a reject signal ends the booking at the stop', async () => {
    const bookingId = await book(hotelRequest({ blocks: [differingBlock] }));
    await until(bookingId, 'awaiting_approval', 'postConditions');
    await handleOf(bookingId).signal(reject.signal, { reason: 'not this hotel' });
    const rejected = await until(bookingId, 'cancelled');
    expect(rejected.error).toEqual({ code: 'rejected_by_approver', message: 'rejected by the approver: not this hotel' });
  });

  test('an app cancels a booking that waits at a stop; nothing is booked', async () => {
    const request = hotelRequest();
    const bookingId = await book(request);
    await until(bookingId, 'awaiting_approval', 'postRequisites');
    const requisitesNow = await act(bookingId, 'requisites', requisites, APP_TOKEN);
    expect(requisitesNow.status).toBe(409);
    expect(requisitesNow.body.error.message).toBe('the booking is awaiting_approval (postRequisites): requisites is not possible now');

    const cancel = await act(bookingId, 'cancel', { reason: 'trip called off' }, APP_TOKEN);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', stage: 'postRequisites', cancellable: false });
    expect(cancel.body.timeline.at(-1).note).toBe('cancelled: trip called off; nothing is held at the hotel before complete');
    expect(roomsLeft(101, request.arrival_date)).toBe(5);
  });
});

describe('answers lost or unreadable', () => {
  afterEach(() => sim.setFaults({ garbleNext: 0, hangNext: 0, faultsOn: undefined, seedMinimal: false }));

  /** A booking waiting for the final confirmation: the next call to hotels24 is the one that books the rooms. */
  async function atConfirmation(request: Record<string, unknown>): Promise<{ bookingId: string; requestId: string }> {
    const bookingId = await book(request);
    const stopped = await until(bookingId, 'awaiting_approval', 'postRequisites');
    return { bookingId, requestId: String(stopped.references.request_id) };
  }
  const sentSince = (from: number) =>
    sim.ctx.calls.slice(from).map((c) => {
      const body = c.body as { request_id?: string; accepted?: unknown; next_state?: string };
      return [body.request_id, body.accepted ?? null, body.next_state ?? null];
    });
  /** Lets a late answer go out before the test ends, so nothing is left running. */
  const lateAnswerOut = async (hungAt: number, hangMs: number) => {
    const sent = Date.parse(sim.ctx.calls[hungAt]!.at) + hangMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sent - Date.now()) + 100));
  };

  test.each(['truncated_json', 'empty', 'html_502'] as const)(
    'an answer to the booking of the rooms garbled (%s) after hotels24 booked them is asked again: the booking completes, knowing its rooms, booked once',
    async (garbleAs) => {
      const request = hotelRequest();
      const { bookingId, requestId } = await atConfirmation(request);
      sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: '^POST /booking/hotel$' });
      const from = sim.ctx.calls.length;
      await act(bookingId, 'accept');
      const done = await until(bookingId, 'completed', 'complete');

      expect(done).toMatchObject({ error: null, attention: null, references: { request_id: requestId }, result: { request_id: requestId, general_conditions: { booking_sum: 500 } } });
      expect(requestAtHotels24(requestId)).toMatchObject({ state: 'complete', status: 'ok' });
      expect(roomsLeft(101, request.arrival_date)).toBe(4);
      expect(sentSince(from)).toEqual([
        [requestId, 1, null], // booked, the answer garbled
        [requestId, null, 'postRequisites'], // where does the request stand? moving nothing on: it is complete
      ]);
    },
  );

  test('an answer to the booking of the rooms that times out after hotels24 booked them is read again: the booking completes, the rooms booked once', async () => {
    const request = hotelRequest();
    const { bookingId, requestId } = await atConfirmation(request);
    sim.setFaults({ hangNext: 1, hangMs: 1_500, faultsOn: '^POST /booking/hotel$' });
    const from = sim.ctx.calls.length;
    await act(bookingId, 'accept');
    const done = await until(bookingId, 'completed', 'complete');

    expect(done).toMatchObject({ error: null, attention: null, result: { request_id: requestId } });
    expect(roomsLeft(101, request.arrival_date)).toBe(4);
    expect(sentSince(from)).toEqual([
      [requestId, 1, null],
      [requestId, null, 'postRequisites'],
    ]);
    await lateAnswerOut(from, 1_500);
  });

  test('a lost answer of hotels24 stopping at complete (the hotel changed its price) is never accepted unseen: the approver sees the differences', async () => {
    const request = hotelRequest({ blocks: [{ tariff: LUX, total_cost: 1800, quantity: 1 }] });
    const { bookingId, requestId } = await atConfirmation(request);
    changeHotels24Tariff(sim.ctx.state, LUX, { base_price: 1900 });
    try {
      sim.setFaults({ hangNext: 1, hangMs: 1_500, faultsOn: '^POST /booking/hotel$' });
      const from = sim.ctx.calls.length;
      await act(bookingId, 'accept');
      const stopped = await until(bookingId, 'awaiting_approval', 'complete');

      expect(stopped.waitingFor?.details?.differences).toEqual([
        { field: 'blocks.0.total_cost', requested: 1800, actual: 1900 },
        { field: 'blocks.0.recovery.sum', requested: 1800, actual: 1900 },
      ]);
      expect(stopped.cancellable).toBe(true);
      expect(roomsLeft(102, request.arrival_date)).toBe(2);
      expect(sentSince(from)).toEqual([
        [requestId, 1, null], // hotels24 stops at complete, the answer lost
        [requestId, null, 'postRequisites'], // refused: the request stands beyond it
        [requestId, null, 'complete'], // the stop shown again, nothing accepted
      ]);
      await lateAnswerOut(from, 1_500);
      await act(bookingId, 'reject', { reason: 'too dear now' });
      expect(roomsLeft(102, request.arrival_date)).toBe(2);
    } finally {
      changeHotels24Tariff(sim.ctx.state, LUX, { base_price: 1800 });
    }
  });

  test('answers to the booking of the rooms that never become readable fail the booking flagged for an operator with every id, never as a clean failure', async () => {
    const bookingId = randomUUID();
    const request = hotelRequest({ blocks: [{ tariff: DNISTER, total_cost: 650, quantity: 1 }] });
    await stack.client.workflow.start('hotels24HotelBooking', {
      taskQueue: stack.taskQueue,
      workflowId: workflowIdFor(bookingId),
      args: [{ bookingId, client: 'test-app', request: Hotels24BookingRequest.parse(request), timing: { ...timing, retryGiveUpMs: 2_500 } }],
    });
    await until(bookingId, 'awaiting_approval', 'postRequisites');
    sim.setFaults({ garbleNext: 1_000, garbleAs: 'truncated_json', faultsOn: '^POST /booking/hotel$' });
    await act(bookingId, 'accept');
    const failed = await until(bookingId, 'failed', 'complete');

    expect(['provider_timeout', 'provider_unavailable']).toContain(failed.error?.code);
    expectFlaggedForTheRooms(failed, request);
    // hotels24 did book them: the operator finds them under the request_id the booking names.
    expect(requestAtHotels24(failed.references.request_id)).toMatchObject({ state: 'complete', status: 'ok' });
    const { details } = await operatorView(handleOf(bookingId));
    expect(details).toContain(`ATTENTION: hotels24 gave no usable answer to the request to book the rooms`);
  });

  test.each(['truncated_json', 'empty'] as const)(
    'an unreadable answer (%s) before the rooms are booked fails the booking, holding nothing, and the view says so',
    async (garbleAs) => {
      const request = hotelRequest();
      sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: '^POST /booking/hotel$' });
      const bookingId = await book(request);
      const failed = await until(bookingId, 'failed', 'preConditions');

      expect(failed).toMatchObject({ attention: null, error: { code: 'provider_contract_violation' } });
      expect(failed.timeline.at(-1)?.note).toMatch(/^failed: hotels24 answered POST \/booking\/hotel with something its contract does not allow: .*; nothing is held at the hotel before complete$/);
      expect(roomsLeft(101, request.arrival_date)).toBe(5);
    },
  );
});

describe('seed-minimal answers (exactly the fields the seed lists)', () => {
  beforeEach(() => sim.setFaults({ seedMinimal: true }));
  afterEach(() => sim.setFaults({ seedMinimal: false, garbleNext: 0, faultsOn: undefined }));

  test('a booking whose conditions differ goes through its stops and completes', async () => {
    const request = hotelRequest({ blocks: [differingBlock] });
    const bookingId = await book(request);
    const stopped = await until(bookingId, 'awaiting_approval', 'postConditions');
    expect(stopped.waitingFor?.details).toMatchObject({
      request_id: expect.stringMatching(/^[0-9a-f]{24}$/),
      differences: [
        { field: 'blocks.0.total_cost', requested: 450, actual: 500 },
        { field: 'blocks.0.conditions.cancellation', requested: 1, actual: 3 },
      ],
    });
    await act(bookingId, 'accept');
    await until(bookingId, 'awaiting_approval', 'postRequisites');
    await act(bookingId, 'accept');
    const done = await until(bookingId, 'completed');
    expect(done.result).toMatchObject({ request_id: stopped.references.request_id, general_conditions: { booking_sum: 500 } });
    expect(requestAtHotels24(stopped.references.request_id)).toMatchObject({ state: 'complete', status: 'ok' });
    expect(roomsLeft(101, request.arrival_date)).toBe(4);
  });

  test('missing requisites are asked for and an auto-confirmed booking completes', async () => {
    const { requisites: _none, ...withoutRequisites } = hotelRequest({ autoConfirm: true });
    const bookingId = await book(withoutRequisites);
    const stopped = await until(bookingId, 'awaiting_approval', 'preRequisites');
    expect(stopped.waitingFor?.details?.missing).toEqual(['requisites.first_name', 'requisites.last_name', 'requisites.email', 'requisites.phone']);
    await act(bookingId, 'requisites', requisites, APP_TOKEN);
    const done = await until(bookingId, 'completed');
    expect(done.result).toMatchObject({ request_id: stopped.references.request_id, requisites });
    expect(roomsLeft(101, withoutRequisites.arrival_date)).toBe(4);
  });

  test('a garbled answer to the booking of the rooms is asked again and the booking completes, the rooms booked once', async () => {
    const request = hotelRequest();
    const bookingId = await book(request);
    const stopped = await until(bookingId, 'awaiting_approval', 'postRequisites');
    sim.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /booking/hotel$' });
    await act(bookingId, 'accept');
    const done = await until(bookingId, 'completed');
    expect(done).toMatchObject({ attention: null, result: { request_id: stopped.references.request_id } });
    expect(roomsLeft(101, request.arrival_date)).toBe(4);
  });
});

describe('cancelling', () => {
  afterEach(() => sim.setFaults({ latencyMs: 0 }));

  test('a cancel while hotels24 is still answering ends the booking at once; nothing is booked', async () => {
    sim.setFaults({ latencyMs: 800 });
    const request = hotelRequest({ autoConfirm: true });
    const bookingId = await book(request);
    await until(bookingId, 'processing', 'preConditions');
    const cancel = await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', stage: 'preConditions', references: {} });
    expect(roomsLeft(101, request.arrival_date)).toBe(5);
  });

  test('once hotels24 is booking the rooms a cancel is refused with the reason, and the booking completes', async () => {
    const request = hotelRequest();
    const bookingId = await book(request);
    await until(bookingId, 'awaiting_approval', 'postRequisites');
    sim.setFaults({ latencyMs: 800 });
    await act(bookingId, 'accept');
    const completing = await until(bookingId, 'processing', 'complete');
    expect(completing).toMatchObject({
      cancellable: false,
      notCancellableReason: 'hotels24 is booking the rooms, which cannot be undone; the booking can no longer be cancelled',
      waitingFor: { on: 'provider', actions: [] },
    });
    const cancel = await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toBe('hotels24 is booking the rooms, which cannot be undone; the booking can no longer be cancelled');
    await until(bookingId, 'completed');
    expect(roomsLeft(101, request.arrival_date)).toBe(4);
  });

  test('an operator cancelling the workflow in the Temporal UI ends a waiting booking cancelled', async () => {
    const bookingId = await book(hotelRequest({ blocks: [differingBlock] }));
    await until(bookingId, 'awaiting_approval', 'postConditions');
    await handleOf(bookingId).cancel();
    const cancelled = await until(bookingId, 'cancelled');
    expect(cancelled.timeline.at(-1)?.note).toBe('cancelled by an operator; nothing was held');
    expect(cancelled.references.request_id).toEqual(expect.any(String));
  });
});

test('the OpenAPI document describes the hotels24 request and its answers', async () => {
  const res = await stack.api('/api/v1/openapi.json', { token: null });
  expect(res.status).toBe(200);
  expect(Object.keys(res.body.paths)).toEqual(
    expect.arrayContaining(['/api/v1/bookings/{bookingId}/accept', '/api/v1/bookings/{bookingId}/reject', '/api/v1/bookings/{bookingId}/requisites']),
  );
  const request = res.body.paths['/api/v1/bookings'].post.requestBody.content['application/json'].schema.properties.request;
  expect(request.required).toEqual(['arrival_date', 'departure_date', 'blocks']);
  expect(Object.keys(request.properties)).toEqual(['arrival_date', 'departure_date', 'blocks', 'requisites', 'autoConfirm']);
  const requisitesBody = res.body.paths['/api/v1/bookings/{bookingId}/requisites'].post.requestBody.content['application/json'].schema;
  expect(requisitesBody.required).toEqual(['first_name', 'last_name', 'email', 'phone']);
});

describe('the hotels24 client', () => {
  test('sends the same booking as JSON or url-encoded in bracket notation, and both are answered alike', async () => {
    const logger = pino({ level: 'silent' });
    const endpoint = { provider: 'hotels24', baseUrl: sim.url, token: HOTELS24_TOKEN, timeoutMs: 2_000 };
    const lastSent = () => sim.callsTo('POST', '/booking/hotel').at(-1)!.body as { blocks?: Array<{ quantity: unknown }>; accepted?: unknown };
    const stay = nextStay();
    const answers = [];
    for (const encoding of ['json', 'form'] as const) {
      const client = new Hotels24Client({ ...endpoint, encoding }, logger);
      const shown = await client.book({
        ...stay,
        blocks: [
          {
            tariff: FLEX,
            total_cost: 1000,
            quantity: 2,
            conditions: { cancellation: 3, booking_method: 1 },
            recovery: { unit: 'percent', amount: 10, sum: 100 },
            living: [{ first_name: 'Booker', last_name: 'Da Mega' }],
          },
        ],
        requisites,
        next_state: 'postConditions',
      });
      // A form body carries every value as a string; JSON keeps the numbers.
      expect(lastSent().blocks?.[0]?.quantity).toBe(encoding === 'form' ? '2' : 2);
      const done = await client.book({ request_id: shown.requestId, accepted: 1 });
      expect(lastSent().accepted).toBe(encoding === 'form' ? '1' : 1);
      answers.push({ shown, done });
    }
    const [json, form] = answers;
    expect(json!.shown).toMatchObject({ state: 'postConditions', status: 'ok', differences: [], missing: [] });
    expect(form!.shown).toEqual({ ...json!.shown, requestId: form!.shown.requestId });
    expect(form!.done).toEqual({ ...json!.done, requestId: form!.done.requestId });
    expect(form!.done).toMatchObject({ state: 'complete', status: 'ok' });
    expect((form!.done.booking as { blocks: unknown[] }).blocks[0]).toEqual({
      tariff: FLEX,
      total_cost: 1000,
      quantity: 2,
      conditions: { cancellation: 3, booking_method: 1 },
      recovery: { unit: 'percent', amount: 10, sum: 100 },
      living: [{ first_name: 'Booker', last_name: 'Da Mega' }],
    });
    expect(roomsLeft(101, stay.arrival_date)).toBe(1);
  });

  /** A hotels24 that answers each request with the next of `answers`, as given. */
  async function answering(answers: unknown[]): Promise<{ client: Hotels24Client; close: () => Promise<void> }> {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answers.shift()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new Hotels24Client({ provider: 'hotels24', baseUrl: `http://127.0.0.1:${port}`, token: 't', timeoutMs: 2_000 }, pino({ level: 'silent' }));
    return { client, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  test('reads answers tolerantly: the draft\'s statusBody, an empty status_body as [], ok as "yes", no msg or code, unknown fields kept, a complete answer without request_id', async () => {
    const id = '540435909a4a0d025a000002';
    const hotel = await answering([
      { ok: 'yes', data: { state: 'postConditions', status: 'rejected', request_id: id, statusBody: { blocks: [{ total_cost: [450, 500] }] }, booking: { blocks: [{ tariff: FLEX, room_name: 'Стандарт' }] } } },
      { ok: true, data: { state: 'preRequisites', status: 'requirements', request_id: id, status_body: { requisites: { email: 40001 } } }, msg: 'ok' },
      { ok: 1, data: { state: 'complete', status: 'ok', status_body: [], booking: { arrival_date: '2014-09-23', hotel_name: 'Отель Бристоль' } } },
    ]);
    try {
      expect(await hotel.client.book({ ...nextStay(), blocks: [{ tariff: FLEX, total_cost: 450, quantity: 1 }], next_state: 'postConditions' })).toEqual({
        state: 'postConditions',
        status: 'rejected',
        requestId: id,
        booking: { blocks: [{ tariff: FLEX, room_name: 'Стандарт' }] },
        differences: [{ field: 'blocks.0.total_cost', requested: 450, actual: 500 }],
        missing: [],
      });
      expect(await hotel.client.book({ request_id: id, accepted: 1, next_state: 'postRequisites' })).toMatchObject({ status: 'requirements', missing: ['requisites.email'], booking: {} });
      expect(await hotel.client.book({ request_id: id, accepted: 1 })).toEqual({
        state: 'complete',
        status: 'ok',
        requestId: id,
        booking: { arrival_date: '2014-09-23', hotel_name: 'Отель Бристоль' },
        differences: [],
        missing: [],
      });
    } finally {
      await hotel.close();
    }
  });

  test('an answer at a stage or with a status the seed does not name is not gone on from', async () => {
    const hotel = await answering([
      { ok: 1, data: { state: 'prePayment', status: 'ok', request_id: 'r1', status_body: {} } },
      { ok: 1, data: { state: 'complete', status: 'pending', request_id: 'r1', status_body: {} } },
    ]);
    try {
      await expect(hotel.client.book({ request_id: 'r1', accepted: 1 })).rejects.toMatchObject({
        type: 'ProviderContractViolation',
        message: 'hotels24 stopped at a stage its contract does not describe ("prePayment", ok); the booking cannot go on from it',
      });
      await expect(hotel.client.book({ request_id: 'r1', accepted: 1 })).rejects.toMatchObject({
        type: 'ProviderContractViolation',
        message: 'hotels24 answered a status its contract does not name ("pending") at complete',
      });
    } finally {
      await hotel.close();
    }
  });
});
