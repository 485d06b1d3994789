/**
 * The OKS simulator against the oks layout booking document, over real HTTP.
 * Most tests drive a manual clock, so task progress and hold expiry never wait on wall time;
 * one suite runs on the real clock with short durations to prove the lazy progression.
 */
import type { RunningSimulator } from '../../simulators/harness';
import {
  OKS_BOOKED_LAYOUTS,
  OKS_FIXTURE_CONTACTS,
  OKS_FIXTURE_DEALS,
  OKS_FREE_LAYOUTS,
  OKS_PATHS,
  readOksState,
  setOksScenario,
  startOksSimulator,
  type OksState,
  type OksStateView,
} from '../../simulators/oks';

const TOKEN = 'oks-test-token';
const BOOK = OKS_PATHS.book;
const UNBOOK = OKS_PATHS.unbook;
const statusPath = (taskId: string) => `/api/v1/service/projects/layouts/book/status/${taskId}`;

const WIRE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The seed's example request. */
const seedBooking = {
  layoutUuid: '8d1222e4-e78a-4b60-9dbb-7293ce22285d',
  phone: '+77071234567',
  firstName: 'Иван',
  lastName: 'Иванов',
  middleName: 'Иванович',
  reserveDays: 1,
};

interface Answer {
  status: number;
  text: string;
  body: unknown;
  headers: Headers;
}

function client(sim: () => RunningSimulator<OksState>) {
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(sim().url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    call,
    book: (body: unknown = seedBooking) => call('POST', BOOK, body),
    status: (taskId: string) => call('GET', statusPath(taskId)),
    unbook: (contact_id: number, shows_id: number) => call('POST', UNBOOK, { contact_id, shows_id }),
    bookTaskId: async (body: unknown = seedBooking): Promise<string> => {
      const answer = await call('POST', BOOK, body);
      expect(answer.status).toBe(200);
      return (answer.body as { taskId: string }).taskId;
    },
  };
}

describe('oks simulator on a manual clock', () => {
  const START = Date.parse('2025-10-28T16:22:42.381Z');
  let clock = START;
  let sim: RunningSimulator<OksState>;
  const api = client(() => sim);
  const advance = (ms: number) => {
    clock += ms;
  };
  /** Past pendingMs + processingMs (300 + 2000): every task created before is finished. */
  const finishTasks = () => advance(2_300);

  beforeAll(async () => {
    sim = await startOksSimulator({ token: TOKEN, port: 0, now: () => clock });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    clock = START;
    sim.reset();
  });

  describe('POST /api/v1/service/projects/layouts/book', () => {
    it('answers 200 with exactly taskId, status pending and createdAt, in the seed key order', async () => {
      const answer = await api.book();
      expect(answer.status).toBe(200);
      const body = answer.body as Record<string, string>;
      expect(Object.keys(body)).toEqual(['taskId', 'status', 'createdAt']);
      expect(body.taskId).toMatch(UUID);
      expect(body.status).toBe('pending');
      expect(body.createdAt).toMatch(WIRE_TIMESTAMP);
      expect(body.createdAt.startsWith('2025-10-28T16:22:42.381')).toBe(true);
    });

    it('creates a new task for every request, even for the same unit', async () => {
      const first = await api.bookTaskId();
      const second = await api.bookTaskId();
      expect(first).not.toBe(second);
      expect(readOksState(sim).tasks.map((t) => t.taskId)).toEqual([first, second]);
    });

    it('accepts the minimal body: middleName and reserveDays are optional, middleName may be null', async () => {
      const { middleName: _m, reserveDays: _r, ...minimal } = seedBooking;
      expect((await api.book(minimal)).status).toBe(200);
      expect((await api.book({ ...minimal, middleName: null })).status).toBe(200);
    });

    it('names every missing required field in one 422, in the seed field order', async () => {
      const answer = await api.book({});
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual({
        detail: ['layoutUuid', 'phone', 'firstName', 'lastName'].map((field) => ({
          type: 'missing',
          loc: ['body', field],
          msg: 'Field required',
          input: {},
        })),
      });
    });

    it('names every invalid field with pydantic type, message, input and ctx', async () => {
      const body = {
        layoutUuid: 'not-a-uuid',
        phone: '+7707123456789012',
        firstName: '',
        lastName: 'Я'.repeat(77),
        middleName: 7,
        reserveDays: 2,
      };
      const answer = await api.book(body);
      expect(answer.status).toBe(422);
      const uuidError =
        'invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1';
      expect(answer.body).toEqual({
        detail: [
          {
            type: 'uuid_parsing',
            loc: ['body', 'layoutUuid'],
            msg: `Input should be a valid UUID, ${uuidError}`,
            input: 'not-a-uuid',
            ctx: { error: uuidError },
          },
          {
            type: 'string_too_long',
            loc: ['body', 'phone'],
            msg: 'String should have at most 16 characters',
            input: body.phone,
            ctx: { max_length: 16 },
          },
          {
            type: 'string_too_short',
            loc: ['body', 'firstName'],
            msg: 'String should have at least 1 character',
            input: '',
            ctx: { min_length: 1 },
          },
          {
            type: 'string_too_long',
            loc: ['body', 'lastName'],
            msg: 'String should have at most 76 characters',
            input: body.lastName,
            ctx: { max_length: 76 },
          },
          { type: 'string_type', loc: ['body', 'middleName'], msg: 'Input should be a valid string', input: 7 },
          {
            type: 'literal_error',
            loc: ['body', 'reserveDays'],
            msg: 'Input should be 1',
            input: 2,
            ctx: { expected: '1' },
          },
        ],
      });
      expect(readOksState(sim).tasks).toHaveLength(0);
    });

    it('accepts a phone of exactly 16 characters and names of 76 Cyrillic characters', async () => {
      const answer = await api.book({ ...seedBooking, phone: '+' + '7'.repeat(15), firstName: 'Ж'.repeat(76) });
      expect(answer.status).toBe(200);
    });

    it('refuses a phone sent as a number: strings are not coerced', async () => {
      const answer = await api.book({ ...seedBooking, phone: 77071234567 });
      expect(answer.status).toBe(422);
      expect((answer.body as { detail: unknown[] }).detail).toEqual([
        { type: 'string_type', loc: ['body', 'phone'], msg: 'Input should be a valid string', input: 77071234567 },
      ]);
    });

    it('answers 422 for a body that is not a JSON object', async () => {
      const answer = await api.book([seedBooking]);
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual({
        detail: [
          {
            type: 'model_attributes_type',
            loc: ['body'],
            msg: 'Input should be a valid dictionary or object to extract fields from',
            input: [seedBooking],
          },
        ],
      });
    });
  });

  describe('GET /api/v1/service/projects/layouts/book/status/{task_id}', () => {
    it('goes pending, processing, then completed with the seed result shape and key order', async () => {
      const taskId = await api.bookTaskId();

      const pending = await api.status(taskId);
      expect(pending.status).toBe(200);
      expect(Object.keys(pending.body as object)).toEqual(['taskId', 'status', 'createdAt', 'result']);
      expect(pending.body).toMatchObject({ taskId, status: 'pending', result: null });

      advance(300);
      expect((await api.status(taskId)).body).toMatchObject({ taskId, status: 'processing', result: null });
      advance(1_999);
      expect((await api.status(taskId)).body).toMatchObject({ status: 'processing', result: null });

      advance(1);
      const completed = await api.status(taskId);
      expect(Object.keys(completed.body as object)).toEqual(['taskId', 'status', 'createdAt', 'result']);
      expect(completed.body).toEqual({
        taskId,
        status: 'completed',
        createdAt: (pending.body as { createdAt: string }).createdAt,
        result: { contact_id: 5835313, shows_id: 836603, contact_created: true },
      });
      expect(Object.keys((completed.body as { result: object }).result)).toEqual([
        'contact_id',
        'shows_id',
        'contact_created',
      ]);
    });

    it('reuses the contact of a phone it already knows: the seed example, contact_created false', async () => {
      await api.bookTaskId();
      const second = await api.bookTaskId({ ...seedBooking, layoutUuid: OKS_FREE_LAYOUTS[1] });
      finishTasks();
      expect((await api.status(second)).body).toMatchObject({
        status: 'completed',
        result: { contact_id: 5835313, shows_id: 836604, contact_created: false },
      });
    });

    it('finds contacts the CRM knew before (fixtures) by phone', async () => {
      const known = OKS_FIXTURE_CONTACTS[1];
      const taskId = await api.bookTaskId({ ...seedBooking, phone: known.phone });
      finishTasks();
      expect((await api.status(taskId)).body).toMatchObject({
        result: { contact_id: known.contact_id, shows_id: 836603, contact_created: false },
      });
    });

    it('fails a booking of a unit booked in advance with the seed failed result, verbatim', async () => {
      const taskId = await api.bookTaskId({ ...seedBooking, layoutUuid: OKS_BOOKED_LAYOUTS[0] });
      finishTasks();
      const answer = await api.status(taskId);
      expect(answer.body).toEqual({
        taskId,
        status: 'failed',
        createdAt: expect.stringMatching(WIRE_TIMESTAMP),
        result: { detail: 'Failed to create reservation', api_error: 'Property unit is booked by user ' },
      });
    });

    it('fails a second booking of a unit this client already holds', async () => {
      const first = await api.bookTaskId();
      finishTasks();
      expect((await api.status(first)).body).toMatchObject({ status: 'completed' });
      const second = await api.bookTaskId();
      finishTasks();
      expect((await api.status(second)).body).toMatchObject({
        status: 'failed',
        result: { api_error: 'Property unit is booked by user ' },
      });
    });

    it('gives a unit raced by two tasks to the one that completes first, whichever is polled first', async () => {
      const layoutUuid = OKS_FREE_LAYOUTS[2];
      setOksScenario(sim, layoutUuid, { processingMs: 5_000 });
      const slow = await api.bookTaskId({ ...seedBooking, layoutUuid });
      setOksScenario(sim, layoutUuid, { processingMs: 100 });
      const fast = await api.bookTaskId({ ...seedBooking, layoutUuid, phone: '+77017654321' });

      advance(10_000);
      expect((await api.status(slow)).body).toMatchObject({
        status: 'failed',
        result: { detail: 'Failed to create reservation', api_error: 'Property unit is booked by user ' },
      });
      expect((await api.status(fast)).body).toMatchObject({ status: 'completed', result: { contact_created: true } });
      expect(readOksState(sim).units.find((u) => u.layoutUuid === layoutUuid)).toMatchObject({ status: 'booked' });
    });

    it('treats the layoutUuid case-insensitively: an upper-case uuid is the same unit', async () => {
      const taskId = await api.bookTaskId({ ...seedBooking, layoutUuid: OKS_BOOKED_LAYOUTS[1].toUpperCase() });
      finishTasks();
      expect((await api.status(taskId)).body).toMatchObject({ status: 'failed' });
    });

    it('answers 404 Task not found for an unknown task', async () => {
      const answer = await api.status('1e36045f-5924-43a7-b199-e71457af0a89');
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ detail: 'Task not found' });
    });
  });

  describe('POST /api/v1/service/projects/layouts/unbook', () => {
    async function bookAndComplete(layoutUuid: string = seedBooking.layoutUuid) {
      const taskId = await api.bookTaskId({ ...seedBooking, layoutUuid });
      finishTasks();
      const answer = await api.status(taskId);
      return (answer.body as { result: { contact_id: number; shows_id: number } }).result;
    }

    it('releases a booked deal with 200 and an empty body, and the unit can be booked again', async () => {
      const { contact_id, shows_id } = await bookAndComplete();
      const answer = await api.unbook(contact_id, shows_id);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
      expect(readOksState(sim).units.find((u) => u.layoutUuid === seedBooking.layoutUuid)?.status).toBe('free');

      const again = await api.bookTaskId();
      finishTasks();
      expect((await api.status(again)).body).toMatchObject({
        status: 'completed',
        result: { contact_id, shows_id: shows_id + 1, contact_created: false },
      });
    });

    it('answers the seed error when the deal is no longer booked (second unbook)', async () => {
      const { contact_id, shows_id } = await bookAndComplete();
      expect((await api.unbook(contact_id, shows_id)).status).toBe(200);
      const second = await api.unbook(contact_id, shows_id);
      expect(second.status).toBe(400);
      expect(second.body).toEqual({ detail: 'Failed to remove reservation', api_error: 'Сделка не в брони' });
    });

    it('answers the seed error for an unknown deal or a contact that is not the deal one', async () => {
      const { contact_id, shows_id } = await bookAndComplete();
      const unknown = await api.unbook(contact_id, 999_999);
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({ detail: 'Failed to remove reservation', api_error: 'Сделка не в брони' });
      expect((await api.unbook(contact_id + 1, shows_id)).status).toBe(400);
      expect(readOksState(sim).deals.find((d) => d.shows_id === shows_id)?.status).toBe('booked');
    });

    it('releases a unit booked in advance with its fixture ids', async () => {
      const fixture = OKS_FIXTURE_DEALS[2];
      expect((await api.unbook(fixture.contact_id, fixture.shows_id)).status).toBe(200);
      expect(readOksState(sim).units.find((u) => u.layoutUuid === fixture.layoutUuid)?.status).toBe('free');
    });

    it('lets a hold expire after reserveDays days: unbook then answers the seed error', async () => {
      const { contact_id, shows_id } = await bookAndComplete();
      advance(86_400_000 - 1);
      expect(readOksState(sim).units.find((u) => u.layoutUuid === seedBooking.layoutUuid)?.status).toBe('booked');
      advance(1);
      const view = readOksState(sim);
      expect(view.units.find((u) => u.layoutUuid === seedBooking.layoutUuid)?.status).toBe('free');
      expect(view.deals.find((d) => d.shows_id === shows_id)?.status).toBe('expired');
      const answer = await api.unbook(contact_id, shows_id);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ detail: 'Failed to remove reservation', api_error: 'Сделка не в брони' });
    });

    it('frees a fixture unit when its hold ends before a new task completes', async () => {
      advance(86_400_000 - 1_000);
      const taskId = await api.bookTaskId({ ...seedBooking, layoutUuid: OKS_BOOKED_LAYOUTS[0] });
      finishTasks();
      expect((await api.status(taskId)).body).toMatchObject({ status: 'completed' });
    });

    it('names every bad field of the unbook body in one 422', async () => {
      const answer = await api.call('POST', UNBOOK, { contact_id: 'abc', shows_id: 1.5 });
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual({
        detail: [
          {
            type: 'int_parsing',
            loc: ['body', 'contact_id'],
            msg: 'Input should be a valid integer, unable to parse string as an integer',
            input: 'abc',
          },
          {
            type: 'int_from_float',
            loc: ['body', 'shows_id'],
            msg: 'Input should be a valid integer, got a number with a fractional part',
            input: 1.5,
          },
        ],
      });
      const missing = await api.call('POST', UNBOOK, { contact_id: 5835313 });
      expect(missing.body).toEqual({
        detail: [{ type: 'missing', loc: ['body', 'shows_id'], msg: 'Field required', input: { contact_id: 5835313 } }],
      });
    });
  });

  describe('authentication and routing', () => {
    it.each([
      ['POST', BOOK, seedBooking],
      ['GET', statusPath('1e36045f-5924-43a7-b199-e71457af0a89'), undefined],
      ['POST', UNBOOK, { contact_id: 5835313, shows_id: 836603 }],
    ])('%s %s answers 401 Not authenticated without a token or with a wrong one', async (method, path, body) => {
      for (const token of [null, 'wrong-token']) {
        const answer = await api.call(method, path, body, token);
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ detail: 'Not authenticated' });
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      }
      expect(readOksState(sim).tasks).toHaveLength(0);
    });

    it('checks the token before the body', async () => {
      const answer = await api.call('POST', BOOK, {}, null);
      expect(answer.status).toBe(401);
    });

    it('answers unknown paths 404 Not Found and wrong methods 405 Method Not Allowed', async () => {
      const unknown = await api.call('GET', '/api/v1/service/projects/layouts');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ detail: 'Not Found' });
      const wrongMethod = await api.call('GET', BOOK);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.body).toEqual({ detail: 'Method Not Allowed' });
    });
  });

  describe('scenarios and the control surface', () => {
    it('fails every task of a unit with the api_error a TypeScript scenario names', async () => {
      setOksScenario(sim, seedBooking.layoutUuid, { failWith: 'Объект недоступен для бронирования' });
      const taskId = await api.bookTaskId();
      finishTasks();
      expect((await api.status(taskId)).body).toMatchObject({
        status: 'failed',
        result: { detail: 'Failed to create reservation', api_error: 'Объект недоступен для бронирования' },
      });
      expect(readOksState(sim).units.find((u) => u.layoutUuid === seedBooking.layoutUuid)?.status).toBe('free');
    });

    it('sets, lists and clears scenarios over HTTP, and refuses an invalid one', async () => {
      const control = (method: string, path: string, body?: unknown) => api.call(method, `/__control${path}`, body, null);
      const set = await control('POST', '/scenarios', {
        layoutUuid: seedBooking.layoutUuid,
        failWith: 'Property unit is booked by user ',
        pendingMs: 0,
        processingMs: 0,
      });
      expect(set.status).toBe(200);
      expect((await control('GET', '/scenarios')).body).toEqual({
        [seedBooking.layoutUuid]: { failWith: 'Property unit is booked by user ', pendingMs: 0, processingMs: 0 },
      });

      // Zero durations: the task is finished on its first read, without the clock moving.
      const taskId = await api.bookTaskId();
      expect((await api.status(taskId)).body).toMatchObject({ status: 'failed' });

      expect((await control('POST', '/scenarios', { layoutUuid: 'nope', pendingMs: -1 })).status).toBe(400);
      expect((await control('DELETE', `/scenarios/${seedBooking.layoutUuid}`)).body).toEqual({});
      const after = await api.bookTaskId();
      finishTasks();
      expect((await api.status(after)).body).toMatchObject({ status: 'completed' });
    });

    it('slows one unit down with a timing scenario, leaving the others at the default', async () => {
      setOksScenario(sim, OKS_FREE_LAYOUTS[3], { pendingMs: 1_000, processingMs: 10_000 });
      const slow = await api.bookTaskId({ ...seedBooking, layoutUuid: OKS_FREE_LAYOUTS[3] });
      const normal = await api.bookTaskId();
      finishTasks();
      expect((await api.status(slow)).body).toMatchObject({ status: 'processing' });
      expect((await api.status(normal)).body).toMatchObject({ status: 'completed' });
    });

    it('shows fixtures in GET /__control/state: free and booked units, known contacts, held deals', async () => {
      const answer = await api.call('GET', '/__control/state', undefined, null);
      const view = answer.body as OksStateView;
      expect(view.units.filter((u) => u.status === 'free').map((u) => u.layoutUuid)).toEqual([...OKS_FREE_LAYOUTS]);
      expect(view.units.filter((u) => u.status === 'booked').map((u) => u.layoutUuid)).toEqual(OKS_BOOKED_LAYOUTS);
      expect(view.contacts.map((c) => c.phone)).toEqual(OKS_FIXTURE_CONTACTS.map((c) => c.phone));
      expect(view.deals.every((d) => d.status === 'booked')).toBe(true);
      expect(view.timing).toEqual({ pendingMs: 300, processingMs: 2000, dayMs: 86_400_000 });
    });

    it('counts the status reads each task answered, and the call log counts unbooks', async () => {
      const taskId = await api.bookTaskId();
      await api.status(taskId);
      advance(300);
      await api.status(taskId);
      await api.status(taskId);
      await api.status(taskId);
      advance(2_000);
      const done = await api.status(taskId);
      const { contact_id, shows_id } = (done.body as { result: { contact_id: number; shows_id: number } }).result;
      await api.unbook(contact_id, shows_id);

      const view = (await api.call('GET', '/__control/state', undefined, null)).body as OksStateView;
      expect(view.tasks[0]?.statusReads).toEqual({ pending: 1, processing: 3, completed: 1, failed: 0 });
      expect(view.deals.find((d) => d.shows_id === shows_id)).toMatchObject({ status: 'released', unbookCalls: 1 });
      expect(sim.callsTo('POST', UNBOOK)).toHaveLength(1);
      expect(sim.callsTo('GET', /\/book\/status\//)).toHaveLength(5);
    });

    it('restores the fixtures on reset', async () => {
      const fixture = OKS_FIXTURE_DEALS[0];
      await api.unbook(fixture.contact_id, fixture.shows_id);
      await api.bookTaskId();
      sim.reset();
      const view = readOksState(sim);
      expect(view.tasks).toHaveLength(0);
      expect(view.units.find((u) => u.layoutUuid === fixture.layoutUuid)?.status).toBe('booked');
    });
  });
});

describe('oks simulator on the real clock', () => {
  let sim: RunningSimulator<OksState>;
  const api = client(() => sim);

  beforeAll(async () => {
    sim = await startOksSimulator({ token: TOKEN, port: 0, pendingMs: 20, processingMs: 150, dayMs: 200 });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function pollUntilDone(taskId: string): Promise<{ status: string; result: unknown }> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const body = (await api.status(taskId)).body as { status: string; result: unknown };
      if (body.status === 'completed' || body.status === 'failed') return body;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`task ${taskId} did not finish`);
  }

  it('progresses a task in time, answering several processing polls before it completes', async () => {
    const taskId = await api.bookTaskId();
    const done = await pollUntilDone(taskId);
    expect(done).toMatchObject({ status: 'completed', result: { contact_created: true } });
    const reads = readOksState(sim).tasks.find((t) => t.taskId === taskId)?.statusReads;
    expect(reads?.processing).toBeGreaterThan(1);
    expect(reads?.completed).toBe(1);
  });

  it('ends a hold after the configured dayMs', async () => {
    const layoutUuid = OKS_FREE_LAYOUTS[1];
    const done = await pollUntilDone(await api.bookTaskId({ ...seedBooking, layoutUuid }));
    const { contact_id, shows_id } = done.result as { contact_id: number; shows_id: number };
    for (let attempt = 0; attempt < 100; attempt++) {
      if (readOksState(sim).units.find((u) => u.layoutUuid === layoutUuid)?.status === 'free') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await api.unbook(contact_id, shows_id)).status).toBe(400);
  });
});
