/**
 * Seats booked with qtickets, end to end: the API over HTTP, a real Temporal
 * server, the worker, and the qtickets simulator over HTTP. Assertions are on
 * what the app sees (the API) and what qtickets sees (its inventory and calls).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import type { ProviderEndpoint } from '../activities/http';
import { QticketsClient } from '../activities/qtickets/client';
import { RemoveAnswer, ShowSeatsAnswer, TicketAnswer } from '../activities/qtickets/contract';
import { SeatBookingRequest } from '../activities/qtickets/request';
import { createApp } from '../api/app';
import { qticketsBinding } from '../api/providers/qtickets';
import type { RecordedCall } from '../simulators/harness';
import {
  type RunningQticketsSimulator,
  type SeatInventory,
  changeSeat,
  hangSeat,
  refuseSeat,
  startQticketsSimulator,
  touchShow,
} from '../simulators/qtickets';
import { type BookingView, isTerminal, statusQuery, workflowIdFor } from '../workflows/booking';
import { cancel } from '../workflows/kit';
import { type QticketsTiming, confirmPayment, extendHold } from '../workflows/qtickets';
import { APP_TOKEN, type Stack, TOKENS, eventually, startStack } from './support/stack';

const QTICKETS_TOKEN = 'qtickets-test-token';
const API = '/api/partners/v1';

let sim: RunningQticketsSimulator;
let stack: Stack;
let endpoint: ProviderEndpoint;

const timing: QticketsTiming = {
  holdMs: 60_000,
  maxHoldMs: 3 * 60_000,
  extendByMs: 60_000,
  callDeadlineMs: 20_000,
  releaseEscalationMs: 5_000,
  releasePauseMs: 500,
};

/** Bookings a test started: each is brought to an end before the next test resets the simulator. */
let started: string[] = [];

beforeAll(async () => {
  sim = await startQticketsSimulator({ token: QTICKETS_TOKEN });
  endpoint = { provider: 'qtickets', baseUrl: sim.url, token: QTICKETS_TOKEN, timeoutMs: 2_000 };
  stack = await startStack({
    providers: { qtickets: endpoint },
    bindings: { qtickets: qticketsBinding({ endpoint, timing }) },
  });
});

afterAll(async () => {
  await stack?.close();
  await sim?.close();
});

beforeEach(() => {
  sim.reset();
  started = [];
});

afterEach(async () => {
  for (const bookingId of started) {
    const handle = stack.client.workflow.getHandle(workflowIdFor(bookingId));
    await handle.signal(cancel.signal, { reason: 'end of test' }).catch(() => undefined);
    await handle.result().catch(() => undefined);
  }
});

// ---------------------------------------------------------------------------
// Helpers

type Booking = { bookingId: string };

async function book(req: Record<string, unknown>): Promise<Booking> {
  const res = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'qtickets', request: req } });
  expect(res.status).toBe(202);
  started.push(res.body.bookingId);
  return res.body as Booking;
}

/** Started straight in Temporal, for durations shorter than the stack's (the workflow takes them from its input). */
async function bookWithTiming(req: Record<string, unknown>, override: Partial<QticketsTiming>) {
  const bookingId = randomUUID();
  const handle = await stack.client.workflow.start('qticketsSeatBooking', {
    taskQueue: stack.taskQueue,
    workflowId: workflowIdFor(bookingId),
    args: [{ bookingId, client: 'test-app', request: SeatBookingRequest.parse(req), timing: { ...timing, ...override } }],
  });
  started.push(bookingId);
  return { bookingId, handle };
}

async function view(bookingId: string): Promise<BookingView> {
  const res = await stack.api(`/api/v1/bookings/${bookingId}`);
  expect(res.status).toBe(200);
  return res.body as BookingView;
}

const untilStatus = (bookingId: string, status: string, timeoutMs = 20_000) =>
  eventually(async () => {
    const v = await view(bookingId);
    if (isTerminal(v.status) && v.status !== status) throw new Error(`ended ${v.status}: ${JSON.stringify(v.error)}`);
    return v.status === status ? v : undefined;
  }, `booking ${bookingId} to be ${status}`, timeoutMs);

const act = (bookingId: string, action: string, json?: unknown) =>
  stack.api(`/api/v1/bookings/${bookingId}/${action}`, { method: 'POST', ...(json === undefined ? {} : { json }) });

/** A show's inventory at qtickets: every seat on sale with its state, and the show's hash. */
const inventory = (showId: number) => {
  const show = sim.view().inventory.find((s) => s.show_id === showId);
  if (!show) throw new Error(`no show ${showId}`);
  return show;
};
const seat = (showId: number, seatId: string): SeatInventory => {
  const found = inventory(showId).seats.find((s) => s.seat_id === seatId);
  if (!found) throw new Error(`no seat ${seatId} in show ${showId}`);
  return found;
};

/** Live tickets of a booking at qtickets (reserved or sold), found by the external_ids it derives. */
const liveTicketsOf = (bookingId: string) =>
  sim.view().tickets.filter((t) => t.external_id?.startsWith(`${bookingId}-`) && (t.status === 'reserved' || t.status === 'sold'));
const ticketsOf = (bookingId: string) => sim.view().tickets.filter((t) => t.external_id?.startsWith(`${bookingId}-`));

const paramsOf = (call: RecordedCall): Record<string, unknown> => ({
  ...call.query,
  ...(typeof call.body === 'object' && call.body !== null ? (call.body as Record<string, unknown>) : {}),
});
const callsTo = (method: 'tickets/add' | 'tickets/remove' | 'events/seats') =>
  sim.ctx.calls.filter((c) => c.path.startsWith(`${API}/${method}/`));
/** Adds that create (they name a seat), for one booking, in order. */
const createsOf = (bookingId: string) =>
  callsTo('tickets/add').filter((c) => String(paramsOf(c).external_id ?? '').startsWith(`${bookingId}-`) && paramsOf(c).seat_id !== undefined);
const removedIds = () => callsTo('tickets/remove').map((c) => String(paramsOf(c).id ?? paramsOf(c).external_id));

/** Takes a seat at qtickets as another partner would. */
async function takeSeatElsewhere(path: string, seatId: string): Promise<void> {
  const res = await fetch(`${sim.url}${API}/tickets/add/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${QTICKETS_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ seat_id: seatId, paid: 1 }),
  });
  expect(((await res.json()) as { status: string }).status).toBe('success');
}

// ---------------------------------------------------------------------------

describe('an app books seats through the API', () => {
  test('lists events, picks seats, holds them, pays, and gets a barcode for every ticket', async () => {
    const events = await stack.api('/api/v1/providers/qtickets/events');
    expect(events.status).toBe(200);
    const show = events.body.events.find((e: { event_id: number; show_id: number }) => e.event_id === 12 && e.show_id === 21);
    expect(show).toMatchObject({ event_name: 'Название мероприятия 1', scheme: { id: 48 }, last_update_hash: expect.any(String) });

    const seats = await stack.api('/api/v1/providers/qtickets/events/12/seats?show_id=21');
    expect(seats.status).toBe(200);
    const vip = seats.body.zones.find((z: { zone_id: number }) => z.zone_id === 1);
    expect(vip.seats.map((s: { seat_id: string }) => s.seat_id)).toEqual(['1-1;3', '1-1;2']);

    const before = inventory(21);
    const { bookingId } = await book({ event_id: 12, show_id: 21, seats: ['1-1;3', '1-1;2'] });
    const held = await untilStatus(bookingId, 'held');
    expect(held).toMatchObject({
      provider: 'qtickets',
      stage: 'reserved',
      references: { event_id: 12, show_id: 21, ticket_1: expect.any(String), ticket_2: expect.any(String) },
      waitingFor: { on: 'client', actions: ['confirmPayment', 'extendHold', 'cancel'], deadline: expect.any(String) },
      cancellable: true,
      result: {
        event_id: 12,
        show_id: 21,
        event_name: 'Название мероприятия 1',
        total: { RUB: 1334 },
        tickets: [
          { seat_id: '1-1;3', row: 1, place: 3, price: 1234, currency_id: 'RUB', zone: 'VIP 3', paid: 0, barcode: null, external_id: `${bookingId}-1` },
          { seat_id: '1-1;2', row: 1, place: 2, price: 100, currency_id: 'RUB', zone: 'VIP 3', paid: 0, barcode: null, external_id: `${bookingId}-2` },
        ],
      },
    });
    expect(seat(21, '1-1;3')).toMatchObject({ state: 'reserved', ticket_id: held.references.ticket_1 });
    expect(seat(21, '1-1;2')).toMatchObject({ state: 'reserved', ticket_id: held.references.ticket_2 });
    // The hold at qtickets ends when the booking's does, written as the seed writes dates.
    const deadline = held.waitingFor!.deadline!;
    expect(liveTicketsOf(bookingId).map((t) => t.reserved_to)).toEqual([deadline.replace('.000Z', '+00:00'), deadline.replace('.000Z', '+00:00')]);
    const taken = await stack.api('/api/v1/providers/qtickets/events/12/seats?show_id=21');
    expect(taken.body.zones.find((z: { zone_id: number }) => z.zone_id === 1).seats.map((s: { available: boolean }) => s.available)).toEqual([false, false]);

    const paid = await act(bookingId, 'payment');
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'completed', stage: 'paid', waitingFor: null, cancellable: false });
    const barcodes = paid.body.result.tickets.map((t: { barcode: string }) => t.barcode);
    expect(barcodes).toEqual([expect.stringMatching(/^\d{13}$/), expect.stringMatching(/^\d{13}$/)]);
    expect(liveTicketsOf(bookingId).map((t) => ({ status: t.status, paid: t.paid, barcode: t.barcode }))).toEqual([
      { status: 'sold', paid: 1, barcode: barcodes[0] },
      { status: 'sold', paid: 1, barcode: barcodes[1] },
    ]);
    expect(seat(21, '1-1;3')).toMatchObject({ state: 'sold' });
    expect(inventory(21).last_update_hash).toBe(before.last_update_hash);
  });

  test("the answers the view names (the signals' names) are taken by the API too", async () => {
    const { bookingId } = await book({ event_id: 12, show_id: 21, seats: ['1-1;3'] });
    const held = await untilStatus(bookingId, 'held');
    expect(held.waitingFor?.actions).toEqual(['confirmPayment', 'extendHold', 'cancel']);
    const extended = await act(bookingId, 'extendHold', { byMinutes: 1 });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.waitingFor.deadline)).toBe(Date.parse(held.waitingFor!.deadline!) + 60_000);
    const paid = await act(bookingId, 'confirmPayment');
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'completed', stage: 'paid' });
  });

  test('admission tickets are booked by quantity, and a quantity beyond what is left fails at the check', async () => {
    // Event 33 has a single show: show_id may be left out.
    const { bookingId } = await book({ event_id: 33, admission: [{ seat_id: '3-1;1', quantity: 3 }] });
    const held = await untilStatus(bookingId, 'held');
    expect(held.result!.tickets).toHaveLength(3);
    expect(held.result!.total).toEqual({ RUB: 2400 });
    expect(held.references).toMatchObject({ event_id: 33, show_id: 41 });
    expect(seat(41, '3-1;1')).toMatchObject({ admission: true, quota: 5, free_quantity: 2, reserved: expect.arrayContaining([held.references.ticket_1]) });

    const tooMany = await book({ event_id: 33, admission: [{ seat_id: '3-1;1', quantity: 3 }] });
    const failed = await untilStatus(tooMany.bookingId, 'failed');
    expect(failed.error).toMatchObject({ code: 'seats_unavailable', message: 'Seat "3-1;1" is not available: 3 requested, 2 left' });
    expect(createsOf(tooMany.bookingId)).toHaveLength(0);

    const paid = await act(bookingId, 'payment');
    expect(paid.body.status).toBe('completed');
    expect(paid.body.result.tickets.every((t: { barcode: string | null }) => /^\d{13}$/.test(t.barcode ?? ''))).toBe(true);
    expect(seat(41, '3-1;1')).toMatchObject({ free_quantity: 2, sold: expect.any(Array) });
    expect((seat(41, '3-1;1') as { sold: string[] }).sold).toHaveLength(3);
  });

  test('tickets paid already are added paid, and the booking completes with their barcodes at once', async () => {
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['2-2;49'], paid: true });
    const done = await untilStatus(bookingId, 'completed');
    expect(done.result).toMatchObject({ reserved_to: null, tickets: [{ seat_id: '2-2;49', paid: 1, barcode: expect.stringMatching(/^\d{13}$/) }] });
    expect(liveTicketsOf(bookingId)).toEqual([expect.objectContaining({ status: 'sold', reserved_to: null })]);
    expect(paramsOf(createsOf(bookingId)[0]!)).not.toHaveProperty('reserved_to');
  });
});

describe('failures leave qtickets as it was', () => {
  test('seats taken or not on sale fail the booking at the check, naming every one, and nothing is added', async () => {
    await takeSeatElsewhere('12/21', '6-1;52');
    const before = inventory(21);
    const { bookingId } = await book({ event_id: 12, show_id: 21, seats: ['6-1;53', '6-1;52', '9-9;9', '7-1;1'] });
    const failed = await untilStatus(bookingId, 'failed');
    expect(failed.error).toEqual({
      code: 'seats_unavailable',
      message: 'Seat "6-1;52" is not available; Seat "9-9;9" is not on sale for this show; Seat "7-1;1" is not on sale for this show',
      providerDetails: { unavailable: [expect.objectContaining({ seat_id: '6-1;52' }), expect.objectContaining({ seat_id: '9-9;9' }), expect.objectContaining({ seat_id: '7-1;1' })] },
    });
    expect(failed.stage).toBe('checking_seats');
    expect(createsOf(bookingId)).toHaveLength(0);
    expect(inventory(21)).toEqual(before);
  });

  test('a seat refused half-way releases the tickets already taken, newest first, and the booking fails in the provider\'s words', async () => {
    const before = inventory(20);
    refuseSeat(sim.ctx.state, { seat_id: '8-1;44', code: 'SEAT_NOT_AVAILABLE' });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['8-1;42', '8-1;43', '8-1;44', '8-1;45'] });
    const failed = await untilStatus(bookingId, 'failed');
    expect(failed.error).toEqual({
      code: 'provider_refused',
      message: 'Seat "8-1;44" is not available',
      providerDetails: { status: 'error', code: 'SEAT_NOT_AVAILABLE', message: 'Seat "8-1;44" is not available' },
    });
    expect(createsOf(bookingId).map((c) => paramsOf(c).seat_id)).toEqual(['8-1;42', '8-1;43', '8-1;44']);
    const [first, second] = ticketsOf(bookingId);
    expect(removedIds()).toEqual([second!.id, first!.id]);
    expect(liveTicketsOf(bookingId)).toEqual([]);
    expect(inventory(20)).toEqual(before);
    expect(failed.timeline.map((e) => e.note)).toEqual(
      expect.arrayContaining([expect.stringContaining(`released: remove ticket ${second!.id} (seat 8-1;43)`), expect.stringContaining(`released: remove ticket ${first!.id} (seat 8-1;42)`)]),
    );
  });

  test('at the hold\'s deadline every ticket is removed, the booking expires, and every seat is free again', async () => {
    const before = inventory(20);
    const { bookingId, handle } = await bookWithTiming({ event_id: 12, show_id: 20, seats: ['5-1;8', '5-1;7'], admission: [{ seat_id: '3-1;1', quantity: 2 }] }, { holdMs: 2_000 });
    const held = await untilStatus(bookingId, 'held');
    expect(held.waitingFor?.atDeadline).toBe('every ticket is removed and the booking expires');
    expect(seat(20, '3-1;1')).toMatchObject({ free_quantity: 38 });
    const result = (await handle.result()) as BookingView;
    expect(result).toMatchObject({ status: 'expired', stage: 'expired', waitingFor: null, attention: null });
    expect(result.timeline.map((e) => e.note)).toContain('the hold reached its deadline; every ticket was removed');
    expect(liveTicketsOf(bookingId)).toEqual([]);
    expect(inventory(20)).toEqual(before);
  });

  test('a cancel during the adds stops adding and removes the tickets taken, newest first', async () => {
    const before = inventory(20);
    hangSeat(sim.ctx.state, { seat_id: '2-2;50', hangMs: 1_200 });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['2-2;49', '2-2;50', '2-2;51', '2-2;52'] });
    await eventually(async () => (createsOf(bookingId).length === 2 ? true : undefined), 'the second add');
    const cancel = await act(bookingId, 'cancel', { reason: 'the client left' });
    expect([200, 202]).toContain(cancel.status);
    const cancelled = await untilStatus(bookingId, 'cancelled');
    expect(cancelled.timeline.map((e) => e.note)).toEqual(
      expect.arrayContaining(['cancel requested: the client left', 'cancelled while tickets were being added; every ticket taken was removed']),
    );
    expect(createsOf(bookingId).map((c) => paramsOf(c).seat_id)).toEqual(['2-2;49', '2-2;50']);
    const [first, second] = ticketsOf(bookingId);
    expect(removedIds()).toEqual([second!.id, first!.id]);
    expect(inventory(20)).toEqual(before);
  });

  test('an add that timed out but was made at qtickets is found by its external_id, never made twice', async () => {
    // qtickets makes the ticket but answers after the client's 2 s timeout: the retry must not add again.
    hangSeat(sim.ctx.state, { seat_id: '4-1;50', hangMs: 3_000, times: 1 });
    const { bookingId } = await book({ event_id: 33, seats: ['4-1;49', '4-1;50', '4-1;51'] });
    const held = await untilStatus(bookingId, 'held', 30_000);
    expect(ticketsOf(bookingId).map((t) => t.seat_id)).toEqual(['4-1;49', '4-1;50', '4-1;51']);
    expect(createsOf(bookingId).map((c) => paramsOf(c).seat_id)).toEqual(['4-1;49', '4-1;50', '4-1;51']);
    // The lookup: the seed's update by external_id, without a seat.
    const lookups = callsTo('tickets/add').filter((c) => paramsOf(c).external_id === `${bookingId}-2` && paramsOf(c).seat_id === undefined);
    expect(lookups).toHaveLength(1);
    expect(held.references.ticket_2).toBe(ticketsOf(bookingId)[1]!.id);
    expect(held.timeline.map((e) => e.note)).toContain(`ticket ${held.references.ticket_2} was found by its external_id: an earlier add had made it`);

    const cancel = await act(bookingId, 'cancel', {});
    expect(cancel.body.status).toBe('cancelled');
    expect(liveTicketsOf(bookingId)).toEqual([]);
  });

  test('an add that never answers in time fails the booking, and its ticket is removed by its external_id all the same', async () => {
    const before = inventory(41);
    // Every answer for this seat comes after the client's 2 s timeout, though qtickets made the ticket.
    hangSeat(sim.ctx.state, { seat_id: '4-1;52', hangMs: 2_500 });
    const { bookingId, handle } = await bookWithTiming({ event_id: 33, seats: ['4-1;51', '4-1;52', '4-1;53'] }, { callDeadlineMs: 3_000 });
    const failed = (await handle.result()) as BookingView;
    expect(failed).toMatchObject({ status: 'failed', stage: 'adding_tickets', error: { code: 'provider_unavailable' } });
    expect(createsOf(bookingId).map((c) => paramsOf(c).seat_id)).toEqual(['4-1;51', '4-1;52']);
    expect(callsTo('tickets/remove').map((c) => paramsOf(c).external_id ?? paramsOf(c).id)).toEqual([`${bookingId}-2`, ticketsOf(bookingId)[0]!.id]);
    expect(liveTicketsOf(bookingId)).toEqual([]);
    expect(inventory(41)).toEqual(before);
  });

  test('a show changed between the check and the adds is checked again: a seat sold meanwhile fails the booking before it is added', async () => {
    const before = inventory(20);
    // The seat check is answered late (the harness delays json, send and end: 3 x 400 ms, within the
    // client's 2 s timeout); meanwhile the organiser sells a seat at the box office.
    sim.setFaults({ hangNext: 1, hangMs: 400 });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['8-1;45', '8-1;46', '8-1;42'] });
    await eventually(async () => (callsTo('events/seats').length === 1 ? true : undefined), 'the seat check', 5_000, 10);
    changeSeat(sim.ctx.state, { show_id: 20, seat_id: '8-1;46', blocked: true });

    const failed = await untilStatus(bookingId, 'failed');
    expect(failed.error).toMatchObject({ code: 'seats_unavailable', message: 'Seat "8-1;46" is not available' });
    expect(failed.timeline.map((e) => e.note)).toContainEqual(expect.stringMatching(/^the show changed at qtickets \(last_update_hash \w+ -> \w+\); re-checking the 2 seats still to add$/));
    expect(callsTo('events/seats')).toHaveLength(2);
    expect(createsOf(bookingId).map((c) => paramsOf(c).seat_id)).toEqual(['8-1;45']);
    changeSeat(sim.ctx.state, { show_id: 20, seat_id: '8-1;46', blocked: false });
    expect(inventory(20)).toEqual(before);
  });

  test('a show changed in a way that spares the seats is checked again, and the booking goes on', async () => {
    sim.setFaults({ hangNext: 1, hangMs: 400 });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['8-1;42', '8-1;43'] });
    await eventually(async () => (callsTo('events/seats').length === 1 ? true : undefined), 'the seat check', 5_000, 10);
    touchShow(sim.ctx.state, 20);
    const held = await untilStatus(bookingId, 'held');
    expect(callsTo('events/seats')).toHaveLength(2);
    expect(held.timeline.map((e) => e.note)).toContainEqual(expect.stringMatching(/^the show changed at qtickets/));
    expect(liveTicketsOf(bookingId)).toHaveLength(2);
  });
});

describe('a held booking', () => {
  test('is extended within the maximum, outlives its first deadline, and is paid after the extension', async () => {
    const { bookingId } = await bookWithTiming({ event_id: 12, show_id: 21, seats: ['6-1;50', '6-1;49'] }, { holdMs: 2_000 });
    const held = await untilStatus(bookingId, 'held');
    const firstDeadline = Date.parse(held.waitingFor!.deadline!);

    const extended = await act(bookingId, 'extend', { byMinutes: 1 });
    expect(extended.status).toBe(200);
    expect(extended.body).toMatchObject({ status: 'held', stage: 'reserved' });
    const newDeadline = extended.body.waitingFor.deadline as string;
    expect(Date.parse(newDeadline) - firstDeadline).toBe(60_000);
    expect(liveTicketsOf(bookingId).map((t) => t.reserved_to)).toEqual([newDeadline.replace('.000Z', '+00:00'), newDeadline.replace('.000Z', '+00:00')]);
    expect(extended.body.result.reserved_to).toBe(newDeadline);

    const tooLong = await act(bookingId, 'extend', { byMinutes: 5 });
    expect(tooLong.status).toBe(409);
    expect(tooLong.body.error.message).toMatch(/^a hold lasts at most 3 minutes: this one can end at \S+ at the latest, not \S+$/);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstDeadline - Date.now()) + 500));
    expect((await view(bookingId)).status).toBe('held');
    expect(liveTicketsOf(bookingId).map((t) => t.status)).toEqual(['reserved', 'reserved']);

    const paid = await act(bookingId, 'payment');
    expect(paid.body).toMatchObject({ status: 'completed', result: { tickets: [{ paid: 1 }, { paid: 1 }] } });
    expect(liveTicketsOf(bookingId).map((t) => t.status)).toEqual(['sold', 'sold']);
  });

  test('an extension qtickets refuses is a 409 in its words, and the hold goes on to its deadline', async () => {
    const { bookingId } = await book({ event_id: 33, seats: ['1-1;49'] });
    const held = await untilStatus(bookingId, 'held');
    refuseSeat(sim.ctx.state, { seat_id: '1-1;49', code: 'TICKET_NOT_FOUND', times: 1 });
    const refused = await act(bookingId, 'extend', {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(`qtickets did not extend the hold: Ticket not found; it still ends at ${held.waitingFor!.deadline}`);
    expect(await view(bookingId)).toMatchObject({ status: 'held', stage: 'reserved', waitingFor: { deadline: held.waitingFor!.deadline } });
    const extended = await act(bookingId, 'extend', {});
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.waitingFor.deadline) - Date.parse(held.waitingFor!.deadline!)).toBe(timing.extendByMs);
  });

  test('cancelled, it removes every ticket; a ticket already gone at qtickets counts as released', async () => {
    const before = inventory(21);
    const { bookingId } = await book({ event_id: 12, show_id: 21, seats: ['7-1;8', '7-1;7', '7-1;6'] });
    const held = await untilStatus(bookingId, 'held');
    // The seat was released at qtickets by someone else already.
    const gone = await fetch(`${sim.url}${API}/tickets/remove/12/21?id=${held.references.ticket_2}`, { headers: { authorization: `Bearer ${QTICKETS_TOKEN}` } });
    expect(((await gone.json()) as { result: unknown }).result).toBe(true);

    const cancel = await act(bookingId, 'cancel', {});
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', attention: null, cancellable: false });
    expect(inventory(21)).toEqual(before);
    const again = await act(bookingId, 'cancel', {});
    expect(again.status).toBe(200);
  });

  test('answers at the wrong time are 409s with the reason; signals at the wrong time are recorded and ignored', async () => {
    hangSeat(sim.ctx.state, { seat_id: '6-1;48', hangMs: 1_000 });
    const { bookingId } = await book({ event_id: 12, show_id: 21, seats: ['6-1;48'] });
    await eventually(async () => (createsOf(bookingId).length === 1 ? true : undefined), 'the add');
    const early = await act(bookingId, 'payment');
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe('the booking is processing (adding_tickets): confirmPayment is not possible now');
    const handle = stack.client.workflow.getHandle(workflowIdFor(bookingId));
    await handle.signal(confirmPayment.signal);

    await untilStatus(bookingId, 'held');
    await handle.signal(extendHold.signal, { byMinutes: 60 });
    await handle.signal(extendHold.signal, { byMinutes: 1 });
    const extended = await eventually(async () => {
      const v = await view(bookingId);
      return v.stage === 'reserved' && v.timeline.some((e) => e.stage === 'extending') ? v : undefined;
    }, 'the extension');
    const notes = extended.timeline.map((e) => e.note);
    expect(notes).toContainEqual('confirmPayment signal ignored: the booking is processing (adding_tickets): confirmPayment is not possible now');
    expect(notes).toContainEqual(expect.stringMatching(/^extendHold signal ignored: a hold lasts at most 3 minutes/));

    await handle.signal(confirmPayment.signal);
    const done = (await handle.result()) as BookingView;
    expect(done.status).toBe('completed');
    const late = await act(bookingId, 'cancel', {});
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe('the payment is confirmed: the tickets can no longer be cancelled');
    const lateExtend = await act(bookingId, 'extend', {});
    expect(lateExtend.status).toBe(409);
    expect(lateExtend.body.error.message).toBe('the booking is completed: extend is no longer possible');
  });

  test('cancelled from the Temporal UI (workflow cancellation), it removes every ticket and ends Canceled', async () => {
    const before = inventory(41);
    const { bookingId } = await book({ event_id: 33, seats: ['1-1;49'], admission: [{ seat_id: '3-1;1', quantity: 2 }] });
    await untilStatus(bookingId, 'held');
    const handle = stack.client.workflow.getHandle(workflowIdFor(bookingId));
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(await handle.query(statusQuery)).toMatchObject({ status: 'cancelled' });
    expect(inventory(41)).toEqual(before);
  });
});

describe('qtickets errors reach the app as clear errors', () => {
  const failedWith = async (req: Record<string, unknown>) => {
    const { bookingId } = await book(req);
    return { bookingId, failed: await untilStatus(bookingId, 'failed', 30_000) };
  };
  const envelope = (code: string, message: string) => ({ status: 'error', code, message });

  test.each([
    ['EVENT_NOT_FOUND', { event_id: 999, seats: ['1-1;1'] }, 'Event not found'],
    ['VALIDATION_ERROR', { event_id: 12, seats: ['8-1;42'] }, 'Field "show_id" is required: the event has more than one show'],
  ])('%s at the seat check fails the booking in the provider\'s words', async (code, req, message) => {
    const { failed } = await failedWith(req);
    expect(failed.error).toEqual({ code: 'provider_refused', message, providerDetails: envelope(code, message) });
    expect(failed.stage).toBe('checking_seats');
  });

  test.each([
    ['SEAT_NOT_FOUND', 'provider_refused', 'Seat "2-2;53" not found'],
    ['SEAT_NOT_AVAILABLE', 'provider_refused', 'Seat "2-2;53" is not available'],
    ['VALIDATION_ERROR', 'provider_refused', 'Validation error'],
    ['WRONG_AUTHORIZATION', 'provider_auth_rejected', 'qtickets refused our credentials: Wrong authorization'],
  ])('%s on an add fails the booking as %s, and what was taken is removed', async (code, expected, message) => {
    const before = inventory(20);
    refuseSeat(sim.ctx.state, { seat_id: '2-2;53', code: code as 'SEAT_NOT_FOUND' });
    const { failed } = await failedWith({ event_id: 12, show_id: 20, seats: ['2-2;52', '2-2;53'] });
    expect(failed.error).toMatchObject({ code: expected, message, providerDetails: { code } });
    expect(inventory(20)).toEqual(before);
  });

  test('TICKET_NOT_FOUND while paying fails the booking, and every ticket is removed, the paid ones too', async () => {
    const before = inventory(41);
    const { bookingId } = await book({ event_id: 33, seats: ['4-1;52', '4-1;53'] });
    await untilStatus(bookingId, 'held');
    refuseSeat(sim.ctx.state, { seat_id: '4-1;53', code: 'TICKET_NOT_FOUND' });
    const paid = await act(bookingId, 'payment');
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'failed', stage: 'paying', error: { code: 'provider_refused', message: 'Ticket not found' } });
    expect(inventory(41)).toEqual(before);
  });

  test('UNKNOWN_ERROR is qtickets\' own trouble: retried until the add goes through', async () => {
    refuseSeat(sim.ctx.state, { seat_id: '2-2;51', code: 'UNKNOWN_ERROR', times: 2 });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['2-2;51'] });
    await untilStatus(bookingId, 'held', 30_000);
    expect(liveTicketsOf(bookingId)).toHaveLength(1);
  });

  test('with errors on HTTP statuses (401, 404, 409, 500) the same codes read the same', async () => {
    sim.ctx.state.settings.errorHttpStatus = 'mapped';
    const before = inventory(20);
    refuseSeat(sim.ctx.state, { seat_id: '5-1;6', code: 'UNKNOWN_ERROR', times: 1 });
    refuseSeat(sim.ctx.state, { seat_id: '5-1;5', code: 'SEAT_NOT_AVAILABLE' });
    const { bookingId, failed } = await failedWith({ event_id: 12, show_id: 20, seats: ['5-1;6', '5-1;5'] });
    expect(failed.error).toMatchObject({ code: 'provider_refused', message: 'Seat "5-1;5" is not available', providerDetails: { code: 'SEAT_NOT_AVAILABLE' } });
    expect(ticketsOf(bookingId)).toHaveLength(1);
    // 500 retried; the lookup after it found nothing (404 TICKET_NOT_FOUND) and added; 409 refused.
    expect(sim.ctx.calls.map((c) => c.status)).toEqual(expect.arrayContaining([500, 404, 409]));
    expect(inventory(20)).toEqual(before);

    refuseSeat(sim.ctx.state, { seat_id: '5-1;4', code: 'WRONG_AUTHORIZATION' });
    const refused = await failedWith({ event_id: 12, show_id: 20, seats: ['5-1;4'] });
    expect(refused.failed.error).toMatchObject({ code: 'provider_auth_rejected', message: 'qtickets refused our credentials (401): Wrong authorization' });
    expect(sim.ctx.calls.map((c) => c.status)).toContain(401);

    const missing = await stack.api('/api/v1/providers/qtickets/events/999/seats');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'event_not_found', message: 'qtickets: Event not found' });
  });

  test('the catalogue answers 404, 400, 502 and 503 in the API\'s error shape', async () => {
    const missing = await stack.api('/api/v1/providers/qtickets/events/999/seats');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'event_not_found', message: 'qtickets: Event not found' } });
    const noShow = await stack.api('/api/v1/providers/qtickets/events/12/seats');
    expect(noShow.status).toBe(400);
    expect(noShow.body.error).toEqual({ code: 'invalid_request', message: 'qtickets: Field "show_id" is required: the event has more than one show' });
    const badId = await stack.api('/api/v1/providers/qtickets/events/twelve/seats');
    expect(badId.status).toBe(400);
    expect(badId.body.error.fields).toEqual([{ field: 'eventId', message: 'eventId is a qtickets event id (a number)' }]);

    // An API configured with a key qtickets does not know.
    const wrongKey = createApp({
      client: stack.client,
      taskQueue: stack.taskQueue,
      tokens: TOKENS,
      providers: { qtickets: qticketsBinding({ endpoint: { ...endpoint, token: 'not-the-key' } }) },
      logger: pino({ level: 'silent' }),
      payloadCodec: stack.payloadCodec,
    });
    const refused = await request(wrongKey).get('/api/v1/providers/qtickets/events').set('authorization', `Bearer ${APP_TOKEN}`);
    expect(refused.status).toBe(502);
    expect(refused.body.error).toEqual({
      code: 'provider_auth_rejected',
      message: 'qtickets refused our credentials: Wrong authorization; an operator must check QTICKETS_TOKEN',
    });
    sim.setFaults({ failNext: 1, failStatus: 503 });
    const down = await stack.api('/api/v1/providers/qtickets/events');
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.body.error.code).toBe('provider_unavailable');
  });

  test('a request the API cannot take is a 400 naming each bad field', async () => {
    const res = await stack.api('/api/v1/bookings', {
      method: 'POST',
      json: { provider: 'qtickets', request: { event_id: 12, show_id: 21, seats: ['6-1;52', '6-1;52'], holdMinutes: 4 } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([
      { field: 'request.seats.1', message: 'seat "6-1;52" is named twice' },
      { field: 'request.holdMinutes', message: 'holdMinutes is at most 3 (the longest hold, QTICKETS_MAX_HOLD)' },
    ]);
    const empty = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'qtickets', request: { event_id: 12 } } });
    expect(empty.body.error.fields).toEqual([{ field: 'request.seats', message: 'name at least one seat in seats or admission' }]);
  });
});

describe('an add whose answer is lost or unreadable never leaves a ticket behind', () => {
  const ADD = '^POST /api/partners/v1/tickets/add/';
  const REMOVE = '^POST /api/partners/v1/tickets/remove/';
  const notesOf = (v: BookingView) => v.timeline.map((e) => e.note);

  test.each(['truncated_json', 'empty'] as const)(
    'an add answered %s after qtickets made the ticket fails the booking, and that ticket is removed by its external_id',
    async (garbleAs) => {
      const before = inventory(20);
      sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: ADD });
      const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['2-2;49', '2-2;50'] });
      const failed = await untilStatus(bookingId, 'failed');
      expect(failed).toMatchObject({ stage: 'adding_tickets', attention: null, error: { code: 'provider_contract_violation' } });
      expect(failed.error!.message).toMatch(/^qtickets answered POST \/api\/partners\/v1\/tickets\/add\/12\/20 with something its contract does not allow/);
      // qtickets made the ticket; the booking never learnt its id, and removed it by the external_id it gave.
      expect(ticketsOf(bookingId)).toEqual([expect.objectContaining({ seat_id: '2-2;49', status: 'removed' })]);
      expect(callsTo('tickets/remove').map((c) => paramsOf(c))).toEqual([expect.objectContaining({ external_id: `${bookingId}-1` })]);
      expect(notesOf(failed)).toContainEqual(expect.stringContaining(`released: remove the ticket with external_id ${bookingId}-1 (seat 2-2;49) if it exists`));
      expect(createsOf(bookingId)).toHaveLength(1);
      expect(inventory(20)).toEqual(before);
    },
  );

  test('an add answered with a proxy\'s HTML 502 after qtickets made the ticket is retried, finds that ticket, and never makes a second', async () => {
    const before = inventory(20);
    sim.setFaults({ garbleNext: 1, garbleAs: 'html_502', faultsOn: ADD });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['2-2;51', '2-2;52'] });
    const held = await untilStatus(bookingId, 'held', 30_000);
    expect(ticketsOf(bookingId).map((t) => t.seat_id)).toEqual(['2-2;51', '2-2;52']);
    expect(createsOf(bookingId)).toHaveLength(2);
    expect(notesOf(held)).toContain(`ticket ${held.references.ticket_1} was found by its external_id: an earlier add had made it`);
    const cancelled = await act(bookingId, 'cancel', {});
    expect(cancelled.body).toMatchObject({ status: 'cancelled', attention: null });
    expect(inventory(20)).toEqual(before);
  });

  test('an add that times out after qtickets made the ticket is retried, finds that ticket, and a cancel leaves qtickets as it was', async () => {
    const before = inventory(41);
    // Answered after 3 s, past the client's 2 s timeout; qtickets made the ticket at once.
    sim.setFaults({ hangNext: 1, hangMs: 3_000, faultsOn: ADD });
    const { bookingId } = await book({ event_id: 33, seats: ['4-1;49', '4-1;50'] });
    const held = await untilStatus(bookingId, 'held', 30_000);
    expect(ticketsOf(bookingId).map((t) => t.seat_id)).toEqual(['4-1;49', '4-1;50']);
    expect(createsOf(bookingId)).toHaveLength(2);
    expect(notesOf(held)).toContain(`ticket ${held.references.ticket_1} was found by its external_id: an earlier add had made it`);
    const cancelled = await act(bookingId, 'cancel', {});
    expect(cancelled.body).toMatchObject({ status: 'cancelled', attention: null });
    expect(liveTicketsOf(bookingId)).toEqual([]);
    expect(inventory(41)).toEqual(before);
  });

  test('a removal answered with an unreadable 200 does not count: it is asked again until qtickets confirms', async () => {
    const before = inventory(21);
    const { bookingId } = await book({ event_id: 12, show_id: 21, seats: ['7-1;5'] });
    const held = await untilStatus(bookingId, 'held');
    sim.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: REMOVE });
    const cancelled = await act(bookingId, 'cancel', {});
    expect(cancelled.status).toBe(200);
    const done = await untilStatus(bookingId, 'cancelled');
    // The first removal worked but its answer proved nothing; the second got TICKET_NOT_FOUND: released.
    expect(removedIds()).toEqual([held.references.ticket_1, held.references.ticket_1]);
    expect(done.attention).toBeNull();
    expect(notesOf(done)).toContainEqual(expect.stringContaining(`released: remove ticket ${held.references.ticket_1} (seat 7-1;5)`));
    expect(inventory(21)).toEqual(before);
  });
});

describe('seed-minimal answers (only the fields the qtickets document describes)', () => {
  beforeEach(() => sim.setFaults({ seedMinimal: true }));

  test('the catalogue lists shows and seats without the fields the document leaves out', async () => {
    const events = await stack.api('/api/v1/providers/qtickets/events');
    expect(events.status).toBe(200);
    expect(events.body.events).toContainEqual(expect.objectContaining({ event_id: 12, show_id: 21 }));
    const seats = await stack.api('/api/v1/providers/qtickets/events/12/seats?show_id=21');
    expect(seats.status).toBe(200);
    expect(seats.body.zones.find((z: { zone_id: number }) => z.zone_id === 1).seats).toEqual([
      { seat_id: '1-1;3', available: true, coords: [1032, 137], row: 1, place: 3 },
      { seat_id: '1-1;2', available: true, coords: [1052, 137], row: 1, place: 2 },
    ]);
  });

  test('seats are held and paid: prices and the show header unknown, every ticket with its id, then its barcode', async () => {
    const before = inventory(21);
    const { bookingId } = await book({ event_id: 12, show_id: 21, seats: ['1-1;3'], admission: [{ seat_id: '3-1;1', quantity: 2 }] });
    const held = await untilStatus(bookingId, 'held');
    expect(held).toMatchObject({
      references: { event_id: 12, show_id: 21, ticket_1: expect.any(String), ticket_2: expect.any(String), ticket_3: expect.any(String) },
      result: {
        event_name: null,
        total: {},
        tickets: [
          { seat_id: '1-1;3', zone: 'VIP 3', row: 1, place: 3, price: null, currency_id: null, paid: 0, reserved_to: held.waitingFor!.deadline!.replace('.000Z', '+00:00'), barcode: null, external_id: `${bookingId}-1` },
          { seat_id: '3-1;1', zone: 'Танцевальный партер', row: null, price: null, external_id: `${bookingId}-2` },
          { seat_id: '3-1;1', external_id: `${bookingId}-3` },
        ],
      },
    });
    expect(liveTicketsOf(bookingId).map((t) => t.status)).toEqual(['reserved', 'reserved', 'reserved']);

    const paid = await act(bookingId, 'payment');
    expect(paid.body).toMatchObject({ status: 'completed', stage: 'paid' });
    expect(paid.body.result.tickets.map((t: { paid: number; barcode: string }) => [t.paid, /^\d{13}$/.test(t.barcode)])).toEqual([
      [1, true],
      [1, true],
      [1, true],
    ]);
    expect(liveTicketsOf(bookingId).map((t) => t.status)).toEqual(['sold', 'sold', 'sold']);
    expect(inventory(21).last_update_hash).toBe(before.last_update_hash);
  });

  test('an extension moves the hold to the time sent, and a cancel releases every ticket on the document\'s bare success', async () => {
    const before = inventory(41);
    const { bookingId } = await book({ event_id: 33, seats: ['4-1;51', '4-1;52'] });
    const held = await untilStatus(bookingId, 'held');
    // No show_id given and none answered: the booking is known by its event.
    expect(held.references).toEqual({ event_id: 33, ticket_1: expect.any(String), ticket_2: expect.any(String) });
    const extended = await act(bookingId, 'extend', { byMinutes: 1 });
    expect(extended.status).toBe(200);
    const deadline = (extended.body.waitingFor.deadline as string).replace('.000Z', '+00:00');
    expect(extended.body.result.tickets.map((t: { reserved_to: string }) => t.reserved_to)).toEqual([deadline, deadline]);
    const cancelled = await act(bookingId, 'cancel', {});
    expect(cancelled.body).toMatchObject({ status: 'cancelled', attention: null });
    expect(inventory(41)).toEqual(before);
  });

  test('a seat check answered unreadably is asked again: a read changes nothing at qtickets, so the booking goes on', async () => {
    sim.setFaults({ garbleNext: 1, garbleAs: 'empty_object', faultsOn: '^POST /api/partners/v1/events/seats/' });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['8-1;46'] });
    const held = await untilStatus(bookingId, 'held');
    expect(held.error).toBeNull();
    expect(sim.callsTo('POST', '/api/partners/v1/events/seats/12/20').length).toBeGreaterThanOrEqual(2);
    await act(bookingId, 'cancel', {});
  });

  test.each(['truncated_json', 'empty'] as const)('an add answered %s fails the booking and leaves nothing held', async (garbleAs) => {
    const before = inventory(20);
    sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: '^POST /api/partners/v1/tickets/add/' });
    const { bookingId } = await book({ event_id: 12, show_id: 20, seats: ['8-1;45'] });
    const failed = await untilStatus(bookingId, 'failed');
    expect(failed).toMatchObject({ attention: null, error: { code: 'provider_contract_violation' } });
    expect(liveTicketsOf(bookingId)).toEqual([]);
    expect(inventory(20)).toEqual(before);
  });
});

describe('the client', () => {
  test('GET with a query, POST with JSON and POST with a form get the same answers', async () => {
    const logger = pino({ level: 'silent' });
    const clients = {
      get: new QticketsClient(endpoint, logger, { method: 'GET' }),
      json: new QticketsClient({ ...endpoint, encoding: 'json' }, logger),
      form: new QticketsClient({ ...endpoint, encoding: 'form' }, logger),
    };
    const show = { event_id: 12, show_id: 20 };
    const seats = { get: '5-1;8', json: '5-1;7', form: '5-1;6' } as const;
    const reserved_to = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const answers = [];
    // One after the other: each leaves the show as it found it, so every answer can be compared.
    for (const style of Object.keys(clients) as (keyof typeof clients)[]) {
      const client = clients[style];
      const external_id = `equivalence-${style}`;
      const events = await client.listEvents();
      const seatsAnswer = await client.showSeats(show);
      const added = await client.addTicket(show, { seat_id: seats[style], paid: 0, reserved_to, external_id });
      const found = await client.findTicket(show, { external_id, paid: 0, reserved_to });
      const paid = await client.updateTicket(show, { id: added.result.id, paid: 1 });
      answers.push({
        events,
        seats: seatsAnswer,
        added: { ...added.result, id: 'id', external_id: added.result.external_id === external_id },
        found: found?.result.id === added.result.id,
        paid: { paid: paid.result.paid, barcode: /^\d{13}$/.test(String(paid.result.barcode ?? '')) },
        removed: [(await client.removeTicket(show, { id: added.result.id })).released, (await client.removeTicket(show, { external_id })).released],
        missing: await client.findTicket(show, { external_id: `${external_id}-never`, paid: 0, reserved_to }),
      });
    }
    const [get, json, form] = answers;
    expect(get).toEqual(json);
    expect(json).toEqual(form);
    expect(get).toMatchObject({
      added: { paid: 0, reserved_to, external_id: true, barcode: null },
      found: true,
      paid: { paid: 1, barcode: true },
      removed: [true, true],
      missing: undefined,
    });

    const creates = callsTo('tickets/add').filter((c) => paramsOf(c).seat_id !== undefined);
    expect(creates.map((c) => [c.method, c.query.seat_id ?? (c.body as Record<string, unknown>).seat_id])).toEqual(
      expect.arrayContaining([
        ['GET', '5-1;8'],
        ['POST', '5-1;7'],
        ['POST', '5-1;6'],
      ]),
    );
    const formAdd = creates.find((c) => paramsOf(c).seat_id === '5-1;6')!;
    // A form body arrives as strings; a JSON body keeps its numbers.
    expect((formAdd.body as Record<string, unknown>).paid).toBe('0');
    expect((creates.find((c) => paramsOf(c).seat_id === '5-1;7')!.body as Record<string, unknown>).paid).toBe(0);
  });
});

describe('what is read of qtickets\' answers', () => {
  test('a seat needs only its seat_id and whether it is available (a boolean or 0/1); prices and names of any shape are kept, never required', () => {
    const answer = ShowSeatsAnswer.parse({
      zones: [{ zone_id: '7', seats: [{ seat_id: 71, available: 1, price: '1234.00', row: '1A', extra: { kept: true } }, { seat_id: '7-1;2', available: false }] }],
    });
    expect(answer.zones[0]!.seats).toEqual([
      { seat_id: '71', available: true, price: '1234.00', row: '1A', extra: { kept: true } },
      { seat_id: '7-1;2', available: false },
    ]);
    expect(ShowSeatsAnswer.safeParse({ zones: [{ seats: [{ available: true }] }] }).success).toBe(false);
  });

  test('an add answer needs the ticket id (a string or a number): without it the add is ambiguous, not a ticket', () => {
    expect(TicketAnswer.parse({ status: 'success', result: { id: 27061 } }).result.id).toBe('27061');
    expect(TicketAnswer.safeParse({ status: 'success', result: { paid: 0, reserved_to: null } }).success).toBe(false);
  });

  test('only the documented success proves a removal: status success with result true', () => {
    expect(RemoveAnswer.safeParse({ status: 'success', result: true }).success).toBe(true);
    expect(RemoveAnswer.safeParse({ status: 'success', result: false }).success).toBe(false);
    expect(RemoveAnswer.safeParse({ result: true }).success).toBe(false);
    expect(RemoveAnswer.safeParse({}).success).toBe(false);
  });
});
