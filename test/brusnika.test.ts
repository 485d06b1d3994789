/**
 * Premises and visits booked in Brusnika's CRM, end to end: the API over HTTP,
 * a real Temporal server, the worker, and the Brusnika simulator over HTTP (the
 * worker reaches it through a pass-through proxy that can lose one answer).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parseBrusnikaJson } from '../activities/brusnika/contract';
import { brusnikaBinding } from '../api/providers/brusnika';
import type { RunningSimulator } from '../simulators/harness';
import {
  type BrusnikaState,
  CANCELLED_REASON,
  HUGE_PRICE,
  HUGE_PRICE_PREMISE_ID,
  setBookingOutcome,
  setRecordListsServed,
  setRemainingBookings,
  setVisitOutcome,
  startBrusnikaSimulator,
  stateView,
  takeTimeSlot,
} from '../simulators/brusnika';
import { type BookingView, workflowIdFor } from '../workflows/booking';
import { type Stack, eventually, operatorView, startStack } from './support/stack';

const BRUSNIKA_TOKEN = 'brusnika-test-token';
const CATALOGUE = '/api/v1/providers/brusnika';

const timing = {
  pollInitialMs: 100,
  pollMaxMs: 300,
  callDeadlineMs: 20_000,
  decisionDeadlineMs: 20_000,
  bookedWatchMs: 60_000,
  releaseEscalationMs: 5_000,
};

let sim: RunningSimulator<BrusnikaState>;
let proxy: LossyProxy;
let stack: Stack;

/** Between the worker and the simulator: passes everything on, except that it can lose the answer to one call. */
interface LossyProxy {
  url: string;
  /** The next call to `method path` reaches the CRM, but its answer never comes back. */
  loseNextAnswer(method: string, path: string): void;
  close(): Promise<void>;
}

async function startLossyProxy(target: string): Promise<LossyProxy> {
  const losing: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', target);
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'accept']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      void fetch(url, { method: req.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined }).then(async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer());
        const lost = losing.indexOf(`${req.method} ${url.pathname}`);
        if (lost >= 0) {
          losing.splice(lost, 1);
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    loseNextAnswer: (method, path) => void losing.push(`${method} ${path}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  sim = await startBrusnikaSimulator({ token: BRUSNIKA_TOKEN, timing: { bookingDecisionMs: 600, visitDecisionMs: 600, timeSlotHoldMs: 60_000 } });
  proxy = await startLossyProxy(sim.url);
  const endpoint = { provider: 'brusnika', baseUrl: sim.url, token: BRUSNIKA_TOKEN, timeoutMs: 2_000 };
  stack = await startStack({
    providers: { brusnika: { ...endpoint, baseUrl: proxy.url } },
    bindings: { brusnika: brusnikaBinding({ endpoint, timing }) },
  });
  // Agent 501 books in many tests; the fixture gives them 5.
  setRemainingBookings(sim.ctx.state, 501, 100);
});

afterAll(async () => {
  await stack?.close();
  await proxy?.close();
  await sim?.close();
});

// ---------------------------------------------------------------------------
// Helpers: what an agent's app does, and what the CRM holds.

let phoneCounter = 0;
/** A phone no fixture client has. */
const newPhone = () => `+7999${String(Date.now() % 1_000_000).padStart(6, '0')}${(phoneCounter++ % 10).toString()}`;

const newClient = () => ({ fullname: 'Белова Ольга Петровна', phone_number: newPhone(), comment: 'Хочет въехать до зимы' });
/** Fixture client 801, fixed to agent 501, written as an agent might type it. */
const EXISTING_CLIENT = { fullname: 'Смирнов Алексей Дмитриевич', phone_number: '8 (912) 001-00-01' };

const premiseRequest = (fields: Record<string, unknown>) => ({ kind: 'premise', agent_id: 501, client: newClient(), purchase_option: 'full_payment', ...fields });

async function book(request: Record<string, unknown>) {
  const res = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'brusnika', request } });
  expect(res.status).toBe(202);
  return res.body as { bookingId: string };
}

async function view(bookingId: string): Promise<BookingView> {
  const res = await stack.api(`/api/v1/bookings/${bookingId}`);
  expect(res.status).toBe(200);
  return res.body as BookingView;
}

const until = (bookingId: string, what: string, check: (v: BookingView) => boolean, timeoutMs = 20_000) =>
  eventually(async () => {
    const v = await view(bookingId);
    return check(v) ? v : undefined;
  }, `booking ${bookingId} to be ${what}`, timeoutMs);
const untilStatus = (bookingId: string, status: string) => until(bookingId, status, (v) => v.status === status);
const untilStage = (bookingId: string, stage: string) => until(bookingId, stage, (v) => v.stage === stage);

const cancel = (bookingId: string, reason?: string) =>
  stack.api(`/api/v1/bookings/${bookingId}/cancel`, { method: 'POST', json: reason ? { reason } : {} });

const crm = () => stateView(sim.ctx.state, Date.now());
const premiseInCrm = (id: number) => crm().premises.find((p) => p.id === id)!;
const bookingInCrm = (id: number) => crm().bookings.find((b) => b.id === id)!;
const clientsWithPhone = (phone: string) => crm().clients.filter((c) => c.phone_number === phone);
const catalogue = (path: string) => stack.api(`${CATALOGUE}${path}`);
const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

// ---------------------------------------------------------------------------

describe('the catalogue an agent searches', () => {
  test('an agent narrows cities, projects, buildings and sections down to free apartments by rooms and price', async () => {
    const cities = await catalogue('/cities');
    expect(cities.status).toBe(200);
    expect(cities.body.data).toContainEqual({ id: 1, name: 'Екатеринбург', long: '60.597474', lat: '56.838011' });
    expect(cities.body.meta).toEqual({ page: 1, per_page: 20, total: 4 });
    expect(ids((await catalogue('/projects?city_id=1')).body.data)).toEqual([11, 12]);
    const buildings = (await catalogue('/buildings?project_id=11')).body.data;
    expect(buildings[0]).toMatchObject({ id: 111, total_apartment: '2', total_storage: '1' });
    expect(ids((await catalogue('/sections?building_id=111')).body.data)).toEqual([1111, 1112]);

    expect(ids((await catalogue('/premises?project_id=11&type=apartment')).body.data)).toEqual([1001, 1002, 1003, 1004, 1006]);
    expect(ids((await catalogue('/premises?project_id=11&type=apartment&free_only=true')).body.data)).toEqual([1001, 1002, 1006]);
    const found = await catalogue('/premises?project_id=11&type=apartment&rooms=1,2&price_min=6000000&price_max=9000000&free_only=true');
    expect(found.body.data).toEqual([
      expect.objectContaining({ id: 1002, rooms: 2, price: '8340000', is_booked: false, is_sold: false }),
      expect.objectContaining({ id: 1006, rooms: 1, price: '6250000', feature: ['sign_separate_entrance', 'sign_terrace'] }),
    ]);
    expect(ids((await catalogue('/premises?type=parking,storeroom&building_id=112')).body.data)).toEqual([1007, 1008]);
  });

  test('free time slots list by project and date', async () => {
    const slots = (await catalogue('/time-slots?project_id=11')).body.data;
    expect(slots).toHaveLength(8);
    expect(slots[0]).toEqual(expect.objectContaining({ project_id: 11, is_free: true, time: '10:00', date: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) }));
    const oneDay = (await catalogue(`/time-slots?project_id=11&date=${slots[0].date}`)).body.data;
    expect(oneDay.map((s: { time: string }) => s.time)).toEqual(['10:00', '13:00', '16:00']);
  });

  test('a bad or unknown filter is a 400 naming it; an unreachable CRM is a 503', async () => {
    const bad = await catalogue('/premises?rooms=two&price_min=12.5');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['rooms.0', 'price_min']);
    const unknown = await catalogue('/premises?colour=green');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/colour/);
    sim.setFaults({ failNext: 1 });
    const down = await catalogue('/cities');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('provider_unavailable');
    const noToken = await stack.api(`${CATALOGUE}/cities`, { token: null });
    expect(noToken.status).toBe(401);
  });
});

describe('booking a premise', () => {
  test('a new client is created under the agent, the agency is registered, and the CRM confirms the booking', async () => {
    const client = newClient();
    const agency = { inn: '6679000001', title: 'АН «Новый адрес»', city_id: 1 };
    const started = await book(premiseRequest({ premise_id: 2001, client, agency }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');

    const [created] = clientsWithPhone(client.phone_number);
    expect(created).toMatchObject({ agent_id: 501, fullname: client.fullname, fixing_type: 'проверка лида' });
    const newAgency = crm().agencies.find((a) => a.inn === agency.inn)!;
    expect(newAgency).toMatchObject({ title: agency.title, city_id: 1 });
    const bookingId = confirmed.references.booking_id as number;
    expect(bookingInCrm(bookingId)).toMatchObject({ premise_id: 2001, client_id: created!.id, agent_id: 501, status: 'success' });
    expect(premiseInCrm(2001).is_booked).toBe(true);

    expect(confirmed).toMatchObject({
      provider: 'brusnika',
      stage: 'booked',
      references: { premise_id: 2001, client_id: created!.id, agency_id: newAgency.id, booking_id: bookingId },
      result: {
        kind: 'premise',
        premise: { id: 2001, type: 'apartment', rooms: 4, price: '19800000' },
        client: { client_id: created!.id, created: true, fixing_type: 'проверка лида' },
        agency: { agency_id: newAgency.id, created: true },
        booking: { id: bookingId, status: 'success', purchase_option: 'full_payment' },
      },
      waitingFor: { on: 'client', actions: ['cancel'], deadline: expect.any(String) },
      error: null,
      attention: null,
      cancellable: true,
    });

    // Operators see provider, status and a summary, never the client's name or phone.
    const { described, details } = await operatorView(stack.client.workflow.getHandle(workflowIdFor(started.bookingId)));
    expect(details).toMatch(/^brusnika confirmed \(booked\); waits for cancel until /);
    const visible = JSON.stringify({ sa: described.searchAttributes, memo: described.memo, details });
    for (const personal of [client.fullname, client.phone_number, client.comment]) expect(visible).not.toContain(personal);
  });

  test('an existing client is found by phone, not created again; cancelling after success frees the premise', async () => {
    const clientsBefore = crm().clients.length;
    const started = await book(premiseRequest({ premise_id: 2002, client: EXISTING_CLIENT }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    expect(confirmed.result).toMatchObject({ client: { client_id: 801, created: false, agent_id: 501, fixing_type: 'сильное закрепление' } });
    expect(crm().clients).toHaveLength(clientsBefore);
    const bookingId = confirmed.references.booking_id as number;

    const cancelled = await cancel(started.bookingId, 'the client chose another flat');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancellable: false, attention: null });
    expect(cancelled.body.result.left_behind).toBeUndefined();
    expect(cancelled.body.timeline.map((e: { note: string }) => e.note)).toEqual(
      expect.arrayContaining(['cancel requested: the client chose another flat', expect.stringContaining(`released: cancel booking ${bookingId}`)]),
    );
    expect(bookingInCrm(bookingId)).toMatchObject({ status: 'fail', reason: CANCELLED_REASON });
    expect(premiseInCrm(2002).is_booked).toBe(false);
    expect(sim.callsTo('POST', `/bookings/${bookingId}/cancel`)).toHaveLength(1);
  });

  test('a premise already booked is refused before any client or booking is made', async () => {
    const client = newClient();
    const bookingsBefore = sim.callsTo('POST', '/bookings').length;
    const started = await book(premiseRequest({ premise_id: 1003, client }));
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed.error).toEqual({ code: 'premise_not_free', message: 'premise 1003 is not free: it is already booked (is_booked)' });
    expect(clientsWithPhone(client.phone_number)).toHaveLength(0);
    expect(sim.callsTo('POST', '/bookings')).toHaveLength(bookingsBefore);
  });

  test('a premise that cannot be bought that way, or that does not exist, is refused with what it offers', async () => {
    const option = await book(premiseRequest({ premise_id: 2003, purchase_option: 'mortage' }));
    expect((await untilStatus(option.bookingId, 'failed')).error).toEqual({
      code: 'purchase_option_not_available',
      message: 'premise 2003 cannot be bought by mortage; it offers: bill, full_payment',
    });
    const missing = await book(premiseRequest({ premise_id: 999_999 }));
    expect((await untilStatus(missing.bookingId, 'failed')).error).toEqual({
      code: 'premise_not_found',
      message: "premise 999999 is not in Brusnika's list of premises",
    });
  });

  test('a blocked user is refused in the CRM\'s words, and no client is created', async () => {
    const client = newClient();
    const started = await book(premiseRequest({ premise_id: 3001, agent_id: 502, client }));
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed.error).toMatchObject({ code: 'provider_refused', message: 'Пользователь заблокирован' });
    expect(failed.error?.providerDetails).toEqual({ status: 403, body: { error: { code: 'user_blocked', message: 'Пользователь заблокирован' } } });
    expect(clientsWithPhone(client.phone_number)).toHaveLength(0);
    expect(premiseInCrm(3001).is_booked).toBe(false);
  });

  test('an agent with no bookings left is refused, and the client created for it is reported, not deleted', async () => {
    const client = newClient();
    const started = await book(premiseRequest({ premise_id: 3002, agent_id: 503, client }));
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed.error).toMatchObject({ code: 'provider_refused', message: 'Лимит бронирований исчерпан' });
    const [created] = clientsWithPhone(client.phone_number);
    expect(created).toMatchObject({ agent_id: 503 });
    expect(failed.result?.left_behind).toEqual([{ client_id: created!.id, note: expect.stringMatching(/^client \d+ was created in Brusnika for this booking and is left without it/) }]);
    // For the record, not an operator's alarm: the timeline says it, attention stays clear.
    expect(failed.attention).toBeNull();
    expect(failed.timeline.map((e) => e.note)).toContainEqual(expect.stringMatching(new RegExp(`^client ${created!.id} was created in Brusnika for this booking`)));
    expect(premiseInCrm(3002).is_booked).toBe(false);
  });

  test('the CRM deciding `fail` fails the booking with the CRM\'s reason, and the premise is free again', async () => {
    setBookingOutcome(sim.ctx.state, 3102, { status: 'fail', reason: 'Клиент закреплён за другим агентом' });
    const started = await book(premiseRequest({ premise_id: 3102, client: EXISTING_CLIENT }));
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed).toMatchObject({
      stage: 'crm_refused',
      error: { code: 'provider_refused', message: 'Клиент закреплён за другим агентом' },
      result: { booking: { status: 'fail', reason: 'Клиент закреплён за другим агентом' } },
    });
    expect(failed.timeline.map((e) => e.stage)).toEqual(expect.arrayContaining(['premise_check', 'client', 'booking_requested', 'booking_open', 'crm_refused']));
    expect(premiseInCrm(3102).is_booked).toBe(false);
    expect(sim.callsTo('POST', `/bookings/${failed.references.booking_id}/cancel`)).toHaveLength(0);
  });

  test('cancel while the CRM is deciding cancels the booking there and frees the premise', async () => {
    sim.ctx.state.timing.bookingDecisionMs = 30_000;
    try {
      const started = await book(premiseRequest({ premise_id: 3101, client: EXISTING_CLIENT }));
      const open = await untilStage(started.bookingId, 'booking_open');
      expect(open).toMatchObject({ status: 'processing', waitingFor: { on: 'provider', actions: ['cancel'], deadline: expect.any(String) } });
      const bookingId = open.references.booking_id as number;
      expect(bookingInCrm(bookingId).status).toBe('open');

      const cancelled = await cancel(started.bookingId);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', stage: 'cancelled' });
      expect(bookingInCrm(bookingId)).toMatchObject({ status: 'fail', reason: CANCELLED_REASON });
      expect(premiseInCrm(3101).is_booked).toBe(false);
      expect(sim.callsTo('POST', `/bookings/${bookingId}/cancel`)).toHaveLength(1);
    } finally {
      sim.ctx.state.timing.bookingDecisionMs = 600;
    }
  });

  test('a price above 2^53 stays exact from the CRM to the view and the catalogue', async () => {
    expect(HUGE_PRICE > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const started = await book(premiseRequest({ premise_id: HUGE_PRICE_PREMISE_ID, agent_id: 504, purchase_option: 'bill' }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    expect((confirmed.result?.premise as { price: string }).price).toBe(HUGE_PRICE.toString());

    const listed = await catalogue(`/premises?price_min=${HUGE_PRICE}`);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: HUGE_PRICE_PREMISE_ID, price: '9007199254740993' })]);
    expect((await catalogue(`/premises?price_min=${HUGE_PRICE + 1n}`)).body.data).toEqual([]);
    expect((await catalogue(`/premises?price_max=${HUGE_PRICE - 1n}&type=commercial&project_id=31`)).body.data.map((p: { id: number }) => p.id)).toEqual([3104]);
    expect(premiseInCrm(HUGE_PRICE_PREMISE_ID).price).toBe(HUGE_PRICE);
  });

  test('reading an answer takes only integer values of `price` as exact digits; look-alikes inside strings stay as written', () => {
    const text = '{"data":[{"id":7,"price" : 9007199254740993,"comment":"\\"price\\": 5","size":64.5,"nested":{"price":12}}]}';
    expect(parseBrusnikaJson(text)).toEqual({ data: [{ id: 7, price: '9007199254740993', comment: '"price": 5', size: 64.5, nested: { price: '12' } }] });
  });

  test('a confirmed booking is handed over to the CRM deal at the end of the watch', async () => {
    const bookingId = randomUUID();
    const handle = await stack.client.workflow.start('brusnikaBooking', {
      taskQueue: stack.taskQueue,
      workflowId: workflowIdFor(bookingId),
      args: [{ bookingId, client: 'test-app', request: premiseRequest({ premise_id: 2004, client: EXISTING_CLIENT }), timing: { ...timing, bookedWatchMs: 1_500 } }],
    });
    const result = (await handle.result()) as BookingView;
    expect(result).toMatchObject({ status: 'completed', stage: 'handed_over', cancellable: false });
    expect(bookingInCrm(result.references.booking_id as number).status).toBe('success');
    expect(premiseInCrm(2004).is_booked).toBe(true);
  });

  test('a CRM that does not decide in time: the booking is cancelled there and expires', async () => {
    sim.ctx.state.timing.bookingDecisionMs = 60_000;
    try {
      const bookingId = randomUUID();
      const handle = await stack.client.workflow.start('brusnikaBooking', {
        taskQueue: stack.taskQueue,
        workflowId: workflowIdFor(bookingId),
        args: [{ bookingId, client: 'test-app', request: premiseRequest({ premise_id: 1005, client: EXISTING_CLIENT }), timing: { ...timing, decisionDeadlineMs: 1_500 } }],
      });
      const result = (await handle.result()) as BookingView;
      expect(result).toMatchObject({ status: 'expired' });
      expect(result.timeline.map((e) => e.note)).toContain('the CRM did not decide in time; the booking was cancelled at the CRM');
      expect(bookingInCrm(result.references.booking_id as number)).toMatchObject({ status: 'fail', reason: CANCELLED_REASON });
      expect(premiseInCrm(1005).is_booked).toBe(false);
    } finally {
      sim.ctx.state.timing.bookingDecisionMs = 600;
    }
  });
});

describe('a booking request whose answer was lost', () => {
  test('the booking its first request made is found by client and premise, and the booking goes on with that one', async () => {
    proxy.loseNextAnswer('POST', '/bookings');
    // Client 804 is fixed to agent 504.
    const started = await book(premiseRequest({ premise_id: 3104, agent_id: 504, purchase_option: 'bill', client: { fullname: 'Фёдорова Ирина Олеговна', phone_number: '+79135670004' } }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    const [inCrm, ...more] = crm().bookings.filter((b) => b.premise_id === 3104 && b.status !== 'fail');
    expect(more).toEqual([]);
    expect(confirmed).toMatchObject({ attention: null, references: { booking_id: inCrm!.id } });
    expect(confirmed.timeline.map((e) => e.note)).toContainEqual(expect.stringMatching(new RegExp(`the booking it made \\(${inCrm!.id}\\) was found by client 804 and premise 3104`)));
    // Two requests reached the CRM; the second was refused because the first had booked the premise.
    expect(sim.callsTo('POST', '/bookings').filter((c) => (c.body as { premise_id: number }).premise_id === 3104).map((c) => c.status)).toEqual([201, 409]);

    expect((await cancel(started.bookingId)).body.status).toBe('cancelled');
    expect(bookingInCrm(inCrm!.id).status).toBe('fail');
    expect(premiseInCrm(3104).is_booked).toBe(false);
  });
});

describe('booking a visit', () => {
  const visitRequest = (slotId: number, fields: Record<string, unknown> = {}) => ({ kind: 'visit', agent_id: 501, client: EXISTING_CLIENT, time_slot_id: slotId, ...fields });
  const freeSlots = async () => (await catalogue('/time-slots?project_id=21')).body.data as { id: number; date: string; time: string }[];

  test('a free slot is booked, the visit confirmed, and cancelling it frees the slot', async () => {
    const [slot] = await freeSlots();
    const started = await book(visitRequest(slot!.id));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    const visitId = confirmed.references.visit_id as number;
    expect(confirmed).toMatchObject({
      stage: 'visit_confirmed',
      references: { client_id: 801, time_slot_id: slot!.id, project_id: 21, visit_id: visitId },
      result: { kind: 'visit', visit: { id: visitId, status: 'success', date: slot!.date, time: slot!.time } },
      waitingFor: { on: 'client', actions: ['cancel'], deadline: new Date(`${slot!.date}T${slot!.time}:00+05:00`).toISOString() },
    });
    expect(ids(await freeSlots())).not.toContain(slot!.id);

    const cancelled = await cancel(started.bookingId);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(crm().visits.find((v) => v.id === visitId)).toMatchObject({ status: 'fail', reason: CANCELLED_REASON });
    expect(ids(await freeSlots())).toContain(slot!.id);
  });

  test('a slot taken by someone else meanwhile is refused in the CRM\'s words', async () => {
    const [slot] = await freeSlots();
    takeTimeSlot(sim.ctx.state, slot!.id);
    const started = await book(visitRequest(slot!.id));
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed.error).toMatchObject({ code: 'provider_refused', message: 'Выбранное время уже занято' });
    expect(failed.references.visit_id).toBeUndefined();
  });

  test('a visit the manager declines fails with the manager\'s reason, and the slot is free again', async () => {
    setVisitOutcome(sim.ctx.state, 21, { status: 'fail', reason: 'Менеджер не сможет провести показ в это время' });
    try {
      const [slot] = await freeSlots();
      const client = newClient();
      const started = await book(visitRequest(slot!.id, { client }));
      const failed = await untilStatus(started.bookingId, 'failed');
      expect(failed.error).toMatchObject({ code: 'provider_refused', message: 'Менеджер не сможет провести показ в это время' });
      expect(ids(await freeSlots())).toContain(slot!.id);
      expect(failed.result?.left_behind).toEqual([expect.objectContaining({ client_id: clientsWithPhone(client.phone_number)[0]!.id })]);
    } finally {
      setVisitOutcome(sim.ctx.state, 21, { status: 'success' });
    }
  });
});

/** What the CRM holds: premises booked or sold, active bookings and visits, slot holders, bookings left to agents. */
const inventory = () => {
  const state = crm();
  return {
    premises: state.premises.map((p) => ({ id: p.id, is_booked: p.is_booked, is_sold: p.is_sold })),
    activeBookings: state.bookings.filter((b) => b.status !== 'fail').map((b) => b.id),
    activeVisits: state.visits.filter((v) => v.status !== 'fail').map((v) => v.id),
    timeSlots: state.timeSlots.map((t) => ({ id: t.id, agent_id: t.agent_id, client_id: t.client_id, visit_id: t.visit_id })),
    bookingsLeft: state.users.map((u) => ({ id: u.id, left: u.remaining_user_creation_limit })),
  };
};

const notes = (v: BookingView) => v.timeline.map((e) => e.note);
const slotRequest = async () => {
  const [slot] = (await catalogue('/time-slots?project_id=21')).body.data as { id: number }[];
  return { kind: 'visit', agent_id: 501, client: EXISTING_CLIENT, time_slot_id: slot!.id };
};

describe('a create whose answer cannot be read leaves nothing held at the CRM', () => {
  afterEach(() => sim.setFaults({ garbleNext: 0, hangNext: 0, failNext: 0, faultsOn: undefined, seedMinimal: false }));

  test.each([
    ['a truncated', 'truncated_json'],
    ['an empty', 'empty'],
  ] as const)('a booking answered with %s body after the CRM made it fails, and the booking it made is found and cancelled', async (_what, garbleAs) => {
    const before = inventory();
    sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: '^POST /bookings$' });
    const started = await book(premiseRequest({ premise_id: 1002, client: EXISTING_CLIENT }));
    const failed = await untilStatus(started.bookingId, 'failed');
    const [made] = crm().bookings.filter((b) => b.premise_id === 1002).slice(-1);
    expect(made).toMatchObject({ client_id: 801, status: 'fail', reason: CANCELLED_REASON });
    expect(failed).toMatchObject({ stage: 'booking_requested', error: { code: 'provider_contract_violation' }, attention: null });
    expect(failed.error?.message).toMatch(/^brusnika answered POST \/bookings with something its contract does not allow/);
    expect(notes(failed)).toContainEqual(expect.stringContaining('released: the booking of premise 1002 for client 801'));
    expect(inventory()).toEqual(before);
  });

  test.each([
    ['an HTML 502 page', { garbleNext: 1, garbleAs: 'html_502' as const }],
    ['no answer before the timeout', { hangNext: 1, hangMs: 3_000 }],
  ])('a booking that got %s after the CRM made it goes on with the booking found by client and premise', async (_what, fault) => {
    const before = inventory();
    sim.setFaults({ ...fault, faultsOn: '^POST /bookings$' });
    const started = await book(premiseRequest({ premise_id: 1002, client: EXISTING_CLIENT }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    const active = crm().bookings.filter((b) => b.premise_id === 1002 && b.status !== 'fail');
    expect(active.map((b) => b.id)).toEqual([confirmed.references.booking_id]);
    expect(notes(confirmed)).toContainEqual(expect.stringMatching(/^an earlier booking request got no readable answer and its retry was refused \("Помещение уже забронировано"\); the booking it made \(\d+\) was found/));
    expect(confirmed.attention).toBeNull();

    expect((await cancel(started.bookingId)).body).toMatchObject({ status: 'cancelled', attention: null });
    expect(inventory()).toEqual(before);
  });

  test('a client whose create answer cannot be read is found by phone, the booking goes on, and once cancelled the client is reported left behind', async () => {
    const before = inventory();
    const client = newClient();
    sim.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /clients$' });
    const started = await book(premiseRequest({ premise_id: 1002, client }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    const [created] = clientsWithPhone(client.phone_number);
    expect(confirmed.result).toMatchObject({ client: { client_id: created!.id, created: true } });
    expect((await cancel(started.bookingId)).body.status).toBe('cancelled');
    const cancelled = await until(started.bookingId, 'reporting the client left behind', (v) => v.result?.left_behind !== undefined);
    expect(cancelled.result?.left_behind).toEqual([{ client_id: created!.id, note: expect.stringMatching(/Brusnika cannot delete a client/) }]);
    expect(cancelled.attention).toBeNull();
    expect(cancelled.timeline.map((e) => e.note)).toContainEqual(expect.stringMatching(new RegExp(`^client ${created!.id} was created in Brusnika for this booking`)));
    expect(inventory()).toEqual(before);
  });

  test.each([
    ['a truncated', 'truncated_json'],
    ['an empty', 'empty'],
  ] as const)('a visit answered with %s body after the CRM made it fails; the visit is found and cancelled, and its slot is free again', async (_what, garbleAs) => {
    const before = inventory();
    const request = await slotRequest();
    sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: '^POST /visits$' });
    const started = await book(request);
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed).toMatchObject({ stage: 'visit_requested', error: { code: 'provider_contract_violation' }, attention: null });
    expect(notes(failed)).toEqual(
      expect.arrayContaining([expect.stringContaining(`released: the visit of client 801 on time slot ${request.time_slot_id}`), expect.stringContaining(`released: time slot ${request.time_slot_id}`)]),
    );
    const [made] = crm().visits.slice(-1);
    expect(made).toMatchObject({ client_id: 801, status: 'fail', reason: CANCELLED_REASON });
    expect(inventory()).toEqual(before);
  });

  test.each([
    ['an HTML 502 page', { garbleNext: 1, garbleAs: 'html_502' as const }],
    ['no answer before the timeout', { hangNext: 1, hangMs: 3_000 }],
  ])('a visit that got %s after the CRM made it goes on with the visit found by client and time', async (_what, fault) => {
    const before = inventory();
    const request = await slotRequest();
    sim.setFaults({ ...fault, faultsOn: '^POST /visits$' });
    const started = await book(request);
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    expect(crm().visits.filter((v) => v.client_id === 801 && v.status !== 'fail' && v.id !== 401).map((v) => v.id)).toEqual([confirmed.references.visit_id]);
    expect(notes(confirmed)).toContainEqual(expect.stringMatching(/^an earlier visit request got no readable answer and its retry was refused \("Выбранное время уже занято"\)/));

    expect((await cancel(started.bookingId)).body).toMatchObject({ status: 'cancelled', attention: null });
    expect(inventory()).toEqual(before);
  });
});

describe('a release counts only on the CRM\'s evidence', () => {
  afterEach(() => sim.setFaults({ garbleNext: 0, faultsOn: undefined }));

  test('a cancel the CRM carried out but answered with an unreadable 200 is asked again, and counts once the CRM says it is not active', async () => {
    const before = inventory();
    const started = await book(premiseRequest({ premise_id: 1002, client: EXISTING_CLIENT }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    const bookingId = confirmed.references.booking_id as number;
    sim.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /bookings/\\d+/cancel$' });
    const cancelled = await cancel(started.bookingId);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', attention: null });
    expect(sim.callsTo('POST', `/bookings/${bookingId}/cancel`).map((c) => c.status)).toEqual([200, 409]);
    expect(notes(cancelled.body as BookingView)).toContainEqual(expect.stringContaining(`released: cancel booking ${bookingId}`));
    expect(inventory()).toEqual(before);
  });
});

/** An operator cancels a record in the CRM itself. */
const cancelInCrm = async (path: string) => {
  const res = await fetch(`${sim.url}${path}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${BRUSNIKA_TOKEN}` } });
  expect(res.status).toBe(200);
};

describe('a CRM that lists no bookings or visits (the seed names no such list)', () => {
  afterEach(() => {
    sim.setFaults({ garbleNext: 0, faultsOn: undefined });
    setRecordListsServed(sim.ctx.state, true);
  });

  test('a booking whose create answer cannot be read fails and is flagged for an operator with every id, the lead as evidence', async () => {
    setRecordListsServed(sim.ctx.state, false);
    sim.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /bookings$' });
    const started = await book(premiseRequest({ premise_id: 1002, client: EXISTING_CLIENT }));
    const failed = await untilStatus(started.bookingId, 'failed');
    const [held] = crm().bookings.filter((b) => b.premise_id === 1002 && b.status !== 'fail');
    expect(held).toMatchObject({ client_id: 801, agent_id: 501 });
    const lead = crm().leads.find((l) => l.client_id === 801 && l.premise_id === 1002)!;
    expect(failed.error?.code).toBe('provider_contract_violation');
    expect(failed.attention).toBe(
      `lead ${lead.id} shows premise 1002 booked for client 801, but the CRM does not list bookings, so the booking cannot be found to cancel it: cancel it in the CRM (client_id 801, premise_id 1002, agent_id 501, lead ${lead.id}) (the booking of premise 1002 for client 801)`,
    );
    // The operator's part, done here so the premise is free for the next test.
    await cancelInCrm(`/bookings/${held!.id}`);
    expect(premiseInCrm(1002).is_booked).toBe(false);
  });

  test('a visit whose create answer cannot be read fails and is flagged with its slot, which stays held with it', async () => {
    setRecordListsServed(sim.ctx.state, false);
    const request = await slotRequest();
    sim.setFaults({ garbleNext: 1, garbleAs: 'empty', faultsOn: '^POST /visits$' });
    const started = await book(request);
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed.attention).toMatch(
      new RegExp(`^the CRM does not list visits, and time slot ${request.time_slot_id} is not free: a visit may hold it; cancel it in the CRM \\(client_id 801, agent_id 501, slot .*\\); time slot ${request.time_slot_id} stays held with it`),
    );
    const [held] = crm().visits.filter((v) => v.client_id === 801 && v.status !== 'fail' && v.id !== 401);
    expect(held).toBeDefined();
    await cancelInCrm(`/visits/${held!.id}`);
  });
});

describe('a CRM answering with only the fields the seed lists', () => {
  beforeEach(() => sim.setFaults({ seedMinimal: true }));
  afterEach(() => sim.setFaults({ seedMinimal: false }));

  test('the catalogue serves what the CRM gives: premises without section_id, with one feature and one purchase option', async () => {
    for (const path of ['/cities', '/projects', '/buildings', '/sections', '/time-slots']) {
      const answer = await catalogue(path);
      expect([path, answer.status]).toEqual([path, 200]);
      expect(answer.body.data.length).toBeGreaterThan(0);
    }
    const premises = await catalogue('/premises?project_id=11&type=apartment');
    expect(premises.status).toBe(200);
    const premise = premises.body.data.find((p: { id: number }) => p.id === 1002);
    expect(premise).toEqual({
      id: 1002,
      building_id: 111,
      type: 'apartment',
      rooms: 2,
      size: 56.2,
      price: '8340000',
      floor: 5,
      feature: 'sign_loggia',
      photos: expect.any(Array),
      is_booked: false,
      purchase_option: 'mortage',
      is_sold: false,
    });
  });

  test('a premise is booked, confirmed without a `reason` in the answers, and cancelled, leaving the CRM as it was', async () => {
    const before = inventory();
    // One purchase option served (mortage) does not say it is the only one: the CRM takes full_payment.
    const started = await book(premiseRequest({ premise_id: 1002, client: EXISTING_CLIENT }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    expect(confirmed).toMatchObject({
      stage: 'booked',
      error: null,
      result: { premise: { id: 1002, feature: 'sign_loggia', purchase_option: 'mortage' }, booking: { status: 'success', purchase_option: 'full_payment' } },
    });
    expect((confirmed.result?.premise as Record<string, unknown>).section_id).toBeUndefined();
    expect((confirmed.result?.booking as Record<string, unknown>).reason).toBeUndefined();

    expect((await cancel(started.bookingId)).body).toMatchObject({ status: 'cancelled', attention: null });
    expect(inventory()).toEqual(before);
  });

  test('a booking the CRM decides `fail` without a reason fails in those words, and nothing stays booked', async () => {
    const before = inventory();
    setBookingOutcome(sim.ctx.state, 3103, { status: 'fail', reason: 'Отказ' });
    const started = await book(premiseRequest({ premise_id: 3103, client: EXISTING_CLIENT }));
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed).toMatchObject({ stage: 'crm_refused', error: { code: 'provider_refused', message: 'the CRM refused the booking without a reason' } });
    expect(inventory()).toEqual(before);
  });

  test('a visit is booked, confirmed and cancelled, and its slot is free again', async () => {
    const before = inventory();
    const started = await book(await slotRequest());
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    expect(confirmed).toMatchObject({ stage: 'visit_confirmed', result: { visit: { status: 'success' } } });
    expect((await cancel(started.bookingId)).body).toMatchObject({ status: 'cancelled', attention: null });
    expect(inventory()).toEqual(before);
  });
});

describe('durability', () => {
  test('CRM 5xx answers are retried until the booking goes through, and the premise is booked once', async () => {
    const callsBefore = sim.ctx.calls.length;
    sim.setFaults({ failNext: 2, failStatus: 502 });
    const started = await book(premiseRequest({ premise_id: 1006, client: EXISTING_CLIENT }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    expect(sim.ctx.calls.slice(callsBefore).filter((c) => c.status === 502)).toHaveLength(2);
    expect(crm().bookings.filter((b) => b.premise_id === 1006 && b.status !== 'fail')).toEqual([expect.objectContaining({ id: confirmed.references.booking_id })]);
    await cancel(started.bookingId);
  });

  test('cancelling from the Temporal UI cancels the booking at the CRM and ends Canceled there too', async () => {
    const started = await book(premiseRequest({ premise_id: 1001, client: EXISTING_CLIENT }));
    const confirmed = await untilStatus(started.bookingId, 'confirmed');
    const handle = stack.client.workflow.getHandle(workflowIdFor(started.bookingId));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(bookingInCrm(confirmed.references.booking_id as number)).toMatchObject({ status: 'fail', reason: CANCELLED_REASON });
    expect(premiseInCrm(1001).is_booked).toBe(false);
  });
});

describe('the API refuses what it cannot take', () => {
  test('a request without its kind, or with bad fields, is a 400 naming each', async () => {
    const noKind = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'brusnika', request: { agent_id: 501 } } });
    expect(noKind.status).toBe(400);
    expect(noKind.body.error.fields).toEqual([{ field: 'request.kind', message: 'kind must be "premise" or "visit"' }]);
    const bad = await stack.api('/api/v1/bookings', {
      method: 'POST',
      json: { provider: 'brusnika', request: { kind: 'premise', agent_id: 501, client: { fullname: '', phone_number: '12' }, premise_id: 2001, purchase_option: 'cash' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([
      { field: 'request.client.fullname', message: 'fullname is required (surname, name, patronymic)' },
      { field: 'request.client.phone_number', message: 'a Russian phone number, e.g. +79120010001' },
      { field: 'request.purchase_option', message: 'purchase_option is one of: mortage, installment, bill, full_payment' },
    ]);
  });

  test('an id above 2^53 is refused as too large, in the body and in a filter', async () => {
    const body = `{"provider":"brusnika","request":{"kind":"premise","agent_id":501,"client":{"fullname":"Иванов Иван","phone_number":"+79120010001"},"premise_id":9007199254740993,"purchase_option":"mortage"}}`;
    const res = await stack.api('/api/v1/bookings', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([{ field: 'request.premise_id', message: 'premise_id is at most 9007199254740991 (2^53 - 1)' }]);
    const filter = await catalogue('/sections?building_id=9007199254740993');
    expect(filter.status).toBe(400);
    expect(filter.body.error.fields).toEqual([{ field: 'building_id', message: 'an id is at most 9007199254740991 (2^53 - 1)' }]);
  });
});
