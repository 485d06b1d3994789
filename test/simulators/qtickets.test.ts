/**
 * The qtickets simulator against its seed (the qtickets Partners API document),
 * over real HTTP: every method, every documented error, the holds that expire on the
 * clock, the hash that signals a resync, and the scenarios tests drive it with.
 */
import { hangSeat, refuseSeat, startQticketsSimulator, type RunningQticketsSimulator } from '../../simulators/qtickets';

const TOKEN = 'partner-key';
const BASE = Date.parse('2026-03-01T09:00:00.000Z');
let current = new Date(BASE);
let sim: RunningQticketsSimulator;

type Params = Record<string, string | number>;
interface CallOptions {
  method?: 'GET' | 'POST';
  query?: Params;
  json?: unknown;
  form?: Params;
  /** null sends no Authorization header. */
  token?: string | null;
  signal?: AbortSignal;
}

interface ErrorAnswer {
  status: string;
  code: string;
  message: string;
}
interface Scheme {
  id: number;
  name: string;
  place_name: string;
  place_address: string;
  place_description: string;
  zones?: { zone_id: number; name: string; seats: { seat_id: string }[] }[];
}
interface ShowHeader {
  event_id: number;
  show_id: number;
  event_name: string;
  start_date: string;
  scheme: Scheme;
  city: { id: number; name: string; timezone: string; coords: number[] };
  last_update_hash: string;
}
interface SeatAnswer {
  seat_id: string;
  available: boolean;
  coords: number[];
  row?: number;
  place?: number;
  free_quantity?: number;
  admission?: boolean;
  price: number;
  currency_id: string;
}
interface SeatsAnswer extends ShowHeader {
  zones: { zone_id: number; name: string; seats: SeatAnswer[] }[];
}
interface TicketResult {
  id: string;
  paid: number;
  reserved_to: string | null;
  external_id: string | null;
  barcode: string | null;
}
interface TicketAnswer extends ShowHeader {
  status: string;
  result: TicketResult;
}
interface RemoveAnswer extends ShowHeader {
  status: string;
  result: boolean;
}
interface ListAnswer {
  status: string;
  result: ShowHeader[];
}

async function call<T>(path: string, options: CallOptions = {}): Promise<{ status: number; body: T }> {
  const url = new URL(path, sim.url);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | URLSearchParams | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = new URLSearchParams(Object.entries(options.form).map(([k, v]): [string, string] => [k, String(v)]));
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const res = await fetch(url, { method, headers, body, signal: options.signal });
  return { status: res.status, body: (await res.json()) as T };
}

const control = async <T>(path: string, method: 'GET' | 'POST' | 'DELETE' = 'GET', json?: unknown) => {
  const res = await fetch(`${sim.url}/__control${path}`, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: res.status, body: (await res.json()) as T };
};

const inTheFuture = (ms: number): string => new Date(current.getTime() + ms).toISOString();
const seats = (event: number, show?: number) =>
  call<SeatsAnswer>(`/api/partners/v1/events/seats/${event}${show === undefined ? '' : `/${show}`}`);
const seatOf = (answer: SeatsAnswer, seatId: string): SeatAnswer | undefined =>
  answer.zones.flatMap((z) => z.seats).find((s) => s.seat_id === seatId);
const add = (path: string, params: Params) => call<TicketAnswer & ErrorAnswer>(`/api/partners/v1/tickets/add/${path}`, { query: params });
const remove = (path: string, params: Params) =>
  call<RemoveAnswer & ErrorAnswer>(`/api/partners/v1/tickets/remove/${path}`, { query: params });

/** The seed's Москва, as every answer of the Кремлевский дворец shows carries it. */
const MOSCOW = { id: 2, name: 'Москва', timezone: 'Europe/Moscow', coords: [55.7558, 37.6176] };
const KREMLIN = {
  id: 48,
  name: 'Кремлевский дворец',
  place_name: 'Кремлевский дворец',
  place_address: 'ул. Воздвиженка, 1',
  place_description: 'м. Библиотека им. Ленина, Александровский сад, Боровицкая',
};

/** The `zones` of the seed's events/seats example, verbatim. */
const SEED_SEAT_ZONES = [
  {
    zone_id: 7,
    name: 'Supervip right',
    seats: [
      { seat_id: '7-1;8', available: true, coords: [283, 977], row: 1, place: 8, price: 0, currency_id: 'RUB' },
      { seat_id: '7-1;7', available: true, coords: [299, 963], row: 1, place: 7, price: 0, currency_id: 'RUB' },
      { seat_id: '7-1;6', available: true, coords: [316, 949], row: 1, place: 6, price: 0, currency_id: 'RUB' },
      { seat_id: '7-1;5', available: true, coords: [333, 935], row: 1, place: 5, price: 0, currency_id: 'RUB' },
      { seat_id: '7-1;4', available: true, coords: [349, 921], row: 1, place: 4, price: 0, currency_id: 'RUB' },
      { seat_id: '7-1;3', available: true, coords: [366, 907], row: 1, place: 3, price: 0, currency_id: 'RUB' },
    ],
  },
  {
    zone_id: 6,
    name: 'VIP right 2',
    seats: [
      { seat_id: '6-1;52', available: true, coords: [58, 600], row: 1, place: 52, price: 0, currency_id: 'RUB' },
      { seat_id: '6-1;53', available: true, coords: [74, 614], row: 1, place: 53, price: 0, currency_id: 'RUB' },
      { seat_id: '6-1;51', available: true, coords: [58, 579], row: 1, place: 51, price: 0, currency_id: 'RUB' },
      { seat_id: '6-1;50', available: true, coords: [74, 565], row: 1, place: 50, price: 0, currency_id: 'RUB' },
      { seat_id: '6-1;49', available: true, coords: [91, 551], row: 1, place: 49, price: 0, currency_id: 'RUB' },
      { seat_id: '6-1;48', available: true, coords: [108, 537], row: 1, place: 48, price: 0, currency_id: 'RUB' },
      { seat_id: '6-1;47', available: true, coords: [125, 523], row: 1, place: 47, price: 0, currency_id: 'RUB' },
    ],
  },
  {
    zone_id: 3,
    name: 'Танцевальный партер',
    seats: [
      { seat_id: '3-1;1', available: true, coords: [730, 806], free_quantity: 14, admission: true, price: 300, currency_id: 'RUB' },
    ],
  },
  {
    zone_id: 1,
    name: 'VIP 3',
    seats: [
      { seat_id: '1-1;3', available: true, coords: [1032, 137], row: 1, place: 3, price: 1234, currency_id: 'RUB' },
      { seat_id: '1-1;2', available: true, coords: [1052, 137], row: 1, place: 2, price: 100, currency_id: 'RUB' },
    ],
  },
];

beforeAll(async () => {
  sim = await startQticketsSimulator({ token: TOKEN, port: 0, now: () => current });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  current = new Date(BASE);
  sim.reset();
});

describe('authorization', () => {
  const paths = [
    '/api/partners/v1/events/lists',
    '/api/partners/v1/events/seats/12/21',
    '/api/partners/v1/tickets/add/12/21?seat_id=6-1;52&paid=1',
    '/api/partners/v1/tickets/remove/12/21?id=27061',
  ];

  it.each(paths)('%s without a key answers the seed WRONG_AUTHORIZATION JSON', async (path) => {
    const { status, body } = await call<ErrorAnswer>(path, { token: null });
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'error', code: 'WRONG_AUTHORIZATION', message: 'Wrong authorization' });
  });

  it.each(paths)('%s with a wrong key answers WRONG_AUTHORIZATION and changes nothing', async (path) => {
    const { body } = await call<ErrorAnswer>(path, { token: 'not-the-key', method: 'POST' });
    expect(body).toEqual({ status: 'error', code: 'WRONG_AUTHORIZATION', message: 'Wrong authorization' });
    expect(sim.view().tickets).toEqual([]);
  });
});

describe('events/lists', () => {
  it('lists every upcoming show in the seed envelope, GET and POST alike', async () => {
    const viaGet = await call<ListAnswer>('/api/partners/v1/events/lists');
    const viaPost = await call<ListAnswer>('/api/partners/v1/events/lists', { method: 'POST' });
    expect(viaPost.body).toEqual(viaGet.body);
    expect(viaGet.body.status).toBe('success');
    expect(viaGet.body.result.map((s) => [s.event_id, s.show_id])).toEqual([
      [12, 20],
      [12, 21],
      [33, 41],
      [57, 77],
    ]);
    const show21 = viaGet.body.result[1];
    expect(show21).toEqual({
      event_id: 12,
      show_id: 21,
      event_name: 'Название мероприятия 1',
      start_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T17:00:00\+03:00$/),
      scheme: KREMLIN,
      city: MOSCOW,
      last_update_hash: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(Date.parse(show21?.start_date ?? '')).toBeGreaterThan(current.getTime());
  });

  it('gives scheme.zones (seat ids) with the first show of each scheme only, as the seed example does', async () => {
    const { body } = await call<ListAnswer>('/api/partners/v1/events/lists');
    const [show20, show21, show41, show77] = body.result;
    expect(show20?.scheme.zones?.map((z) => [z.zone_id, z.name, z.seats[0]?.seat_id])).toEqual([
      [8, 'VIP left', '8-1;42'],
      [7, 'Supervip right', '7-1;8'],
      [6, 'VIP right 2', '6-1;52'],
      [5, 'Supervip left', '5-1;8'],
      [4, 'VIP left 1', '4-1;49'],
      [3, 'Танцевальный партер', '3-1;1'],
      [2, 'VIP right 1', '2-2;49'],
      [1, 'VIP 3', '1-1;49'],
    ]);
    expect(show20?.scheme.zones?.[0]?.seats[0]).toEqual({ seat_id: '8-1;42' });
    expect(show21?.scheme).not.toHaveProperty('zones');
    expect(show41?.scheme).not.toHaveProperty('zones');
    expect(show77?.scheme.zones?.map((z) => z.name)).toEqual(['Танцпол', 'Балкон']);
  });

  it('leaves out shows that have started', async () => {
    const { body: before } = await call<ListAnswer>('/api/partners/v1/events/lists');
    const show20Start = Date.parse(before.result[0]?.start_date ?? '');
    current = new Date(show20Start + 1000);
    const { body } = await call<ListAnswer>('/api/partners/v1/events/lists');
    expect(body.result.map((s) => s.show_id)).not.toContain(20);
    // Show 21 is now the first of scheme 48 in the list, so it carries the zones.
    expect(body.result.find((s) => s.show_id === 21)?.scheme.zones).toHaveLength(8);
  });
});

describe('events/seats', () => {
  it('answers the seed example for show 21 field for field', async () => {
    const { body } = await seats(12, 21);
    const { scheme, ...rest } = body;
    expect(rest).toEqual({
      event_id: 12,
      show_id: 21,
      event_name: 'Название мероприятия 1',
      start_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T17:00:00\+03:00$/),
      city: MOSCOW,
      last_update_hash: expect.stringMatching(/^[0-9a-f]{40}$/),
      zones: SEED_SEAT_ZONES,
    });
    expect(scheme).toMatchObject(KREMLIN);
    expect(scheme.zones?.map((z) => z.zone_id)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('answers GET and POST alike and carries the hash the listing shows', async () => {
    const viaGet = await seats(12, 21);
    const viaPost = await call<SeatsAnswer>('/api/partners/v1/events/seats/12/21', { method: 'POST' });
    expect(viaPost.body).toEqual(viaGet.body);
    const { body: list } = await call<ListAnswer>('/api/partners/v1/events/lists');
    expect(list.result.find((s) => s.show_id === 21)?.last_update_hash).toBe(viaGet.body.last_update_hash);
  });

  it('needs no show_id for an event with a single show', async () => {
    const { body } = await seats(33);
    expect(body.show_id).toBe(41);
    expect(body.event_name).toBe('Название мероприятия 2');
  });

  it('asks for show_id when the event has more than one show', async () => {
    const { body } = await call<ErrorAnswer>('/api/partners/v1/events/seats/12');
    expect(body).toEqual({ status: 'error', code: 'VALIDATION_ERROR', message: expect.stringContaining('show_id') });
  });

  it.each([
    ['an unknown event', '/api/partners/v1/events/seats/999'],
    ['a show of another event', '/api/partners/v1/events/seats/12/41'],
    ['an unknown show', '/api/partners/v1/events/seats/12/22'],
  ])('answers EVENT_NOT_FOUND for %s', async (_what, path) => {
    const { body } = await call<ErrorAnswer>(path);
    expect(body).toEqual({ status: 'error', code: 'EVENT_NOT_FOUND', message: 'Event not found' });
  });
});

describe('tickets/add: a new ticket', () => {
  it('holds a seat as the seed example shows and marks it unavailable', async () => {
    const reserved_to = '2026-03-02T17:00:00+10:00';
    const { body: before } = await seats(12, 21);
    const { status, body } = await add('12/21', { seat_id: '6-1;52', paid: 0, reserved_to, external_id: 'ticket12345' });
    expect(status).toBe(200);
    expect(body).toEqual({
      event_id: 12,
      show_id: 21,
      event_name: 'Название мероприятия 1',
      start_date: before.start_date,
      scheme: KREMLIN,
      city: MOSCOW,
      last_update_hash: before.last_update_hash,
      status: 'success',
      result: { id: '27061', paid: 0, reserved_to, external_id: 'ticket12345', barcode: null },
    });
    expect(seatOf((await seats(12, 21)).body, '6-1;52')?.available).toBe(false);
    const show21 = sim.view().inventory.find((s) => s.show_id === 21);
    expect(show21?.seats.find((s) => s.seat_id === '6-1;52')).toEqual({
      seat_id: '6-1;52',
      zone_id: 6,
      admission: false,
      state: 'reserved',
      ticket_id: '27061',
    });
  });

  it('takes its parameters from a JSON body or a form body just as from the query', async () => {
    const reserved_to = inTheFuture(3_600_000);
    const viaJson = await call<TicketAnswer>('/api/partners/v1/tickets/add/12/21', {
      json: { seat_id: '7-1;8', paid: 0, reserved_to, external_id: 'json-1' },
    });
    const viaForm = await call<TicketAnswer>('/api/partners/v1/tickets/add/12/21', {
      form: { seat_id: '7-1;7', paid: '0', reserved_to, external_id: 'form-1' },
    });
    expect(viaJson.body.result).toEqual({ id: '27061', paid: 0, reserved_to, external_id: 'json-1', barcode: null });
    expect(viaForm.body.result).toEqual({ id: '27062', paid: 0, reserved_to, external_id: 'form-1', barcode: null });
  });

  it('sells a seat outright with paid 1 and issues a barcode', async () => {
    const { body } = await add('33', { seat_id: '4-1;49', paid: 1 });
    expect(body.show_id).toBe(41);
    expect(body.result).toEqual({ id: '27061', paid: 1, reserved_to: null, external_id: null, barcode: expect.stringMatching(/^\d{13}$/) });
    expect(sim.view().inventory.find((s) => s.show_id === 41)?.seats.find((s) => s.seat_id === '4-1;49')).toMatchObject({
      state: 'sold',
      ticket_id: '27061',
    });
  });

  it('refuses a taken seat with the seed SEAT_NOT_AVAILABLE message', async () => {
    await add('12/21', { seat_id: '6-1;52', paid: 1 });
    const { body } = await add('12/21', { seat_id: '6-1;52', paid: 0, reserved_to: inTheFuture(60_000) });
    expect(body).toEqual({ status: 'error', code: 'SEAT_NOT_AVAILABLE', message: 'Seat "6-1;52" is not available' });
  });

  it('refuses a seat of the scheme that is not on sale for the show with SEAT_NOT_AVAILABLE', async () => {
    const { body } = await add('12/21', { seat_id: '7-1;1', paid: 1 });
    expect(body).toEqual({ status: 'error', code: 'SEAT_NOT_AVAILABLE', message: 'Seat "7-1;1" is not available' });
  });

  it('answers SEAT_NOT_FOUND for a seat the scheme does not know', async () => {
    const { body } = await add('12/21', { seat_id: '9-9;99', paid: 1 });
    expect(body).toEqual({ status: 'error', code: 'SEAT_NOT_FOUND', message: 'Seat "9-9;99" not found' });
  });

  it('answers EVENT_NOT_FOUND for an unknown event and VALIDATION_ERROR without show_id on a multi-show event', async () => {
    expect((await add('999', { seat_id: '6-1;52', paid: 1 })).body.code).toBe('EVENT_NOT_FOUND');
    expect((await add('12', { seat_id: '6-1;52', paid: 1 })).body.code).toBe('VALIDATION_ERROR');
    expect(sim.view().tickets).toEqual([]);
  });

  it.each<[string, Params]>([
    ['no seat_id', { paid: 1 }],
    ['no paid', { seat_id: '6-1;52', reserved_to: '2030-01-01T00:00:00+03:00' }],
    ['paid neither 0 nor 1', { seat_id: '6-1;52', paid: 2 }],
    ['paid 0 without reserved_to', { seat_id: '6-1;52', paid: 0 }],
    ['reserved_to not a date', { seat_id: '6-1;52', paid: 0, reserved_to: 'tomorrow' }],
    ['reserved_to in the past', { seat_id: '6-1;52', paid: 0, reserved_to: '2018-05-24T17:00:00+10:00' }],
  ])('answers VALIDATION_ERROR for %s and holds nothing', async (_what, params) => {
    const { body } = await add('12/21', params);
    expect(body).toEqual({ status: 'error', code: 'VALIDATION_ERROR', message: expect.any(String) });
    expect(sim.view().tickets).toEqual([]);
  });
});

describe('tickets/add: updating a ticket', () => {
  it('extends a hold by id', async () => {
    const { body: held } = await add('12/21', { seat_id: '6-1;51', paid: 0, reserved_to: inTheFuture(60_000) });
    const later = inTheFuture(600_000);
    const { body } = await add('12/21', { id: held.result.id, paid: 0, reserved_to: later });
    expect(body.result).toEqual({ id: held.result.id, paid: 0, reserved_to: later, external_id: null, barcode: null });
    current = new Date(current.getTime() + 120_000);
    expect(seatOf((await seats(12, 21)).body, '6-1;51')?.available).toBe(false);
  });

  it('pays a hold by external_id, which issues the barcode; paying again changes nothing', async () => {
    const reserved_to = inTheFuture(60_000);
    await add('12/21', { seat_id: '1-1;3', paid: 0, reserved_to, external_id: 'order-7' });
    const { body: paid } = await add('12/21', { external_id: 'order-7', paid: 1 });
    expect(paid.result).toEqual({ id: '27061', paid: 1, reserved_to, external_id: 'order-7', barcode: expect.stringMatching(/^\d{13}$/) });
    const { body: again } = await add('12/21', { external_id: 'order-7', paid: 1 });
    expect(again.result).toEqual(paid.result);
    // A paid ticket outlives its reserved_to.
    current = new Date(current.getTime() + 120_000);
    expect(sim.view().tickets).toEqual([expect.objectContaining({ id: '27061', status: 'sold' })]);
  });

  it('makes a retried create with the same external_id return the same ticket, never a second one', async () => {
    const params = { seat_id: '6-1;50', paid: 0, reserved_to: inTheFuture(60_000), external_id: 'booking-42' };
    const first = await add('12/21', params);
    const retry = await add('12/21', params);
    expect(retry.body.result).toEqual(first.body.result);
    expect(sim.view().tickets).toHaveLength(1);
  });

  it('refuses to take a paid ticket back to paid 0', async () => {
    const { body: sold } = await add('12/21', { seat_id: '6-1;49', paid: 1 });
    const { body } = await add('12/21', { id: sold.result.id, paid: 0, reserved_to: inTheFuture(60_000) });
    expect(body.code).toBe('VALIDATION_ERROR');
  });

  it('refuses an external_id a live ticket of another show already uses', async () => {
    await add('12/20', { seat_id: '8-1;42', paid: 1, external_id: 'dup' });
    const { body } = await add('12/21', { seat_id: '6-1;52', paid: 1, external_id: 'dup' });
    expect(body.code).toBe('VALIDATION_ERROR');
  });

  it('answers TICKET_NOT_FOUND for an unknown id, an unknown external_id without a seat, or a ticket of another show', async () => {
    const { body: other } = await add('12/20', { seat_id: '8-1;42', paid: 1 });
    const notFound = { status: 'error', code: 'TICKET_NOT_FOUND', message: 'Ticket not found' };
    expect((await add('12/21', { id: '99999', paid: 1 })).body).toEqual(notFound);
    expect((await add('12/21', { external_id: 'nobody', paid: 1 })).body).toEqual(notFound);
    expect((await add('12/21', { id: other.result.id, paid: 1 })).body).toEqual(notFound);
  });
});

describe('tickets/remove', () => {
  it('releases a hold as the seed example shows and leaves the inventory as it was', async () => {
    const before = sim.view().inventory;
    const { body: held } = await add('12/21', { seat_id: '6-1;52', paid: 0, reserved_to: inTheFuture(60_000), external_id: 'x1' });
    const { body } = await remove('12/21', { external_id: 'x1' });
    expect(body).toEqual({
      event_id: 12,
      show_id: 21,
      event_name: 'Название мероприятия 1',
      scheme: KREMLIN,
      city: MOSCOW,
      start_date: held.start_date,
      last_update_hash: held.last_update_hash,
      status: 'success',
      result: true,
    });
    expect(sim.view().inventory).toEqual(before);
    expect(sim.view().tickets).toEqual([expect.objectContaining({ id: held.result.id, status: 'removed' })]);
  });

  it('removes a paid ticket by id and frees its seat', async () => {
    const { body: sold } = await add('12/21', { seat_id: '1-1;2', paid: 1 });
    expect((await remove('12/21', { id: sold.result.id })).body.result).toBe(true);
    expect(seatOf((await seats(12, 21)).body, '1-1;2')?.available).toBe(true);
  });

  it('answers TICKET_NOT_FOUND for a ticket already removed, and VALIDATION_ERROR without id or external_id', async () => {
    const { body: sold } = await add('12/21', { seat_id: '1-1;2', paid: 1 });
    await remove('12/21', { id: sold.result.id });
    expect((await remove('12/21', { id: sold.result.id })).body).toEqual({
      status: 'error',
      code: 'TICKET_NOT_FOUND',
      message: 'Ticket not found',
    });
    expect((await remove('12/21', {})).body.code).toBe('VALIDATION_ERROR');
  });
});

describe('holds expire on the clock', () => {
  it('frees the seat once reserved_to passes; the expired ticket is gone for pay and remove', async () => {
    const { body: held } = await add('12/21', { seat_id: '7-1;5', paid: 0, reserved_to: inTheFuture(60_000), external_id: 'late' });
    current = new Date(current.getTime() + 59_000);
    expect(seatOf((await seats(12, 21)).body, '7-1;5')?.available).toBe(false);

    current = new Date(current.getTime() + 2_000);
    expect(seatOf((await seats(12, 21)).body, '7-1;5')?.available).toBe(true);
    expect(sim.view().tickets).toEqual([expect.objectContaining({ id: held.result.id, status: 'expired' })]);
    expect((await add('12/21', { id: held.result.id, paid: 1 })).body.code).toBe('TICKET_NOT_FOUND');
    expect((await remove('12/21', { id: held.result.id })).body.code).toBe('TICKET_NOT_FOUND');
    // Its external_id is free again: the same key books a new ticket.
    const { body: again } = await add('12/21', { seat_id: '7-1;5', paid: 1, external_id: 'late' });
    expect(again.result.id).not.toBe(held.result.id);
  });

  it('moves with POST /__control/clock as well as with the injected clock', async () => {
    await add('12/21', { seat_id: '7-1;4', paid: 0, reserved_to: inTheFuture(10_000) });
    const { body } = await control<{ now: string }>('/clock', 'POST', { advanceMs: 10_000 });
    expect(body.now).toBe(new Date(BASE + 10_000).toISOString());
    expect(seatOf((await seats(12, 21)).body, '7-1;4')?.available).toBe(true);
  });
});

describe('admission zones', () => {
  it('count free_quantity down and sell out with SEAT_NOT_AVAILABLE', async () => {
    // Show 41 offers 5 entry tickets to the dance floor.
    for (let i = 0; i < 5; i++) expect((await add('33/41', { seat_id: '3-1;1', paid: 1 })).body.status).toBe('success');
    const floor = seatOf((await seats(33, 41)).body, '3-1;1');
    expect(floor).toEqual({ seat_id: '3-1;1', available: false, coords: [730, 806], free_quantity: 0, admission: true, price: 800, currency_id: 'RUB' });
    expect((await add('33/41', { seat_id: '3-1;1', paid: 1 })).body).toEqual({
      status: 'error',
      code: 'SEAT_NOT_AVAILABLE',
      message: 'Seat "3-1;1" is not available',
    });
    await remove('33/41', { id: '27061' });
    expect(seatOf((await seats(33, 41)).body, '3-1;1')).toMatchObject({ available: true, free_quantity: 1 });
    expect(sim.view().inventory.find((s) => s.show_id === 41)?.seats.find((s) => s.seat_id === '3-1;1')).toEqual({
      seat_id: '3-1;1',
      zone_id: 3,
      admission: true,
      blocked: false,
      quota: 5,
      free_quantity: 1,
      reserved: [],
      sold: ['27062', '27063', '27064', '27065'],
    });
  });
});

describe('last_update_hash', () => {
  const hashOf = async (show: number) => (await seats(show === 41 ? 33 : 12, show)).body.last_update_hash;

  it('stays the same when the partner books and releases, as the seed examples show', async () => {
    const before = await hashOf(21);
    const { body } = await add('12/21', { seat_id: '6-1;52', paid: 1 });
    expect(body.last_update_hash).toBe(before);
    expect(await hashOf(21)).toBe(before);
    expect((await remove('12/21', { id: body.result.id })).body.last_update_hash).toBe(before);
  });

  it('changes when a seat is sold behind the partner, which then cannot book it', async () => {
    const before = await hashOf(21);
    const otherShowBefore = await hashOf(20);
    const { status, body } = await control<{ last_update_hash: string }>('/seats', 'POST', {
      show_id: 21,
      seat_id: '6-1;53',
      blocked: true,
    });
    expect(status).toBe(200);
    expect(body.last_update_hash).not.toBe(before);
    expect(await hashOf(21)).toBe(body.last_update_hash);
    expect(await hashOf(20)).toBe(otherShowBefore);
    expect(seatOf((await seats(12, 21)).body, '6-1;53')?.available).toBe(false);
    expect((await add('12/21', { seat_id: '6-1;53', paid: 1 })).body.code).toBe('SEAT_NOT_AVAILABLE');
    expect(sim.view().inventory.find((s) => s.show_id === 21)?.seats.find((s) => s.seat_id === '6-1;53')).toMatchObject({
      state: 'unavailable',
      ticket_id: null,
    });
  });

  it('changes with a quota, a price or a touch of the show', async () => {
    const h0 = await hashOf(41);
    await control('/seats', 'POST', { show_id: 41, seat_id: '3-1;1', quota: 2 });
    const h1 = await hashOf(41);
    expect(seatOf((await seats(33, 41)).body, '3-1;1')?.free_quantity).toBe(2);
    await control('/seats', 'POST', { show_id: 41, seat_id: '4-1;50', price: 2500 });
    const h2 = await hashOf(41);
    const { body } = await control<{ last_update_hash: string }>('/shows/41/touch', 'POST');
    expect(new Set([h0, h1, h2, body.last_update_hash]).size).toBe(4);
  });

  it('follows the partner own tickets too when ownTicketsChangeHash is set', async () => {
    await control('/settings', 'POST', { ownTicketsChangeHash: true });
    const before = await hashOf(21);
    const { body } = await add('12/21', { seat_id: '6-1;52', paid: 1 });
    expect(body.last_update_hash).not.toBe(before);
  });
});

describe('scenarios', () => {
  it('refuses a given seat with a given code and message, the given number of times', async () => {
    const { status } = await control('/scenarios/refusals', 'POST', {
      seat_id: '6-1;48',
      code: 'UNKNOWN_ERROR',
      message: 'Внутренняя ошибка',
      times: 1,
    });
    expect(status).toBe(200);
    expect((await add('12/21', { seat_id: '6-1;48', paid: 1 })).body).toEqual({
      status: 'error',
      code: 'UNKNOWN_ERROR',
      message: 'Внутренняя ошибка',
    });
    expect(sim.view().tickets).toEqual([]);
    expect((await add('12/21', { seat_id: '6-1;48', paid: 1 })).body.status).toBe('success');
  });

  it('refuses from TypeScript with the default message of the code, on the seat only', async () => {
    refuseSeat(sim.ctx.state, { show_id: 21, seat_id: '7-1;3', code: 'SEAT_NOT_AVAILABLE' });
    expect((await add('12/21', { seat_id: '7-1;3', paid: 1 })).body).toEqual({
      status: 'error',
      code: 'SEAT_NOT_AVAILABLE',
      message: 'Seat "7-1;3" is not available',
    });
    expect((await add('12/21', { seat_id: '7-1;4', paid: 1 })).body.status).toBe('success');
  });

  it('can make the payment of a hold fail while the hold stays', async () => {
    const { body: held } = await add('12/21', { seat_id: '1-1;3', paid: 0, reserved_to: inTheFuture(60_000) });
    refuseSeat(sim.ctx.state, { seat_id: '1-1;3', code: 'UNKNOWN_ERROR', times: 1 });
    expect((await add('12/21', { id: held.result.id, paid: 1 })).body).toEqual({
      status: 'error',
      code: 'UNKNOWN_ERROR',
      message: 'Unknown error',
    });
    expect(sim.view().tickets).toEqual([expect.objectContaining({ status: 'reserved', barcode: null })]);
  });

  it('can make tickets/remove fail before it succeeds', async () => {
    const { body: held } = await add('12/21', { seat_id: '1-1;2', paid: 1 });
    await control('/scenarios/refusals', 'POST', { method: 'tickets/remove', code: 'UNKNOWN_ERROR', times: 2 });
    expect((await remove('12/21', { id: held.result.id })).body.code).toBe('UNKNOWN_ERROR');
    expect((await remove('12/21', { id: held.result.id })).body.code).toBe('UNKNOWN_ERROR');
    expect((await remove('12/21', { id: held.result.id })).body.result).toBe(true);
  });

  it('hangs tickets/add after success for one seat: the ticket exists though the client timed out', async () => {
    await control('/scenarios/hangs', 'POST', { seat_id: '6-1;47', hangMs: 500, times: 1 });
    const params = { seat_id: '6-1;47', paid: 0, reserved_to: inTheFuture(60_000), external_id: 'ambiguous-1' };
    await expect(
      call('/api/partners/v1/tickets/add/12/21', { query: params, signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    expect(sim.view().inventory.find((s) => s.show_id === 21)?.seats.find((s) => s.seat_id === '6-1;47')).toMatchObject({
      state: 'reserved',
      ticket_id: '27061',
    });
    // The retry with the same external_id finds the ticket the lost answer made.
    const { body } = await add('12/21', params);
    expect(body.result.id).toBe('27061');
    expect(sim.view().tickets).toHaveLength(1);
  });

  it('hangs only the given seat, from TypeScript too', async () => {
    hangSeat(sim.ctx.state, { seat_id: '6-1;47', hangMs: 5_000 });
    const started = Date.now();
    expect((await add('12/21', { seat_id: '6-1;48', paid: 1 })).body.status).toBe('success');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('clears every scenario with DELETE /__control/scenarios', async () => {
    refuseSeat(sim.ctx.state, { seat_id: '6-1;48', code: 'UNKNOWN_ERROR' });
    const { body } = await control<{ scenarios: { refusals: unknown[]; hangs: unknown[] } }>('/scenarios', 'DELETE');
    expect(body.scenarios).toEqual({ refusals: [], hangs: [] });
    expect((await add('12/21', { seat_id: '6-1;48', paid: 1 })).body.status).toBe('success');
  });

  it('answers errors with mapped HTTP statuses when errorHttpStatus is mapped', async () => {
    await control('/settings', 'POST', { errorHttpStatus: 'mapped' });
    expect((await call('/api/partners/v1/events/lists', { token: null })).status).toBe(401);
    await add('12/21', { seat_id: '6-1;52', paid: 1 });
    const taken = await add('12/21', { seat_id: '6-1;52', paid: 1 });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('SEAT_NOT_AVAILABLE');
    expect((await seats(999)).status).toBe(404);
  });
});

describe('control surface', () => {
  it('GET /__control/state shows every seat on sale, every ticket and the clock', async () => {
    await add('12/21', { seat_id: '6-1;52', paid: 0, reserved_to: inTheFuture(60_000), external_id: 'e1' });
    const { body } = await control<ReturnType<RunningQticketsSimulator['view']>>('/state');
    expect(body.now).toBe(new Date(BASE).toISOString());
    expect(body.inventory.map((s) => s.show_id)).toEqual([20, 21, 41, 77]);
    expect(body.inventory.find((s) => s.show_id === 21)?.seats).toHaveLength(16);
    expect(body.tickets).toEqual([
      {
        id: '27061',
        event_id: 12,
        show_id: 21,
        seat_id: '6-1;52',
        paid: 0,
        reserved_to: inTheFuture(60_000),
        external_id: 'e1',
        barcode: null,
        status: 'reserved',
      },
    ]);
  });

  it.each<[string, string, unknown, number]>([
    ['an unknown error code', '/scenarios/refusals', { seat_id: '6-1;52', code: 'NOPE' }, 400],
    ['a hang without hangMs', '/scenarios/hangs', { seat_id: '6-1;52' }, 400],
    ['a seat change that changes nothing', '/seats', { show_id: 21, seat_id: '6-1;52' }, 400],
    ['an unknown show', '/seats', { show_id: 5, seat_id: '6-1;52', blocked: true }, 404],
    ['a seat not on sale', '/seats', { show_id: 21, seat_id: '7-1;1', blocked: true }, 404],
    ['a quota on a numbered seat', '/seats', { show_id: 21, seat_id: '6-1;52', quota: 3 }, 400],
  ])('rejects %s', async (_what, path, body, status) => {
    expect((await control(path, 'POST', body)).status).toBe(status);
  });

  it('will not sell behind the partner a seat the partner holds', async () => {
    await add('12/21', { seat_id: '6-1;52', paid: 1 });
    expect((await control('/seats', 'POST', { show_id: 21, seat_id: '6-1;52', blocked: true })).status).toBe(409);
  });
});

describe('seed-minimal mode: exactly the fields the document describes', () => {
  beforeEach(() => sim.setFaults({ seedMinimal: true }));

  it('events/seats answers the hash and the zones, each seat without the price the text never describes', async () => {
    const { body } = await seats(12, 21);
    expect(Object.keys(body).sort()).toEqual(['last_update_hash', 'zones']);
    expect(body.zones.find((z) => z.zone_id === 1)).toEqual({
      zone_id: 1,
      name: 'VIP 3',
      seats: [
        { seat_id: '1-1;3', available: true, coords: [1032, 137], row: 1, place: 3 },
        { seat_id: '1-1;2', available: true, coords: [1052, 137], row: 1, place: 2 },
      ],
    });
    expect(seatOf(body, '3-1;1')).toEqual({ seat_id: '3-1;1', available: true, coords: [730, 806], free_quantity: 14, admission: true });
  });

  it('tickets/add answers the ticket id, the external_id only when sent, and the barcode only once paid', async () => {
    const held = await add('12/21', { seat_id: '6-1;52', paid: 0, reserved_to: inTheFuture(60_000), external_id: 'm1' });
    expect(held.body).toEqual({ status: 'success', last_update_hash: expect.any(String), result: { id: '27061', external_id: 'm1' } });
    const anonymous = await add('12/21', { seat_id: '6-1;53', paid: 0, reserved_to: inTheFuture(60_000) });
    expect(anonymous.body.result).toEqual({ id: '27062' });
    const paid = await add('12/21', { id: '27061', paid: 1 });
    expect(paid.body.result).toEqual({ id: '27061', external_id: 'm1', barcode: expect.stringMatching(/^\d{13}$/) });
  });

  it('tickets/remove answers success with the hash only; the listing is as the document describes it anyway', async () => {
    await add('12/21', { seat_id: '6-1;52', paid: 0, reserved_to: inTheFuture(60_000), external_id: 'm2' });
    expect((await remove('12/21', { external_id: 'm2' })).body).toEqual({ status: 'success', last_update_hash: expect.any(String), result: true });
    const { body: list } = await call<ListAnswer>('/api/partners/v1/events/lists');
    expect(Object.keys(list.result[0]!).sort()).toEqual(['city', 'event_id', 'event_name', 'last_update_hash', 'scheme', 'show_id', 'start_date']);
  });
});
