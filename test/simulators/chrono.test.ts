/**
 * The chrono simulator against its seed (chrono's bookings API document), over real
 * HTTP: the documented examples field for field, every documented refusal,
 * auth, fillslot's main list / waiting list, and the scenarios.
 */
import {
  addChronoEvent,
  chronoStateView,
  forceChronoError,
  setChronoEvent,
  startChronoSimulator,
  type ChronoState,
} from '../../simulators/chrono';
import type { RunningSimulator } from '../../simulators/harness';

const TOKEN = 'chrono-test-token';
let sim: RunningSimulator<ChronoState>;

beforeAll(async () => {
  sim = await startChronoSimulator({ token: TOKEN, port: 0 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

/** What the tests read of chrono's answers; the rest is compared whole with toEqual. */
interface Wire {
  [key: string]: unknown;
  err?: number;
  err_class?: string;
  booking_id?: number;
  in_waiting_list?: boolean;
}
interface ListItem {
  id: number;
  in_waiting_list: boolean;
}
interface ReadData {
  booking_id: number;
  in_waiting_list: boolean;
  user_was_present: boolean | null;
  user_absence_reason: string;
  extra_data: Record<string, unknown> | null;
}
interface Answer {
  status: number;
  json: Wire;
}

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Wire };
}

async function listIds(query: string): Promise<number[]> {
  const res = await call('GET', `/api/bookings/?${query}`);
  return (res.json.data as ListItem[]).map((b) => b.id);
}

async function readData(id: number): Promise<ReadData> {
  return (await call('GET', `/api/booking/${id}/`)).json.data as ReadData;
}

const fillslot = (agenda: string, slot: string | number, body: Record<string, unknown> = {}) =>
  call('POST', `/api/agenda/${agenda}/fillslot/${slot}/`, { user_external_id: 'usager-test', ...body });

async function controlState() {
  return (await call('GET', '/__control/state', undefined, null)).json as unknown as ReturnType<typeof chronoStateView>;
}

async function eventState(agenda: string, slug: string) {
  const state = await controlState();
  const event = state.agendas.find((a) => a.slug === agenda)?.events.find((e) => e.slug === slug);
  if (!event) throw new Error(`no event ${slug}`);
  return event;
}

const ids = (list: { booking_id: number }[]) => list.map((b) => b.booking_id);

describe('auth (Bearer token, the project convention)', () => {
  it('answers 401 JSON without a token and does not handle the call', async () => {
    const res = await call('POST', '/api/booking/4/cancel/', undefined, null);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ detail: "Informations d'authentification non fournies." });
    expect((await call('GET', '/api/booking/4/')).json.err).toBe(0);
  });

  it('answers 401 JSON with a wrong token', async () => {
    const res = await call('GET', '/api/bookings/?user_external_id=xxx', undefined, 'wrong');
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ detail: "Informations d'authentification incorrectes." });
  });
});

describe("GET /api/bookings/ (a user's bookings)", () => {
  it('answers the documented example field for field', async () => {
    const res = await call('GET', '/api/bookings/?user_external_id=xxx');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      err: 0,
      data: [
        { id: 4, in_waiting_list: false, user_was_present: true, user_absence_reason: '', extra_data: null },
        { id: 11, in_waiting_list: false, user_was_present: null, user_absence_reason: '', extra_data: null },
      ],
    });
  });

  it('restricts to an agenda and to an agenda category', async () => {
    expect(await listIds('user_external_id=xxx&agenda=piscine-municipale')).toEqual([4]);
    expect(await listIds('user_external_id=xxx&category=culture')).toEqual([11]);
  });

  it('filters on the start date, date_start inclusive and date_end exclusive', async () => {
    expect(await listIds('user_external_id=xxx&date_start=2021-09-16')).toEqual([11]);
    expect(await listIds('user_external_id=xxx&date_end=2021-09-16')).toEqual([4]);
    expect(await listIds('user_external_id=xxx&date_start=2021-09-15&date_end=2021-09-20')).toEqual([4, 11]);
  });

  it('leaves out cancelled bookings and shows waiting list ones', async () => {
    expect(await listIds('user_external_id=8f14e45fceea167a5a36dedd4bea2543')).toEqual([1, 5]); // 7 is cancelled
    const lea = await call('GET', '/api/bookings/?user_external_id=45c48cce2e2d7fbdea1afc51c7c6ad26');
    expect(lea.json.data).toContainEqual(expect.objectContaining({ id: 8, in_waiting_list: true }));
  });

  it('refuses a call without user_external_id or with a malformed date', async () => {
    const missing = await call('GET', '/api/bookings/');
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ err: 1, err_class: 'missing param user_external_id' });
    const badDate = await call('GET', '/api/bookings/?user_external_id=xxx&date_start=15/09/2021');
    expect(badDate.status).toBe(400);
    expect(badDate.json).toMatchObject({ err: 1, err_class: 'invalid filters' });
  });
});

describe('GET /api/booking/{id}/ (read)', () => {
  it('answers the documented example field for field', async () => {
    const res = await call('GET', '/api/booking/4/');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      err: 0,
      data: { booking_id: 4, in_waiting_list: false, user_was_present: true, user_absence_reason: '', extra_data: null },
    });
  });

  it('refuses a cancelled booking with err 1 "booking is cancelled", HTTP 200', async () => {
    const res = await call('GET', '/api/booking/7/');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ err: 1, err_class: 'booking is cancelled' });
  });

  it('answers 404 JSON for an unknown booking or path', async () => {
    expect(await call('GET', '/api/booking/999/')).toEqual({ status: 404, json: { detail: 'Pas trouvé.' } });
    expect(await call('GET', '/api/booking/abc/')).toEqual({ status: 404, json: { detail: 'Pas trouvé.' } });
    expect(await call('GET', '/api/nowhere/')).toEqual({ status: 404, json: { detail: 'Pas trouvé.' } });
  });
});

describe('PATCH /api/booking/{id}/', () => {
  it('updates presence and absence reason and keeps any other key in extra_data', async () => {
    const res = await call('PATCH', '/api/booking/11/', {
      user_was_present: false,
      user_absence_reason: 'Maladie',
      motif_detail: 'certificat médical',
    });
    expect(res).toEqual({ status: 200, json: { err: 0, booking_id: 11 } });
    await call('PATCH', '/api/booking/11/', { justificatif: true });
    expect(await readData(11)).toEqual({
      booking_id: 11,
      in_waiting_list: false,
      user_was_present: false,
      user_absence_reason: 'Maladie',
      extra_data: { motif_detail: 'certificat médical', justificatif: true },
    });
    const list = await call('GET', '/api/bookings/?user_external_id=xxx');
    expect((list.json.data as ListItem[])[1]).toEqual({
      id: 11,
      in_waiting_list: false,
      user_was_present: false,
      user_absence_reason: 'Maladie',
      extra_data: { motif_detail: 'certificat médical', justificatif: true },
    });
  });

  it('refuses a cancelled booking (err 1), a waiting list booking (err 3) and a checked event (err 5)', async () => {
    expect((await call('PATCH', '/api/booking/7/', { user_was_present: true })).json).toEqual({
      err: 1,
      err_class: 'booking is cancelled',
    });
    expect((await call('PATCH', '/api/booking/8/', { user_was_present: true })).json).toEqual({
      err: 3,
      err_class: 'booking is in waiting list',
    });
    const checked = await call('PATCH', '/api/booking/3/', { user_was_present: true });
    expect(checked).toEqual({ status: 200, json: { err: 5, err_class: 'event is marked as checked' } });
    expect((await readData(3)).user_was_present).toBe(false);
  });

  it('still records extra keys on a checked event', async () => {
    expect((await call('PATCH', '/api/booking/3/', { note_agent: 'rappel envoyé' })).json).toEqual({ err: 0, booking_id: 3 });
    expect((await readData(3)).extra_data).toEqual({ note_agent: 'rappel envoyé' });
  });

  it('refuses an invalid payload with HTTP 400 err 4', async () => {
    const res = await call('PATCH', '/api/booking/4/', { user_was_present: 'peut-être' });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ err: 4, err_class: 'invalid payload', errors: { user_was_present: expect.any(Array) } });
  });
});

describe('POST /api/booking/{id}/cancel/', () => {
  it('cancels, frees the places and answers "already cancelled" the second time', async () => {
    expect(await call('POST', '/api/booking/1/cancel/')).toEqual({ status: 200, json: { err: 0, booking_id: 1 } });
    const event = await eventState('piscine-municipale', 'aquagym-15-septembre');
    expect(ids(event.main_list)).toEqual([4]);
    expect(event.places).toMatchObject({ reserved: 1, available: 2 });
    expect(await call('POST', '/api/booking/1/cancel/')).toEqual({ status: 200, json: { err: 1, err_class: 'already cancelled' } });
    expect((await call('GET', '/api/booking/1/')).json).toEqual({ err: 1, err_class: 'booking is cancelled' });
  });
});

describe('POST /api/agenda/{agenda}/fillslot/{slot}/ (creation, the product API)', () => {
  it('fills the main list while places remain, then the waiting list, then refuses "sold out"', async () => {
    // aquagym: 3 places (2 taken), waiting list of 2
    const first = await fillslot('piscine-municipale', 'aquagym-15-septembre', { user_first_name: 'Inès', user_last_name: 'Roux' });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      err: 0,
      booking_id: 12,
      in_waiting_list: false,
      datetime: '2021-09-15 10:00:00',
      end_datetime: '2021-09-15 10:45:00',
      agenda: { label: 'Piscine municipale', slug: 'piscine-municipale' },
      places: {
        total: 3,
        reserved: 3,
        available: 0,
        full: false,
        has_waiting_list: true,
        waiting_list_total: 2,
        waiting_list_reserved: 0,
        waiting_list_available: 2,
        waiting_list_activated: true,
      },
      api: {
        booking_url: `${sim.url}/api/booking/12/`,
        cancel_url: `${sim.url}/api/booking/12/cancel/`,
        anonymize_url: `${sim.url}/api/booking/12/anonymize/`,
        accept_url: `${sim.url}/api/booking/12/accept/`,
        suspend_url: `${sim.url}/api/booking/12/suspend/`,
      },
    });
    const second = await fillslot('piscine-municipale', 44, { count: 2 });
    expect(second.json).toMatchObject({ err: 0, booking_id: 13, in_waiting_list: true });
    expect(second.json.places).toMatchObject({ waiting_list_reserved: 2, waiting_list_available: 0, full: true });

    const refused = await fillslot('piscine-municipale', 'aquagym-15-septembre');
    expect(refused).toEqual({ status: 200, json: { err: 1, err_class: 'sold out' } });

    const event = await eventState('piscine-municipale', 'aquagym-15-septembre');
    expect(ids(event.main_list)).toEqual([1, 4, 12]);
    expect(ids(event.waiting_list)).toEqual([13]);
  });

  it('sends a booking that does not fit the remaining places to the waiting list', async () => {
    const res = await fillslot('piscine-municipale', 'aquagym-15-septembre', { count: '2' });
    expect(res.json).toMatchObject({ err: 0, in_waiting_list: true });
  });

  it('keeps the waiting list first in line when a main place frees up', async () => {
    // atelier numérique: 2 places taken by booking 6, booking 8 waits
    await call('POST', '/api/booking/6/resize/', { count: 1 });
    const res = await fillslot('mediatheque-centrale', 'atelier-numerique-22-septembre');
    expect(res.json).toMatchObject({ err: 0, in_waiting_list: true });
    expect(res.json.places).toMatchObject({ available: 1, waiting_list_activated: true });
  });

  it('refuses "sold out" on a full event without a waiting list', async () => {
    const res = await fillslot('piscine-municipale', 'bebes-nageurs-18-septembre');
    expect(res).toEqual({ status: 200, json: { err: 1, err_class: 'sold out' } });
  });

  it('keeps unknown keys in extra_data and the booking shows in the user list', async () => {
    const res = await fillslot('mediatheque-centrale', 'heure-du-conte-16-septembre', {
      user_external_id: 'xxx',
      form_url: 'https://demarches.example.fr/inscription/42/',
      enfant_prenom: 'Lou',
    });
    expect(res.json.in_waiting_list).toBe(false);
    expect((await readData(Number(res.json.booking_id))).extra_data).toEqual({ enfant_prenom: 'Lou' });
    expect(await listIds('user_external_id=xxx')).toEqual([4, 11, res.json.booking_id]);
  });

  it('refuses a second booking of the user with exclude_user', async () => {
    const res = await fillslot('piscine-municipale', 'aquagym-15-septembre', { user_external_id: 'xxx', exclude_user: true });
    expect(res.json).toEqual({ err: 1, err_class: 'event is already booked by user' });
  });

  it('answers 404 for an unknown agenda or slot and 400 for an invalid count', async () => {
    expect((await fillslot('piscine-inconnue', 44)).status).toBe(404);
    expect((await fillslot('piscine-municipale', 'rien')).status).toBe(404);
    expect((await fillslot('piscine-municipale', 47)).status).toBe(404); // event of another agenda
    const bad = await fillslot('piscine-municipale', 44, { count: 0 });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ err: 1, err_class: 'invalid payload', errors: { count: expect.any(Array) } });
  });
});

describe('POST /api/booking/{id}/accept/', () => {
  it('moves a waiting list booking to the main list and reports overbooked places', async () => {
    const res = await call('POST', '/api/booking/8/accept/');
    expect(res).toEqual({ status: 200, json: { err: 0, booking_id: 8, overbooked_places: 1 } });
    const event = await eventState('mediatheque-centrale', 'atelier-numerique-22-septembre');
    expect(ids(event.main_list)).toEqual([6, 8]);
    expect(event.waiting_list).toEqual([]);
    expect((await readData(8)).in_waiting_list).toBe(false);
  });

  it('answers overbooked_places 0 when the main list has room', async () => {
    await call('POST', '/api/booking/6/cancel/');
    expect((await call('POST', '/api/booking/8/accept/')).json).toEqual({ err: 0, booking_id: 8, overbooked_places: 0 });
  });

  it('refuses a cancelled booking (err 1) and a booking not in waiting list (err 3)', async () => {
    expect((await call('POST', '/api/booking/7/accept/')).json).toEqual({ err: 1, err_class: 'booking is cancelled' });
    expect((await call('POST', '/api/booking/4/accept/')).json).toEqual({ err: 3, err_class: 'booking is not in waiting list' });
  });
});

describe('POST /api/booking/{id}/suspend/', () => {
  it('moves a main list booking to the waiting list', async () => {
    expect(await call('POST', '/api/booking/6/suspend/')).toEqual({ status: 200, json: { err: 0, booking_id: 6 } });
    const event = await eventState('mediatheque-centrale', 'atelier-numerique-22-septembre');
    expect(event.main_list).toEqual([]);
    expect(ids(event.waiting_list)).toEqual([6, 8]);
  });

  it('refuses a cancelled booking (err 1) and one already in waiting list (err 3)', async () => {
    expect((await call('POST', '/api/booking/7/suspend/')).json).toEqual({ err: 1, err_class: 'booking is cancelled' });
    expect((await call('POST', '/api/booking/8/suspend/')).json).toEqual({ err: 3, err_class: 'booking is already in waiting list' });
  });
});

describe('POST /api/booking/{id}/resize/', () => {
  it('grows within the places left and shrinks freely', async () => {
    expect(await call('POST', '/api/booking/4/resize/', { count: 2 })).toEqual({ status: 200, json: { err: 0, booking_id: 4 } });
    expect((await eventState('piscine-municipale', 'aquagym-15-septembre')).places).toMatchObject({ reserved: 3, available: 0 });
    expect((await call('POST', '/api/booking/4/resize/', { count: 1 })).json).toEqual({ err: 0, booking_id: 4 });
    expect((await eventState('piscine-municipale', 'aquagym-15-septembre')).places.reserved).toBe(2);
  });

  it('refuses growth beyond the places with err 3 "sold out", main list or waiting list', async () => {
    expect((await call('POST', '/api/booking/4/resize/', { count: 3 })).json).toEqual({ err: 3, err_class: 'sold out' });
    expect((await call('POST', '/api/booking/8/resize/', { count: 3 })).json).toEqual({ err: 0, booking_id: 8 });
    expect((await call('POST', '/api/booking/8/resize/', { count: 4 })).json).toEqual({ err: 3, err_class: 'sold out' });
  });

  it('refuses a cancelled booking (err 1) and an invalid count (HTTP 400)', async () => {
    expect((await call('POST', '/api/booking/7/resize/', { count: 2 })).json).toEqual({ err: 1, err_class: 'booking is cancelled' });
    const bad = await call('POST', '/api/booking/4/resize/', {});
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ err: 4, err_class: 'invalid payload', errors: { count: expect.any(Array) } });
  });
});

describe('POST /api/booking/{id}/anonymize/', () => {
  it('anonymizes: the booking leaves the user list and loses its personal data', async () => {
    await call('PATCH', '/api/booking/11/', { enfant_prenom: 'Lou' });
    expect(await call('POST', '/api/booking/11/anonymize/')).toEqual({ status: 200, json: { err: 0, booking_id: 11 } });
    expect(await listIds('user_external_id=xxx')).toEqual([4]);
    const stored = (await controlState()).bookings.find((b) => b.id === 11);
    expect(stored).toMatchObject({ user_external_id: '', user_first_name: '', user_email: '', extra_data: null });
    expect(stored?.anonymization_datetime).not.toBeNull();
    // Anonymizing keeps the place taken.
    expect(ids((await eventState('mediatheque-centrale', 'heure-du-conte-16-septembre')).main_list)).toContain(11);
  });
});

describe('DELETE /api/booking/{id}/', () => {
  it('deletes the booking, frees its places, and then it is not found', async () => {
    expect(await call('DELETE', '/api/booking/2/')).toEqual({ status: 200, json: { err: 0, booking_id: 2 } });
    expect((await call('GET', '/api/booking/2/')).status).toBe(404);
    expect((await eventState('piscine-municipale', 'bebes-nageurs-18-septembre')).places).toMatchObject({ reserved: 0, full: false });
    expect((await fillslot('piscine-municipale', 'bebes-nageurs-18-septembre')).json.err).toBe(0);
  });

  it('refuses a cancelled booking with err 1', async () => {
    expect((await call('DELETE', '/api/booking/7/')).json).toEqual({ err: 1, err_class: 'booking is cancelled' });
  });
});

describe('seed-minimal mode: every answer carries exactly the fields the seed lists', () => {
  beforeEach(() => {
    sim.setFaults({ seedMinimal: true });
  });

  it('fillslot answers err, booking_id and in_waiting_list alone (the project\'s assumption), and still books', async () => {
    const main = await fillslot('piscine-municipale', 44, { label: 'x' });
    expect(main).toEqual({ status: 200, json: { err: 0, booking_id: expect.any(Number), in_waiting_list: false } });
    const waiting = await fillslot('mediatheque-centrale', 'atelier-numerique-22-septembre', { count: 1 });
    expect(waiting).toEqual({ status: 200, json: { err: 0, booking_id: expect.any(Number), in_waiting_list: true } });
    expect(ids((await eventState('piscine-municipale', 'aquagym-15-septembre')).main_list)).toContain(main.json.booking_id);
  });

  it('the seed\'s calls answer their examples\' fields and nothing more', async () => {
    expect((await call('GET', '/api/bookings/?user_external_id=xxx')).json).toEqual({
      err: 0,
      data: [
        { id: 4, in_waiting_list: false, user_was_present: true, user_absence_reason: '', extra_data: null },
        { id: 11, in_waiting_list: false, user_was_present: null, user_absence_reason: '', extra_data: null },
      ],
    });
    expect(Object.keys((await call('GET', '/api/booking/4/')).json.data as object).sort()).toEqual(['booking_id', 'extra_data', 'in_waiting_list', 'user_absence_reason', 'user_was_present']);
    expect((await call('PATCH', '/api/booking/11/', { user_was_present: true })).json).toEqual({ err: 0, booking_id: 11 });
    expect((await call('POST', '/api/booking/8/accept/')).json).toEqual({ err: 0, booking_id: 8, overbooked_places: expect.any(Number) });
    expect((await call('POST', '/api/booking/8/suspend/')).json).toEqual({ err: 0, booking_id: 8 });
    expect((await call('POST', '/api/booking/8/resize/', { count: 1 })).json).toEqual({ err: 0, booking_id: 8 });
    expect((await call('POST', '/api/booking/11/anonymize/')).json).toEqual({ err: 0, booking_id: 11 });
    expect((await call('POST', '/api/booking/1/cancel/')).json).toEqual({ err: 0, booking_id: 1 });
    expect((await call('POST', '/api/booking/1/cancel/')).json).toEqual({ err: 1, err_class: 'already cancelled' });
    // DELETE's example: {"err": 0}, the stray booking_id block left out.
    expect(await call('DELETE', '/api/booking/2/')).toEqual({ status: 200, json: { err: 0 } });
  });
});

describe('scenarios and the control surface', () => {
  it('GET /__control/state lists every event with main and waiting lists that agree with each booking', async () => {
    await fillslot('piscine-municipale', 'aquagym-15-septembre');
    await fillslot('piscine-municipale', 'aquagym-15-septembre');
    await call('POST', '/api/booking/4/suspend/');
    const state = await controlState();
    expect(state.agendas.map((a) => a.slug)).toEqual(['piscine-municipale', 'gymnase-jean-moulin', 'mediatheque-centrale']);
    expect(state.agendas.flatMap((a) => a.events).length).toBe(5);
    for (const event of state.agendas.flatMap((a) => a.events)) {
      for (const entry of [...event.main_list, ...event.waiting_list]) {
        const view = await readData(entry.booking_id);
        expect(view.in_waiting_list).toBe(event.waiting_list.includes(entry));
      }
    }
    const aquagym = await eventState('piscine-municipale', 'aquagym-15-septembre');
    expect(ids(aquagym.main_list)).toEqual([1, 12]);
    expect(ids(aquagym.waiting_list)).toEqual([4, 13]);
  });

  it('marks an event as checked over HTTP, and PATCH of presence is then refused', async () => {
    const res = await call('POST', '/__control/agendas/piscine-municipale/events/aquagym-15-septembre', { checked: true }, null);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: 44, checked: true });
    expect((await call('PATCH', '/api/booking/4/', { user_was_present: false })).json).toEqual({
      err: 5,
      err_class: 'event is marked as checked',
    });
  });

  it('changes places over HTTP (by event id) and in TypeScript', async () => {
    await call('POST', '/__control/agendas/piscine-municipale/events/45', { places: 3 }, null);
    expect((await fillslot('piscine-municipale', 'bebes-nageurs-18-septembre')).json).toMatchObject({ err: 0, in_waiting_list: false });
    setChronoEvent(sim.ctx.state, 'piscine-municipale', 'bebes-nageurs-18-septembre', { waiting_list_places: 1 });
    expect((await fillslot('piscine-municipale', 'bebes-nageurs-18-septembre')).json).toMatchObject({ err: 0, in_waiting_list: true });
  });

  it('adds an event of its own over HTTP and in TypeScript', async () => {
    const created = await call(
      'POST',
      '/__control/agendas/gymnase-jean-moulin/events',
      { slug: 'escalade-24-septembre', datetime: '2021-09-24 17:00:00', places: 1, waiting_list_places: 1 },
      null,
    );
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 49, slug: 'escalade-24-septembre', label: 'escalade-24-septembre', duration: 60 });
    expect((await fillslot('gymnase-jean-moulin', 'escalade-24-septembre')).json.in_waiting_list).toBe(false);
    expect((await fillslot('gymnase-jean-moulin', 49)).json.in_waiting_list).toBe(true);
    expect((await fillslot('gymnase-jean-moulin', 49)).json.err_class).toBe('sold out');

    const event = addChronoEvent(sim.ctx.state, 'mediatheque-centrale', { slug: 'club-lecture', datetime: '2021-09-30 18:00:00', places: 5 });
    expect((await fillslot('mediatheque-centrale', event.id)).json.err).toBe(0);
  });

  it('forces an err answer over HTTP for the next matching call only, without changing state', async () => {
    const forced = await call(
      'POST',
      '/__control/errors',
      { operation: 'cancel', booking_id: 4, err: 1, err_class: 'already cancelled' },
      null,
    );
    expect(forced.status).toBe(201);
    expect(await call('POST', '/api/booking/1/cancel/')).toEqual({ status: 200, json: { err: 0, booking_id: 1 } });
    expect(await call('POST', '/api/booking/4/cancel/')).toEqual({ status: 200, json: { err: 1, err_class: 'already cancelled' } });
    expect((await call('GET', '/api/booking/4/')).json.err).toBe(0);
    expect((await call('GET', '/__control/errors', undefined, null)).json).toEqual([]);
    expect((await call('POST', '/api/booking/4/cancel/')).json).toEqual({ err: 0, booking_id: 4 });
  });

  it('forces a fillslot refusal in TypeScript, with err_desc and a count of calls', async () => {
    forceChronoError(sim.ctx.state, {
      operation: 'fillslot',
      agenda: 'mediatheque-centrale',
      err: 1,
      err_class: 'sold out',
      err_desc: 'complet',
      times: 2,
    });
    const refused = { status: 200, json: { err: 1, err_class: 'sold out', err_desc: 'complet' } };
    expect(await fillslot('mediatheque-centrale', 48)).toEqual(refused);
    expect(await fillslot('mediatheque-centrale', 48)).toEqual(refused);
    expect((await fillslot('mediatheque-centrale', 48)).json.err).toBe(0);
    expect(ids((await eventState('mediatheque-centrale', 'heure-du-conte-16-septembre')).main_list)).toEqual([9, 10, 11, 12]);
  });

  it('validates control bodies and names unknown events', async () => {
    expect((await call('POST', '/__control/errors', { operation: 'teleport', err: 1, err_class: 'x' }, null)).status).toBe(400);
    expect((await call('POST', '/__control/agendas/piscine-municipale/events/44', { places: -1 }, null)).status).toBe(400);
    expect((await call('POST', '/__control/agendas/piscine-municipale/events/99', { checked: true }, null)).status).toBe(404);
    expect((await call('POST', '/__control/agendas/nulle-part/events', { slug: 'a', datetime: '2021-09-30 18:00:00', places: 1 }, null)).status).toBe(404);
  });

  it('reset restores the fixtures', async () => {
    await call('DELETE', '/api/booking/4/');
    await call('POST', '/__control/reset', undefined, null);
    expect((await call('GET', '/api/booking/4/')).json.err).toBe(0);
  });

  it("applies the harness's forced failures to provider calls", async () => {
    sim.setFaults({ failNext: 1 });
    expect((await call('GET', '/api/booking/4/')).status).toBe(503);
    expect((await call('GET', '/api/booking/4/')).status).toBe(200);
    expect(sim.callsTo('GET', '/api/booking/4/').map((c) => c.status)).toEqual([503, 200]);
  });
});
