/**
 * The Brusnika CRM simulator, driven over real HTTP as Kontur would drive it.
 * Time is a manual clock, so every open -> success/fail transition is proved
 * without waiting; one test runs on the wall clock with short durations.
 */
import type { RunningSimulator } from '../../simulators/harness';
import {
  HUGE_PRICE_PREMISE_ID,
  setBookingOutcome,
  setRemainingBookings,
  setUserStatus,
  startBrusnikaSimulator,
  takeTimeSlot,
  type BrusnikaState,
} from '../../simulators/brusnika';

const TOKEN = 'kontur-integration-token';
const START = Date.parse('2025-07-01T04:00:00.000Z'); // 09:00 in Yekaterinburg
const TIMING = { bookingDecisionMs: 60_000, visitDecisionMs: 120_000, timeSlotHoldMs: 900_000 };

let now = START;
let sim: RunningSimulator<BrusnikaState>;

/** One entity as served; fields beyond `id` are read loosely and asserted on. */
type Row = { [field: string]: unknown; id: number };

interface Answer {
  status: number;
  /** The raw body, for numbers JSON.parse would round. */
  text: string;
  /** `data` is one entity or a list, depending on the route. */
  body: { data: Row & Row[]; meta: { page: number; per_page: number; total: number }; error: { code: string; message: string } };
}

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, body: text === '' ? {} : JSON.parse(text) };
}
const get = (path: string) => call('GET', path);
const post = (path: string, body?: unknown) => call('POST', path, body ?? {});

function advance(ms: number): void {
  now += ms;
}

beforeAll(async () => {
  sim = await startBrusnikaSimulator({ token: TOKEN, port: 0, timing: TIMING, clock: () => now });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  now = START;
  sim.reset();
});

describe('auth', () => {
  test('a request without a Bearer token is refused with 401 in the error format', async () => {
    const res = await call('GET', '/cities', undefined, null);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'Требуется авторизация' } });
  });

  test('a request with a wrong token is refused with 401', async () => {
    const res = await call('GET', '/premises', undefined, 'someone-else');
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: 'unauthorized', message: 'Неверный токен авторизации' });
  });

  test('an unknown path answers 404 in the error format', async () => {
    const res = await get('/apartments');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('reference lists', () => {
  test('cities carry id, name, long and lat (coordinates as strings), paged with meta', async () => {
    const res = await get('/cities?per_page=2&page=2');
    expect(res.status).toBe(200);
    expect(res.body.meta).toEqual({ page: 2, per_page: 2, total: 4 });
    expect(res.body.data).toEqual([
      { id: 3, name: 'Новосибирск', long: '82.920430', lat: '55.030199' },
      { id: 4, name: 'Сургут', long: '73.396221', lat: '61.254035' },
    ]);
  });

  test('projects carry the seed fields and filter by city', async () => {
    const res = await get('/projects?city_id=1');
    expect(res.body.data.map((p: { id: number }) => p.id)).toEqual([11, 12]);
    expect(Object.keys(res.body.data[0]).sort()).toEqual(
      ['id', 'city_id', 'name', 'brief_description', 'detailed_description', 'end_date', 'photo', 'link', 'description'].sort(),
    );
    expect(res.body.data[0].end_date).toBe('2026-12-31');
  });

  test('buildings report free premises by type as strings, counting neither booked nor sold', async () => {
    const res = await get('/buildings?project_id=11');
    expect(res.body.data[0]).toEqual({
      id: 111,
      project_id: 11,
      address: 'г. Екатеринбург, ул. Прибрежная, 5',
      number_of_floors: 12,
      brief_description: 'Дом 1 у пруда',
      detailed_description: 'Двухсекционный дом с видом на пруд, кладовые в подвале.',
      total_apartment: '2',
      total_parking_space: '0',
      total_storage: '1',
      total_commercial: '0',
    });
    expect(res.body.data[1]).toMatchObject({ id: 112, total_apartment: '1', total_parking_space: '1' });
  });

  test('sections filter by building and by project', async () => {
    expect((await get('/sections?building_id=111')).body.data.map((s: { id: number }) => s.id)).toEqual([1111, 1112]);
    expect((await get('/sections?project_id=11')).body.data.map((s: { id: number }) => s.id)).toEqual([1111, 1112, 1121]);
  });

  test('a premise carries every seed field with the seed enums', async () => {
    const res = await get('/premises?building_id=111&per_page=1');
    expect(res.body.data[0]).toEqual({
      id: 1001,
      building_id: 111,
      section_id: 1111,
      type: 'apartment',
      rooms: 1,
      size: 38.4,
      price: 5890000,
      floor: 3,
      feature: ['sign_balcony', 'sign_window_in_the_bathroom'],
      photos: ['https://brusnika.ru/media/premises/1001/plan.jpg', 'https://brusnika.ru/media/premises/1001/floor.jpg'],
      is_booked: false,
      is_sold: false,
      purchase_option: ['mortage', 'installment', 'bill', 'full_payment'],
    });
  });

  test('a price above 2^53 is written as an exact integer literal', async () => {
    const res = await get(`/premises?project_id=31&type=commercial`);
    expect(res.text).toContain(`"id":${HUGE_PRICE_PREMISE_ID},`);
    expect(res.text).toContain('"price":9007199254740993,');
    expect(res.text).not.toContain('"9007199254740993"');
  });

  test('price filters are compared exactly, even beyond 2^53', async () => {
    const atLeast = await get('/premises?price_min=9007199254740993');
    expect(atLeast.body.data.map((p: { id: number }) => p.id)).toEqual([HUGE_PRICE_PREMISE_ID]);
    const below = await get('/premises?price_min=9007199254740992&price_max=9007199254740992');
    expect(below.body.data).toEqual([]);
    const band = await get('/premises?price_min=5000000&price_max=7000000');
    expect(band.body.data.map((p: { id: number }) => p.id)).toEqual([1001, 1006, 3001]);
  });

  test('premises filter by project, type, rooms, feature, purchase option and free only', async () => {
    const ids = async (query: string) => (await get(`/premises?${query}`)).body.data.map((p: { id: number }) => p.id);
    expect(await ids('project_id=11&type=apartment')).toEqual([1001, 1002, 1003, 1004, 1006]);
    expect(await ids('project_id=11&type=apartment&free_only=true')).toEqual([1001, 1002, 1006]);
    expect(await ids('rooms=2,3&project_id=21')).toEqual([3001, 3002]);
    expect(await ids('rooms=3&rooms=4')).toEqual([1003, 2001, 3002, 3102]);
    expect(await ids('type=parking,storeroom&building_id=112')).toEqual([1007, 1008]);
    expect(await ids('feature=sign_separate_entrance,sign_floor_to_ceiling')).toEqual([2003, HUGE_PRICE_PREMISE_ID]);
    expect(await ids('purchase_option=mortage&project_id=31')).toEqual([3101, 3102]);
  });

  test('an invalid filter is refused with 400 validation_error', async () => {
    for (const query of ['price_min=12.5', 'price_max=-1', 'type=villa', 'free_only=yes', 'per_page=1000']) {
      const res = await get(`/premises?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
    }
  });

  test('leads carry state and current_status in the seed spelling and filter by them', async () => {
    const res = await get(`/leads?state=${encodeURIComponent('Выиграна')}`);
    expect(res.body.data).toEqual([
      {
        id: 903,
        client_id: 801,
        premise_id: 1004,
        state: 'Выиграна',
        current_status: 'договор зарегистрирован',
        sign_nps_passed: true,
        fee: 136800,
        start_date: '2024-11-20',
        status_updated_at: '2025-01-28',
        agent_id: 501,
        manager_id: 505,
      },
    ]);
    const paused = await get(`/leads?current_status=${encodeURIComponent('на паузе')}`);
    expect(paused.body.data.map((l: { id: number }) => l.id)).toEqual([905]);
  });

  test('time slots list only free slots, filtered by project and date', async () => {
    const all = await get('/time-slots?project_id=11&per_page=100');
    expect(all.body.meta.total).toBe(8); // nine slots, one used by visit 401
    expect(all.body.data[0]).toEqual({
      id: 1,
      project_id: 11,
      date: '2025-07-02',
      time: '10:00',
      is_free: true,
      agent_id: null,
      client_id: null,
      visit_id: null,
      reserved_until: null,
    });
    const day = await get('/time-slots?project_id=21&date=2025-07-03');
    expect(day.body.data.map((s) => s.time)).toEqual(['10:00', '13:00', '16:00']);
  });
});

describe('agencies', () => {
  test('search by inn finds the agency with every seed field', async () => {
    const res = await get('/agencies/search?inn=6671234567');
    expect(res.body.data).toEqual([
      {
        id: 701,
        title: 'АН «Квартал»',
        city_id: 1,
        legalName: 'ООО «Квартал-Недвижимость»',
        inn: '6671234567',
        phone: '+73432100701',
        email: 'office@an-kvartal.ru',
        ownerFullName: 'Григорьев Олег Викторович',
        ownerPhone: '+79122100701',
      },
    ]);
  });

  test('search by title matches a part of it, case-insensitively', async () => {
    const res = await get(`/agencies/search?title=${encodeURIComponent('этажи')}`);
    expect(res.body.data.map((a: { id: number }) => a.id)).toEqual([702]);
    expect((await get('/agencies/search?inn=0000000000')).body.data).toEqual([]);
  });

  test('search without inn or title is refused with 400', async () => {
    const res = await get('/agencies/search');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
  });

  test('create agency answers 201 and the agency is then found', async () => {
    const res = await post('/agencies', { title: 'Новый Дом', city_id: 4, inn: '8602123456', legalName: 'ООО «Новый Дом»', email: 'info@novdom.ru' });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      id: 704,
      title: 'Новый Дом',
      city_id: 4,
      legalName: 'ООО «Новый Дом»',
      inn: '8602123456',
      phone: null,
      email: 'info@novdom.ru',
      ownerFullName: null,
      ownerPhone: null,
    });
    expect((await get('/agencies/search?inn=8602123456')).body.data[0].id).toBe(704);
  });

  test('create agency refuses a taken inn, a malformed inn and an unknown city', async () => {
    expect(await post('/agencies', { title: 'Дубль', city_id: 1, inn: '6671234567' })).toMatchObject({
      status: 409,
      body: { error: { code: 'agency_exists', message: 'Агентство с таким ИНН уже существует' } },
    });
    expect((await post('/agencies', { title: 'Кривой', city_id: 1, inn: '12345' })).status).toBe(400);
    expect((await post('/agencies', { title: 'Где-то', city_id: 99, inn: '1234567890' })).body.error.code).toBe('city_not_found');
  });
});

describe('clients', () => {
  test('search by phone matches whatever the number is written like', async () => {
    const res = await get(`/clients/search?phone_number=${encodeURIComponent('8 (912) 001-00-01')}`);
    expect(res.body.data).toEqual([
      {
        id: 801,
        fullname: 'Смирнов Алексей Дмитриевич',
        phone_number: '+79120010001',
        comment: 'Интересует двушка до 9 млн, ипотека',
        actived_date: '2025-03-04T07:15:00.000Z',
        fixing_type_updated_at: '2025-03-05T09:00:00.000Z',
        expiration_date: '2025-09-05T09:00:00.000Z',
        fixing_type: 'сильное закрепление',
        agent_id: 501,
      },
    ]);
    expect((await get('/clients/search?phone_number=%2B79990000000')).body.data).toEqual([]);
  });

  test('create client answers 201 with fixing_type "проверка лида"', async () => {
    const res = await post('/clients', { fullname: 'Белова Ольга Николаевна', phone_number: '+7 922 111-22-33', agent_id: 501 });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      id: 805,
      fullname: 'Белова Ольга Николаевна',
      phone_number: '+7 922 111-22-33',
      comment: null,
      actived_date: '2025-07-01T04:00:00.000Z',
      fixing_type_updated_at: '2025-07-01T04:00:00.000Z',
      expiration_date: null,
      fixing_type: 'проверка лида',
      agent_id: 501,
    });
    expect((await get('/clients/search?phone_number=79221112233')).body.data[0].id).toBe(805);
  });

  test('create client refuses a known phone, a blocked agent and an unknown agent', async () => {
    expect((await post('/clients', { fullname: 'Смирнов А. Д.', phone_number: '89120010001', agent_id: 501 })).body.error).toEqual({
      code: 'client_exists',
      message: 'Клиент с таким номером телефона уже существует',
    });
    const blocked = await post('/clients', { fullname: 'Новиков Пётр', phone_number: '+79220000001', agent_id: 502 });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error).toEqual({ code: 'user_blocked', message: 'Пользователь заблокирован' });
    const unknown = await post('/clients', { fullname: 'Новиков Пётр', phone_number: '+79220000001', agent_id: 999 });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('agent_not_found');
    expect((await post('/clients', { fullname: 'Новиков Пётр', phone_number: '12-34', agent_id: 501 })).status).toBe(400);
  });
});

describe('bookings', () => {
  const book = (premise_id: number, extra: Record<string, unknown> = {}) =>
    post('/bookings', { premise_id, client_id: 801, agent_id: 501, purchase_option: 'mortage', ...extra });
  const premise = async (id: number) =>
    (await get(`/premises?per_page=100`)).body.data.find((p: { id: number }) => p.id === id);
  const user = async (id: number) => {
    const state = JSON.parse((await get('/__control/state')).text) as { users: { id: number; remaining_user_creation_limit: number }[] };
    return state.users.find((u) => u.id === id);
  };

  test('the fixtures hold one booking in each status', async () => {
    expect((await get('/bookings/601')).body.data).toEqual({
      id: 601,
      premise_id: 1003,
      client_id: 801,
      agent_id: 501,
      date: '2025-06-02',
      time: '14:30',
      purchase_option: 'mortage',
      status: 'success',
      reason: null,
      status_updated_at: '2025-06-02T09:31:00.000Z',
    });
    expect((await get('/bookings/602')).body.data.status).toBe('open');
    expect((await get('/bookings/603')).body.data).toMatchObject({ status: 'fail', reason: 'Клиент закреплён за другим агентом' });
  });

  test('a new booking is open, holds the premise, takes one of the agent bookings and moves the lead to "бронь"', async () => {
    const res = await book(1001);
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      id: 604,
      premise_id: 1001,
      client_id: 801,
      agent_id: 501,
      date: '2025-07-01',
      time: '09:00',
      purchase_option: 'mortage',
      status: 'open',
      reason: null,
      status_updated_at: '2025-07-01T04:00:00.000Z',
    });
    expect(await premise(1001)).toMatchObject({ is_booked: true });
    expect((await user(501))?.remaining_user_creation_limit).toBe(4);
    const leads = await get('/leads?client_id=801&premise_id=1001');
    expect(leads.body.data).toEqual([expect.objectContaining({ state: 'Активные', current_status: 'бронь', start_date: '2025-07-01' })]);
    expect((await get('/buildings?project_id=11')).body.data[0].total_apartment).toBe('1');
  });

  test('a booking keeps the date and time Kontur sends', async () => {
    const res = await book(1002, { date: '2025-07-02', time: '18:45' });
    expect(res.body.data).toMatchObject({ date: '2025-07-02', time: '18:45' });
  });

  test('an open booking turns success once the CRM decision delay has passed', async () => {
    const { body } = await book(1001);
    advance(TIMING.bookingDecisionMs - 1);
    expect((await get(`/bookings/${body.data.id}`)).body.data.status).toBe('open');
    advance(1);
    expect((await get(`/bookings/${body.data.id}`)).body.data).toMatchObject({ status: 'success', reason: null, status_updated_at: '2025-07-01T04:01:00.000Z' });
    expect(await premise(1001)).toMatchObject({ is_booked: true });
  });

  test('a premise the CRM refuses ends the booking fail with the reason, frees the premise and gives the booking back', async () => {
    const outcome = await post('/__control/scenarios/booking-outcome', { premise_id: 1002, status: 'fail', reason: 'Клиент закреплён за другим агентом' });
    expect(outcome.status).toBe(200);
    const { body } = await book(1002);
    advance(TIMING.bookingDecisionMs);
    expect((await get(`/bookings/${body.data.id}`)).body.data).toMatchObject({ status: 'fail', reason: 'Клиент закреплён за другим агентом' });
    expect(await premise(1002)).toMatchObject({ is_booked: false });
    expect((await user(501))?.remaining_user_creation_limit).toBe(5);
    expect((await get('/leads?client_id=801&premise_id=1002')).body.data[0].current_status).toBe('слетевшая бронь');
  });

  test('the outcome set in TypeScript decides the fixture open booking', async () => {
    setBookingOutcome(sim.ctx.state, 1008, { status: 'fail', reason: 'Не внесена предоплата' });
    advance(TIMING.bookingDecisionMs);
    expect((await get('/bookings/602')).body.data).toMatchObject({ status: 'fail', reason: 'Не внесена предоплата' });
  });

  test('a booked premise is refused with 409 premise_booked, a sold one with 409 premise_sold', async () => {
    expect(await book(1003)).toMatchObject({ status: 409, body: { error: { code: 'premise_booked', message: 'Помещение уже забронировано' } } });
    expect(await book(1004)).toMatchObject({ status: 409, body: { error: { code: 'premise_sold', message: 'Помещение уже продано' } } });
    await book(1001);
    expect((await book(1001, { client_id: 802 })).body.error.code).toBe('premise_booked');
  });

  test('a premise sold through the control surface is refused', async () => {
    expect((await post('/__control/premises/1006', { is_sold: true })).status).toBe(200);
    expect((await book(1006)).body.error.code).toBe('premise_sold');
  });

  test('a blocked agent is refused with 403 user_blocked', async () => {
    const res = await book(1001, { agent_id: 502 });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'user_blocked', message: 'Пользователь заблокирован' });
  });

  test('an agent with no bookings left is refused with 403 booking_limit_exceeded', async () => {
    const res = await book(3001, { agent_id: 503, client_id: 803 });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'booking_limit_exceeded', message: 'Лимит бронирований исчерпан' });
  });

  test('blocking a user and setting remaining bookings over HTTP take effect on the next booking', async () => {
    const blocked = await post('/__control/users/501', { status: 'blocked' });
    expect(blocked.body.data.status).toBe('blocked');
    expect((await book(1001)).body.error.code).toBe('user_blocked');
    await post('/__control/users/501', { status: 'active', remaining_user_creation_limit: 0 });
    expect((await book(1001)).body.error.code).toBe('booking_limit_exceeded');
    await post('/__control/users/501', { remaining_user_creation_limit: 1 });
    expect((await book(1001)).status).toBe(201);
    expect((await book(1002)).body.error.code).toBe('booking_limit_exceeded');
  });

  test('blocking a user and setting remaining bookings in TypeScript take effect', async () => {
    setUserStatus(sim.ctx.state, 504, 'blocked');
    expect((await book(3101, { agent_id: 504, client_id: 804 })).status).toBe(403);
    setUserStatus(sim.ctx.state, 504, 'active');
    setRemainingBookings(sim.ctx.state, 504, 0);
    expect((await book(3101, { agent_id: 504, client_id: 804 })).body.error.code).toBe('booking_limit_exceeded');
  });

  test('unknown references are 422, a purchase option the premise lacks is 422, a malformed body is 400', async () => {
    expect((await book(9999)).body.error.code).toBe('premise_not_found');
    expect((await book(1001, { client_id: 9999 })).body.error.code).toBe('client_not_found');
    const option = await book(2003, { purchase_option: 'mortage' });
    expect(option.status).toBe(422);
    expect(option.body.error.code).toBe('purchase_option_not_available');
    expect((await book(1001, { purchase_option: 'mortgage' })).status).toBe(400);
    expect((await book(1001, { time: '25:00' })).status).toBe(400);
  });

  test('cancel ends the booking fail, frees the premise, gives the booking back and marks the lead "отмененная бронь"', async () => {
    const { body } = await book(1001);
    const res = await post(`/bookings/${body.data.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: body.data.id, status: 'fail', reason: 'Отменено агентом' });
    expect(await premise(1001)).toMatchObject({ is_booked: false });
    expect((await user(501))?.remaining_user_creation_limit).toBe(5);
    expect((await get('/leads?client_id=801&premise_id=1001')).body.data[0].current_status).toBe('отмененная бронь');
    // The decision falling due later does not revive a cancelled booking.
    advance(TIMING.bookingDecisionMs);
    expect((await get(`/bookings/${body.data.id}`)).body.data.status).toBe('fail');
  });

  test('a successful booking can be cancelled; a failed one answers 409 booking_not_active', async () => {
    expect((await post('/bookings/601/cancel')).body.data.status).toBe('fail');
    expect(await premise(1003)).toMatchObject({ is_booked: false });
    const again = await post('/bookings/601/cancel');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('booking_not_active');
  });

  test('an unknown booking is 404 for read and cancel', async () => {
    expect((await get('/bookings/9999')).status).toBe(404);
    expect((await post('/bookings/9999/cancel')).body.error.code).toBe('not_found');
  });
});

describe('time slots and visits', () => {
  const slot = async (id: number) => {
    const state = JSON.parse((await get('/__control/state')).text) as BrusnikaState;
    return state.timeSlots.find((s) => s.id === id);
  };

  test('booking a free slot holds it for the agent and client until the hold lapses', async () => {
    const res = await post('/time-slots/1/book', { agent_id: 501, client_id: 801 });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      id: 1,
      project_id: 11,
      date: '2025-07-02',
      time: '10:00',
      is_free: false,
      agent_id: 501,
      client_id: 801,
      visit_id: null,
      reserved_until: '2025-07-01T04:15:00.000Z',
    });
    expect((await get('/time-slots?project_id=11')).body.data.map((s: { id: number }) => s.id)).not.toContain(1);
    // Booking it again for the same pair is a retry, not a conflict.
    expect((await post('/time-slots/1/book', { agent_id: 501, client_id: 801 })).status).toBe(200);
    expect((await post('/time-slots/1/book', { agent_id: 504, client_id: 804 })).body.error.code).toBe('time_slot_taken');
    advance(TIMING.timeSlotHoldMs);
    expect((await get('/time-slots?project_id=11')).body.data.map((s: { id: number }) => s.id)).toContain(1);
  });

  test('a slot taken meanwhile is refused with 409 time_slot_taken, for the slot and for a visit', async () => {
    const taken = await post('/__control/time-slots/2/take');
    expect(taken.body.data.is_free).toBe(false);
    const res = await post('/time-slots/2/book', { agent_id: 501, client_id: 801 });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({ code: 'time_slot_taken', message: 'Выбранное время уже занято' });
    takeTimeSlot(sim.ctx.state, 3);
    const visit = await post('/visits', { project_id: 11, agent_id: 501, client_id: 801, date: '2025-07-02', time: '16:00' });
    expect(visit.status).toBe(409);
    expect(visit.body.error.code).toBe('time_slot_taken');
  });

  test('a visit on a held slot uses it, starts open with request timestamps and becomes success after the delay', async () => {
    await post('/time-slots/4/book', { agent_id: 501, client_id: 802 });
    const res = await post('/visits', { project_id: 11, agent_id: 501, client_id: 802, date: '2025-07-03', time: '10:00' });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      id: 402,
      project_id: 11,
      agent_id: 501,
      client_id: 802,
      date: '2025-07-03',
      time: '10:00',
      request_date: '2025-07-01T04:00:00.000Z',
      request_time: '2025-07-01T04:00:00.000Z',
      status: 'open',
      reason: null,
      status_updated_at: '2025-07-01T04:00:00.000Z',
      time_slot_id: 4,
    });
    // The slot no longer lapses: it belongs to the visit.
    advance(TIMING.timeSlotHoldMs);
    expect(await slot(4)).toMatchObject({ visit_id: 402, agent_id: 501 });
    advance(TIMING.visitDecisionMs);
    expect((await get('/visits/402')).body.data.status).toBe('success');
  });

  test('a visit on a free slot takes it; one with no slot at that time is 422', async () => {
    const res = await post('/visits', { project_id: 21, agent_id: 504, client_id: 804, date: '2025-07-02', time: '13:00' });
    expect(res.status).toBe(201);
    expect(await slot(Number(res.body.data.time_slot_id))).toMatchObject({ project_id: 21, visit_id: res.body.data.id });
    const none = await post('/visits', { project_id: 21, agent_id: 504, client_id: 804, date: '2025-07-02', time: '11:00' });
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe('time_slot_not_found');
  });

  test('a visit refused by the manager ends fail with the reason and frees its slot', async () => {
    await post('/__control/scenarios/visit-outcome', { project_id: 11, status: 'fail', reason: 'Нет свободного менеджера' });
    const { body } = await post('/visits', { project_id: 11, agent_id: 501, client_id: 801, date: '2025-07-02', time: '13:00' });
    advance(TIMING.visitDecisionMs);
    expect((await get(`/visits/${body.data.id}`)).body.data).toMatchObject({ status: 'fail', reason: 'Нет свободного менеджера' });
    expect((await slot(Number(body.data.time_slot_id)))?.visit_id).toBeNull();
  });

  test('cancel visit ends it fail and frees the slot; cancelling again is 409, an unknown visit 404', async () => {
    const res = await post('/visits/401/cancel');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: 401, status: 'fail', reason: 'Отменено агентом' });
    expect(await slot(9)).toMatchObject({ agent_id: null, visit_id: null });
    expect((await post('/visits/401/cancel')).body.error.code).toBe('visit_not_active');
    expect((await get('/visits/9999')).status).toBe(404);
  });

  test('a blocked agent cannot book a slot or create a visit', async () => {
    expect((await post('/time-slots/1/book', { agent_id: 502, client_id: 801 })).status).toBe(403);
    expect((await post('/visits', { project_id: 11, agent_id: 502, client_id: 801, date: '2025-07-02', time: '10:00' })).status).toBe(403);
    expect((await post('/time-slots/999/book', { agent_id: 501, client_id: 801 })).status).toBe(404);
  });
});

describe('bookings and visits listed by their fields', () => {
  test('bookings filter by client and premise; visits by client and project', async () => {
    const bookings = await get('/bookings?client_id=801&premise_id=1003');
    expect(bookings.status).toBe(200);
    expect(bookings.body.data.map((b: Row) => b.id)).toEqual([601]);
    expect((await get('/bookings?client_id=802')).body.data.map((b: Row) => b.id)).toEqual([602]);
    const visits = await get('/visits?client_id=801&project_id=11');
    expect(visits.body.data).toEqual([expect.objectContaining({ id: 401, status: 'success' })]);
    expect((await get('/visits?client_id=801&project_id=21')).body.data).toEqual([]);
  });

  test('a CRM without these lists answers 404 for them', async () => {
    expect((await post('/__control/scenarios/record-lists', { served: false })).status).toBe(200);
    expect((await get('/bookings?client_id=801')).status).toBe(404);
    expect((await get('/visits?client_id=801')).status).toBe(404);
    expect((await get('/bookings/601')).status).toBe(200);
  });
});

describe('seed-minimal answers: exactly the fields the seed lists', () => {
  beforeEach(() => sim.setFaults({ seedMinimal: true }));

  test('a premise has no section_id, one feature and one purchase option', async () => {
    const [premise] = (await get('/premises?building_id=111&per_page=1')).body.data;
    expect(Object.keys(premise!).sort()).toEqual(['building_id', 'feature', 'floor', 'id', 'is_booked', 'is_sold', 'photos', 'price', 'purchase_option', 'rooms', 'size', 'type']);
    expect(premise).toMatchObject({ id: 1001, feature: 'sign_balcony', purchase_option: 'mortage' });
    const storeroom = (await get('/premises?type=storeroom&building_id=111')).body.data[0];
    expect(storeroom).toMatchObject({ id: 1005, feature: null, purchase_option: 'installment' });
  });

  test('projects carry no city_id, buildings no project_id; sections and time slots the fields a caller needs', async () => {
    expect(Object.keys((await get('/projects')).body.data[0]!)).not.toContain('city_id');
    expect(Object.keys((await get('/buildings')).body.data[0]!)).not.toContain('project_id');
    expect(Object.keys((await get('/sections')).body.data[0]!).sort()).toEqual(['building_id', 'id']);
    expect(Object.keys((await get('/time-slots')).body.data[0]!).sort()).toEqual(['date', 'id', 'project_id', 'time']);
  });

  test('bookings and visits carry no reason and no status_updated_at', async () => {
    const created = await post('/bookings', { premise_id: 1001, client_id: 801, agent_id: 501, purchase_option: 'mortage' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body.data).sort()).toEqual(['agent_id', 'client_id', 'date', 'id', 'premise_id', 'purchase_option', 'status', 'time']);
    const cancelled = await post(`/bookings/${created.body.data.id}/cancel`);
    expect(cancelled.body.data).toMatchObject({ status: 'fail' });
    expect(cancelled.body.data.reason).toBeUndefined();
    const visit = (await get('/visits/401')).body.data;
    expect(Object.keys(visit).sort()).toEqual(['agent_id', 'client_id', 'date', 'id', 'project_id', 'request_date', 'request_time', 'status', 'time']);
  });
});

describe('control surface', () => {
  test('GET /__control/state shows the whole inventory with exact prices', async () => {
    const res = await get('/__control/state');
    expect(res.status).toBe(200);
    expect(res.text).toContain('"price":9007199254740993');
    const state = JSON.parse(res.text) as BrusnikaState;
    expect(state.users.map((u) => u.status)).toContain('blocked');
    expect(state.bookings.map((b) => b.status).sort()).toEqual(['fail', 'open', 'success']);
  });

  test('a fail outcome without a reason is refused with 400', async () => {
    const res = await post('/__control/scenarios/booking-outcome', { premise_id: 1001, status: 'fail' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
  });

  test('fault injection of the harness applies to the provider routes', async () => {
    sim.setFaults({ failNext: 1 });
    expect((await get('/cities')).status).toBe(503);
    expect((await get('/cities')).status).toBe(200);
  });
});

describe('on the wall clock', () => {
  test('with a short decision delay a booking is decided without a clock of its own', async () => {
    const live = await startBrusnikaSimulator({ token: TOKEN, port: 0, timing: { bookingDecisionMs: 30 } });
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const created = await fetch(`${live.url}/bookings`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ premise_id: 1001, client_id: 801, agent_id: 501, purchase_option: 'bill' }),
      });
      const { data } = (await created.json()) as { data: { id: number; status: string } };
      expect(data.status).toBe('open');
      let status = data.status;
      for (let attempt = 0; attempt < 50 && status === 'open'; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        const res = await fetch(`${live.url}/bookings/${data.id}`, { headers });
        status = ((await res.json()) as { data: { status: string } }).data.status;
      }
      expect(status).toBe('success');
    } finally {
      await live.close();
    }
  });
});
