/**
 * The hotels24 simulator against its seed (hotels24's booking document),
 * over real HTTP: the example answered field for field, each stage and status,
 * continuation with request_id/accepted, stock, and the scenarios.
 */
import {
  changeHotels24Tariff,
  forceHotels24Error,
  hotels24StateView,
  setHotels24Stock,
  startHotels24Simulator,
  type Hotels24State,
} from '../../simulators/hotels24';
import type { RunningSimulator } from '../../simulators/harness';

const TOKEN = 'hotels24-test-token';
const FLEX = '507f1f77bcf86cd799439011'; // Бристоль, Стандарт: 500/night, cancellation 3, method 1, 10 %
const NONREF = '507f1f77bcf86cd799439012'; // Бристоль, Стандарт (same room): 425/night, no cancellation, 100 %
const LUX = '507f1f77bcf86cd799439013'; // Бристоль, Люкс: 1800/night, 1 day prepaid, 2 rooms
const DNISTER = '507f1f77bcf86cd799439021'; // another hotel
const PALACE = '507f1f77bcf86cd799439031'; // Premier Palace, 1 room
const REQUEST_ID = /^[0-9a-f]{24}$/;

const requisites = { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' };

/** The seed's response example, field for field. */
const seedExampleData = {
  state: 'complete',
  booking: {
    arrival_date: '2014-09-23',
    departure_date: '2014-09-24',
    blocks: [
      {
        tariff: '507f1f77bcf86cd799439011',
        total_cost: 500,
        quantity: 1,
        conditions: { cancellation: 3, booking_method: 1 },
        recovery: { unit: 'percent', amount: 10, sum: 50 },
        living: [{ first_name: 'Booker', last_name: 'Da Mega' }],
      },
    ],
    requisites,
    general_conditions: {
      booking_sum: 500,
      cancellation: 3,
      booking_method: 3,
      recoveries: [{ unit: 'percent', amount: 10, sum: 50 }],
      recovery_sum: 50,
    },
  },
  status: 'ok',
  status_body: {},
};

/** The example's booking sent as a request (the response minus general_conditions). */
function exampleRequest(): Record<string, unknown> {
  const { general_conditions: _gc, ...booking } = structuredClone(seedExampleData.booking);
  return booking;
}

/** The least a client must send: dates, tariff, total_cost, quantity. */
function minimalRequest(tariff = FLEX, quantity = 1, total_cost = 500 * quantity): Record<string, unknown> {
  return {
    arrival_date: '2014-09-23',
    departure_date: '2014-09-24',
    blocks: [{ tariff, total_cost, quantity }],
  };
}

interface Envelope {
  ok: number;
  data: {
    state: string;
    booking: Record<string, unknown> & { blocks: Array<Record<string, unknown>> };
    status: string;
    status_body: Record<string, unknown>;
    request_id: string | null;
  };
  msg: string;
  code: number;
}

let sim: RunningSimulator<Hotels24State>;
let clock = new Date('2014-09-01T09:00:00Z');

beforeAll(async () => {
  sim = await startHotels24Simulator({ token: TOKEN, port: 0, now: () => clock, requestTtlMs: 60 * 60 * 1000 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  clock = new Date('2014-09-01T09:00:00Z');
});

async function post(body: unknown, init: { token?: string | null; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetch(`${sim.url}/booking/hotel`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function book(body: unknown): Promise<Envelope['data']> {
  const res = await post(body);
  expect(res.status).toBe(200);
  const envelope = (await res.json()) as Envelope;
  expect(envelope).toMatchObject({ ok: 1, msg: 'ok', code: 200 });
  return envelope.data;
}

async function control<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sim.url}/__control${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

function availableOn(roomId: number, night: string): number {
  const stock = sim.ctx.state.stock[roomId];
  return stock.by_date[night] ?? stock.allotment;
}

describe('the seed example', () => {
  test('the example booking in one JSON request answers the seed example field for field, with a request_id', async () => {
    const res = await post(exampleRequest());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({
      ok: 1,
      data: { ...seedExampleData, request_id: expect.stringMatching(REQUEST_ID) },
      msg: 'ok',
      code: 200,
    });
  });

  test('the same booking sent url-encoded in bracket notation gives the same answer', async () => {
    const form = new URLSearchParams({
      arrival_date: '2014-09-23',
      departure_date: '2014-09-24',
      'blocks[0][tariff]': FLEX,
      'blocks[0][total_cost]': '500',
      'blocks[0][quantity]': '1',
      'blocks[0][conditions][cancellation]': '3',
      'blocks[0][conditions][booking_method]': '1',
      'blocks[0][recovery][unit]': 'percent',
      'blocks[0][recovery][amount]': '10',
      'blocks[0][recovery][sum]': '50',
      'blocks[0][living][0][first_name]': 'Booker',
      'blocks[0][living][0][last_name]': 'Da Mega',
      'requisites[first_name]': 'Booker',
      'requisites[last_name]': 'Da Mega',
      'requisites[email]': 'mega.booker@hotels24.ua',
      'requisites[phone]': '0800210017',
    });
    const res = await post(form.toString(), { contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: 1,
      data: { ...seedExampleData, request_id: expect.stringMatching(REQUEST_ID) },
      msg: 'ok',
      code: 200,
    });
  });

  test('omitted optional conditions are filled with the actual ones and the living person with the booker', async () => {
    const data = await book({ ...minimalRequest(LUX, 2, 7200), departure_date: '2014-09-25', requisites });
    expect(data.status).toBe('ok');
    expect(data.booking.blocks[0]).toEqual({
      tariff: LUX,
      total_cost: 7200, // 2 nights x 1800 x 2 rooms
      quantity: 2,
      conditions: { cancellation: 7, booking_method: 1 },
      recovery: { unit: 'day', amount: 1, sum: 3600 }, // the first night of both rooms
      living: [{ first_name: 'Booker', last_name: 'Da Mega' }],
    });
  });

  test('prices follow the periods: nights in the high season cost more', async () => {
    clock = new Date('2014-08-01T09:00:00Z');
    const data = await book({
      arrival_date: '2014-08-30',
      departure_date: '2014-09-02',
      blocks: [{ tariff: FLEX, total_cost: 1900, quantity: 1 }], // 700 + 700 + 500
      requisites,
    });
    expect(data).toMatchObject({ state: 'complete', status: 'ok' });
    expect(data.booking.general_conditions).toEqual({
      booking_sum: 1900,
      cancellation: 3,
      booking_method: 3,
      recoveries: [{ unit: 'percent', amount: 10, sum: 190 }],
      recovery_sum: 190,
    });
  });
});

describe('seed-minimal answers', () => {
  afterEach(() => sim.setFaults({ seedMinimal: false }));

  test('carry exactly the fields the seed lists: the draft envelope without code, request_id only once there is one and not at complete', async () => {
    sim.setFaults({ seedMinimal: true });
    const read = async (body: unknown): Promise<Record<string, unknown>> => {
      const res = await post(body);
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };

    const checked = await read({ ...minimalRequest(), next_state: 'preConditions' });
    expect(checked).toEqual({ ok: 1, data: expect.any(Object), msg: 'ok' });
    expect(Object.keys(checked.data as object).sort()).toEqual(['booking', 'state', 'status', 'status_body']);

    const shown = (await read({ ...minimalRequest(), requisites, next_state: 'postRequisites' })).data as Envelope['data'];
    expect(Object.keys(shown).sort()).toEqual(['booking', 'request_id', 'state', 'status', 'status_body']);
    expect(shown).toMatchObject({ state: 'postRequisites', status: 'ok', request_id: expect.stringMatching(REQUEST_ID) });
    expect(Object.keys(shown.booking).sort()).toEqual(['arrival_date', 'blocks', 'departure_date', 'general_conditions', 'requisites']);

    const done = (await read({ request_id: shown.request_id, accepted: 1 })).data as Envelope['data'];
    expect(done).toEqual(seedExampleData);
    expect(availableOn(101, '2014-09-23')).toBe(4);
  });
});

describe('auth and transport', () => {
  test('a request without a Bearer token is refused with 401 in the envelope', async () => {
    const res = await post(exampleRequest(), { token: null });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ ok: 0, data: null, msg: 'Unauthorized', code: 401 });
  });

  test('a request with a wrong token is refused with 401 and books nothing', async () => {
    const res = await post(exampleRequest(), { token: 'wrong' });
    expect(res.status).toBe(401);
    expect(Object.keys(sim.ctx.state.requests)).toHaveLength(0);
  });

  test('a body that is neither JSON nor form is refused with 415; another method with 405', async () => {
    const res = await post('hello', { contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ ok: 0, data: null, msg: 'Unsupported Media Type', code: 415 });
    const get = await fetch(`${sim.url}/booking/hotel`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
  });
});

describe('stages, next_state and accepted', () => {
  test('next_state preConditions only checks availability: no request_id, no stock taken', async () => {
    const data = await book({ ...minimalRequest(), next_state: 'preConditions' });
    expect(data).toMatchObject({ state: 'preConditions', status: 'ok', status_body: {}, request_id: null });
    expect(Object.keys(sim.ctx.state.requests)).toHaveLength(0);
    expect(availableOn(101, '2014-09-23')).toBe(5);
  });

  test('a stop at postConditions issues a request_id; accepted goes on to complete with only the requisites sent', async () => {
    const shown = await book({ ...minimalRequest(), next_state: 'postConditions' });
    expect(shown).toMatchObject({ state: 'postConditions', status: 'ok', request_id: expect.stringMatching(REQUEST_ID) });
    expect(shown.booking.blocks[0]).toMatchObject({ conditions: { cancellation: 3, booking_method: 1 } });
    expect(availableOn(101, '2014-09-23')).toBe(5);

    const done = await book({ request_id: shown.request_id, accepted: 1, requisites });
    expect(done).toMatchObject({ state: 'complete', status: 'ok', request_id: shown.request_id });
    expect(done.booking.requisites).toEqual(requisites);
    expect(availableOn(101, '2014-09-23')).toBe(4);
  });

  test('without accepted the stopped stage is shown again and nothing moves on', async () => {
    const shown = await book({ ...minimalRequest(), requisites, next_state: 'postConditions' });
    const again = await book({ request_id: shown.request_id });
    expect(again).toMatchObject({ state: 'postConditions', status: 'ok', request_id: shown.request_id });
    expect(availableOn(101, '2014-09-23')).toBe(5);
  });

  test('each stage can be stopped at in turn, accepting one after the other', async () => {
    const first = await book({ ...minimalRequest(), requisites, next_state: 'postConditions' });
    const id = first.request_id;
    expect((await book({ request_id: id, accepted: 'yes', next_state: 'preRequisites' })).state).toBe('preRequisites');
    const post = await book({ request_id: id, accepted: true, next_state: 'postRequisites' });
    expect(post).toMatchObject({ state: 'postRequisites', status: 'ok' });
    expect(post.booking.blocks[0].living).toEqual([{ first_name: 'Booker', last_name: 'Da Mega' }]);
    expect(await book({ request_id: id, accepted: '1' })).toMatchObject({ state: 'complete', status: 'ok' });
  });

  test('a next_state behind the stage the request starts at is a failure on next_state', async () => {
    const shown = await book({ ...minimalRequest(), next_state: 'preRequisites' });
    expect(shown).toMatchObject({ state: 'preRequisites', status: 'requirements' });
    const data = await book({ request_id: shown.request_id, next_state: 'postConditions' });
    expect(data).toMatchObject({ status: 'failure', status_body: { next_state: 40003 }, request_id: shown.request_id });
  });

  test('sending a completed request_id again answers the same booking and consumes no more stock', async () => {
    const done = await book(exampleRequest());
    const again = await book({ request_id: done.request_id, accepted: 1 });
    expect(again).toEqual(done);
    expect(availableOn(101, '2014-09-23')).toBe(4);
  });
});

describe('requirements', () => {
  test('without requisites the booking stops at preRequisites naming the missing fields; the requisites complete it', async () => {
    const data = await book(minimalRequest());
    expect(data).toMatchObject({
      state: 'preRequisites',
      status: 'requirements',
      status_body: { requisites: { first_name: 40001, last_name: 40001, email: 40001, phone: 40001 } },
      request_id: expect.stringMatching(REQUEST_ID),
    });
    expect(data.booking).not.toHaveProperty('requisites');

    const done = await book({ request_id: data.request_id, requisites });
    expect(done).toMatchObject({ state: 'complete', status: 'ok', request_id: data.request_id });
  });

  test('partial requisites name only what is missing', async () => {
    const data = await book({ ...minimalRequest(), requisites: { first_name: 'Booker', last_name: 'Da Mega' } });
    expect(data).toMatchObject({ status: 'requirements', status_body: { requisites: { email: 40001, phone: 40001 } } });
  });

  test('malformed requisites are a failure at preRequisites, with the request_id kept', async () => {
    const data = await book({ ...minimalRequest(), requisites: { ...requisites, email: 'not-an-email' } });
    expect(data).toMatchObject({
      state: 'preRequisites',
      status: 'failure',
      status_body: { requisites: { email: 40002 } },
      request_id: expect.stringMatching(REQUEST_ID),
    });
  });
});

describe('failure', () => {
  test('bad formats and unknown references are named field by field, at preConditions, without request_id', async () => {
    const request = {
      arrival_date: '23-09-2014',
      departure_date: '2014-09-24',
      blocks: [
        { tariff: FLEX, total_cost: 500, quantity: 0 },
        { tariff: FLEX, total_cost: 'five hundred', quantity: 1, recovery: { unit: 'percent', amount: 5, sum: 25 } },
      ],
    };
    const data = await book(request);
    expect(data).toEqual({
      state: 'preConditions',
      booking: request,
      status: 'failure',
      status_body: {
        arrival_date: 40002,
        blocks: [{ quantity: 40003 }, { total_cost: 40002, recovery: { amount: 40003 } }],
      },
      request_id: null,
    });
  });

  test('missing required fields are named with the "required" code', async () => {
    const data = await book({});
    expect(data).toMatchObject({
      status: 'failure',
      status_body: { arrival_date: 40001, departure_date: 40001, blocks: 40001 },
    });
  });

  test('an unknown tariff and a recovery amount out of its unit range are failures', async () => {
    const data = await book({
      ...minimalRequest(),
      blocks: [
        { tariff: '000000000000000000000000', total_cost: 500, quantity: 1 },
        { tariff: FLEX, total_cost: 500, quantity: 1, recovery: { unit: 'day', amount: 10, sum: 500 } },
      ],
    });
    expect(data.status_body).toEqual({ blocks: [{}, { recovery: { amount: 40003 } }] });
    const unknown = await book({ ...minimalRequest('000000000000000000000000') });
    expect(unknown.status_body).toEqual({ blocks: [{ tariff: 40401 }] });
  });

  test('tariffs of two hotels in one request are refused on the other hotel\'s tariff', async () => {
    const data = await book({
      ...minimalRequest(),
      blocks: [
        { tariff: FLEX, total_cost: 500, quantity: 1 },
        { tariff: DNISTER, total_cost: 650, quantity: 1 },
      ],
      requisites,
    });
    expect(data).toMatchObject({
      state: 'preConditions',
      status: 'failure',
      status_body: { blocks: [{}, { tariff: 40901 }] },
      request_id: null,
    });
  });

  test('departure not after arrival, and arrival in the past, are failures on those dates', async () => {
    const reversed = await book({ ...minimalRequest(), departure_date: '2014-09-23' });
    expect(reversed.status_body).toEqual({ departure_date: 42201 });
    const past = await book({ ...minimalRequest(), arrival_date: '2014-08-20' });
    expect(past.status_body).toEqual({ arrival_date: 42202 });
  });

  test('an unknown request_id is a failure on request_id', async () => {
    const data = await book({ request_id: 'ffffffffffffffffffffffff', accepted: 1 });
    expect(data).toMatchObject({ state: 'preConditions', status: 'failure', status_body: { request_id: 40402 }, request_id: null });
  });

  test('a staged request_id unused for longer than its lifetime expires', async () => {
    const shown = await book({ ...minimalRequest(), next_state: 'postConditions' });
    clock = new Date(clock.getTime() + 2 * 60 * 60 * 1000);
    const data = await book({ request_id: shown.request_id, accepted: 1, requisites });
    expect(data).toMatchObject({ status: 'failure', status_body: { request_id: 41001 }, request_id: shown.request_id });
  });

  test('a directive of the wrong type is a failure on that directive', async () => {
    const data = await book({ ...minimalRequest(), next_state: 'paid', accepted: 'maybe' });
    expect(data.status_body).toEqual({ next_state: 40002, accepted: 40002 });
  });
});

describe('rejected', () => {
  test('optional conditions and total_cost that differ come back as [sent, actual] pairs; accepted takes the actual ones', async () => {
    const data = await book({
      ...minimalRequest(FLEX, 1, 450),
      blocks: [
        {
          tariff: FLEX,
          total_cost: 450,
          quantity: 1,
          conditions: { cancellation: 1, booking_method: 1 },
          recovery: { unit: 'percent', amount: 10, sum: 45 },
        },
      ],
      requisites,
    });
    expect(data).toMatchObject({
      state: 'postConditions',
      status: 'rejected',
      status_body: {
        blocks: [{ total_cost: [450, 500], conditions: { cancellation: [1, 3] }, recovery: { sum: [45, 50] } }],
      },
      request_id: expect.stringMatching(REQUEST_ID),
    });
    // The booking shows the actual values, for comparison.
    expect(data.booking.blocks[0]).toMatchObject({ total_cost: 500, conditions: { cancellation: 3 } });
    expect(availableOn(101, '2014-09-23')).toBe(5);

    const done = await book({ request_id: data.request_id, accepted: 1 });
    expect(done).toMatchObject({ state: 'complete', status: 'ok' });
    expect(done.booking.blocks[0]).toMatchObject({ total_cost: 500, conditions: { cancellation: 3, booking_method: 1 } });
  });

  test('only the blocks that differ carry pairs; the others are {}', async () => {
    const data = await book({
      ...minimalRequest(),
      blocks: [
        { tariff: FLEX, total_cost: 500, quantity: 1, conditions: { cancellation: 3 } },
        { tariff: NONREF, total_cost: 425, quantity: 1, conditions: { cancellation: 2, booking_method: 1 } },
      ],
    });
    expect(data.status_body).toEqual({ blocks: [{}, { conditions: { cancellation: [2, false], booking_method: [1, 2] } }] });
  });

  test('a rejected request corrected by sending the blocks again is checked from preConditions and goes on', async () => {
    const data = await book({ ...minimalRequest(FLEX, 1, 400), requisites });
    expect(data.status).toBe('rejected');
    const done = await book({ request_id: data.request_id, blocks: [{ tariff: FLEX, total_cost: 500, quantity: 1 }] });
    expect(done).toMatchObject({ state: 'complete', status: 'ok', request_id: data.request_id });
  });

  test('conditions changed by the hotel after postConditions reject the booking at complete', async () => {
    const shown = await book({ ...minimalRequest(), requisites, next_state: 'postConditions' });
    await control('POST', `/tariffs/${FLEX}`, { conditions: { cancellation: 5 }, base_price: 550 });

    const data = await book({ request_id: shown.request_id, accepted: 1 });
    expect(data).toMatchObject({
      state: 'complete',
      status: 'rejected',
      status_body: { blocks: [{ total_cost: [500, 550], conditions: { cancellation: [3, 5] }, recovery: { sum: [50, 55] } }] },
    });
    expect(availableOn(101, '2014-09-23')).toBe(5);

    const done = await book({ request_id: shown.request_id, accepted: 1 });
    expect(done).toMatchObject({ state: 'complete', status: 'ok' });
    expect(done.booking.general_conditions).toMatchObject({ booking_sum: 550, cancellation: 5 });
  });
});

describe('stock', () => {
  test('complete consumes the room\'s stock for every night, shared by the tariffs of that room', async () => {
    await book({
      arrival_date: '2014-09-23',
      departure_date: '2014-09-25',
      blocks: [
        { tariff: FLEX, total_cost: 2000, quantity: 2 },
        { tariff: NONREF, total_cost: 850, quantity: 1 },
      ],
      requisites,
    });
    expect(availableOn(101, '2014-09-23')).toBe(2);
    expect(availableOn(101, '2014-09-24')).toBe(2);
    expect(availableOn(101, '2014-09-25')).toBe(5);
  });

  test('a room sold out is rejected at preConditions with quantity [sent, available]', async () => {
    await control('POST', '/stock', { tariff: PALACE, available: 0 });
    const data = await book({ ...minimalRequest(PALACE, 1, 3200), requisites });
    expect(data).toMatchObject({
      state: 'preConditions',
      status: 'rejected',
      status_body: { blocks: [{ quantity: [1, 0] }] },
      request_id: null,
    });
  });

  test('the last room taken by another booking rejects a staged one at complete', async () => {
    const staged = await book({ ...minimalRequest(PALACE, 1, 3200), requisites, next_state: 'postRequisites' });
    expect(staged).toMatchObject({ state: 'postRequisites', status: 'ok' });
    expect(await book({ ...minimalRequest(PALACE, 1, 3200), requisites })).toMatchObject({ status: 'ok' });

    const data = await book({ request_id: staged.request_id, accepted: 1 });
    expect(data).toMatchObject({ state: 'complete', status: 'rejected', status_body: { blocks: [{ quantity: [1, 0] }] } });
  });

  test('stock set for some nights only affects stays over those nights', () => {
    setHotels24Stock(sim.ctx.state, { room_id: 102, available: 0, dates: ['2014-09-24'] });
    expect(availableOn(102, '2014-09-23')).toBe(2);
    expect(availableOn(102, '2014-09-24')).toBe(0);
  });
});

describe('error scenarios', () => {
  test('a hotel forced to fail answers error for the next N requests, then succeeds', async () => {
    const { status } = await control('POST', '/errors', { hotel_id: 1021, times: 2 });
    expect(status).toBe(200);
    for (let i = 0; i < 2; i += 1) {
      expect(await book(exampleRequest())).toMatchObject({ state: 'preConditions', status: 'error', status_body: {}, request_id: null });
    }
    expect(await book(exampleRequest())).toMatchObject({ state: 'complete', status: 'ok' });
    // Other hotels are not affected.
    forceHotels24Error(sim.ctx.state, { hotel_id: 1021 });
    expect(await book({ ...minimalRequest(DNISTER, 1, 650), requisites })).toMatchObject({ status: 'ok' });
  });

  test('an error forced at complete for a request_id consumes nothing; the retry with request_id completes', async () => {
    const staged = await book({ ...minimalRequest(), requisites, next_state: 'postRequisites' });
    forceHotels24Error(sim.ctx.state, { request_id: staged.request_id ?? '', times: 1, state: 'complete' });

    const failed = await book({ request_id: staged.request_id, accepted: 1 });
    expect(failed).toMatchObject({ state: 'complete', status: 'error', request_id: staged.request_id });
    expect(availableOn(101, '2014-09-23')).toBe(5);

    const retried = await book({ request_id: staged.request_id });
    expect(retried).toMatchObject({ state: 'complete', status: 'ok' });
    expect(availableOn(101, '2014-09-23')).toBe(4);
  });

  test('control inputs are validated: a scenario without a target is 400, an unknown tariff 404', async () => {
    expect((await control('POST', '/errors', { times: 1 })).status).toBe(400);
    expect((await control('POST', '/tariffs/000000000000000000000000', { base_price: 1 })).status).toBe(404);
    expect((await control('POST', '/stock', { tariff: FLEX, available: -1 })).status).toBe(400);
  });
});

describe('GET /__control/state', () => {
  test('shows hotels with their tariffs, stock, and the staged requests at their current stage', async () => {
    const staged = await book({ ...minimalRequest(), next_state: 'postConditions' });
    changeHotels24Tariff(sim.ctx.state, LUX, { conditions: { booking_method: 2 } });

    const { status, body } = await control<ReturnType<typeof hotels24StateView>>('GET', '/state');
    expect(status).toBe(200);
    expect(body.hotels.map((h) => h.hotel_id)).toEqual([1021, 1187, 2044]);
    expect(body.hotels[0].tariffs.map((t) => t.tariff)).toEqual([FLEX, NONREF, LUX]);
    expect(body.hotels[0].tariffs[2].conditions).toEqual({ cancellation: 7, booking_method: 2 });
    expect(body.stock).toContainEqual({ hotel_id: 2044, room_id: 301, name: 'Superior', allotment: 1, by_date: {} });
    expect(body.requests).toEqual([
      expect.objectContaining({ request_id: staged.request_id, hotel_id: 1021, state: 'postConditions', status: 'ok' }),
    ]);

    await book({ request_id: staged.request_id, accepted: 1 });
    const after = await control<ReturnType<typeof hotels24StateView>>('GET', '/state');
    expect(after.body.requests[0]).toMatchObject({ state: 'preRequisites', status: 'requirements' });
  });
});
