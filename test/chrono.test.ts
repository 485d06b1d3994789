/**
 * A booking on a chrono agenda, for its whole life, end to end: the API over
 * HTTP, a real Temporal server, the worker, and the chrono simulator over
 * HTTP. After every step the simulator's main and waiting lists are compared
 * with the booking's view.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { ChronoClient } from '../activities/chrono/client';
import { WorkflowFailedError } from '@temporalio/client';
import { instantOf } from '../activities/chrono/activities';
import { chronoBinding } from '../api/providers/chrono';
import { addChronoEvent, chronoStateView, setChronoEvent, startChronoSimulator, type ChronoState } from '../simulators/chrono';
import type { RunningSimulator } from '../simulators/harness';
import { type BookingView, statusQuery, workflowIdFor } from '../workflows/booking';
import { cancel } from '../workflows/kit';
import { type ChronoTiming, accept, markPresence, resize, suspend } from '../workflows/chrono';
import { BookingProvider, BookingStatus } from '../workflows/search-attributes';
import { APP_TOKEN, APPROVER_TOKEN, OTHER_APP_TOKEN, type Stack, eventually, operatorView, startStack } from './support/stack';
import { CHRONO_PERSON, chronoRequest } from './support/requests';

const CHRONO_TOKEN = 'chrono-test-token';
const DAY = 24 * 60 * 60 * 1000;

let sim: RunningSimulator<ChronoState>;
let stack: Stack;

const timing: ChronoTiming = {
  approvalMs: 60_000,
  retentionMs: 60_000,
  providerDeadlineMs: 30_000,
  releaseEscalationMs: 5_000,
  releaseRetryPauseMs: 500,
};

beforeAll(async () => {
  sim = await startChronoSimulator({ token: CHRONO_TOKEN });
  const endpoint = { provider: 'chrono' as const, baseUrl: sim.url, token: CHRONO_TOKEN, timeoutMs: 1_000 };
  stack = await startStack({ providers: { chrono: endpoint }, bindings: { chrono: chronoBinding({ endpoint, timing }) } });
});

afterAll(async () => {
  await stack?.close();
  await sim?.close();
});

// ---------------------------------------------------------------------------
// Events of the test's own, in UTC (the requests say `timezone: UTC`).

/** chrono's local time format. */
const localTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

interface TestEvent {
  agenda: string;
  slug: string;
}

let eventCount = 0;
function newEvent({ places, waiting = 0, startsIn = DAY, minutes = 60 }: { places: number; waiting?: number; startsIn?: number; minutes?: number }): TestEvent {
  const agenda = 'gymnase-jean-moulin';
  const slug = `seance-${++eventCount}-${randomUUID().slice(0, 8)}`;
  addChronoEvent(sim.ctx.state, agenda, { slug, datetime: localTime(Date.now() + startsIn), duration: minutes, places, waiting_list_places: waiting });
  return { agenda, slug };
}

/** An event that ended an hour ago: presence can be marked at once. */
const pastEvent = (places = 5, waiting = 0) => newEvent({ places, waiting, startsIn: -2 * 60 * 60 * 1000 });


const requestFor = (event: TestEvent, extra: Record<string, unknown> = {}) => chronoRequest({ agenda: event.agenda, slot: event.slug }, extra);

/** Takes the event's places so that the next booking lands on the waiting list. */
function fillUp(event: TestEvent, places: number): void {
  const found = sim.ctx.state.events.find((e) => e.slug === event.slug)!;
  for (let i = 0; i < places; i++) {
    sim.ctx.state.bookings.push({
      id: sim.ctx.state.nextBookingId++,
      agenda: event.agenda,
      event_id: found.id,
      count: 1,
      in_waiting_list: false,
      user_external_id: `autre-${i}`,
      user_first_name: '',
      user_last_name: '',
      user_email: '',
      user_phone_number: '',
      label: '',
      user_was_present: null,
      user_absence_reason: '',
      extra_data: null,
      creation_datetime: new Date().toISOString(),
      cancellation_datetime: null,
      anonymization_datetime: null,
    });
  }
}

// ---------------------------------------------------------------------------
// The API and the workflow

async function book(request: Record<string, unknown>): Promise<string> {
  const res = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'chrono', request } });
  expect(res.status).toBe(202);
  return res.body.bookingId as string;
}

/** Starts the workflow straight on Temporal, with durations of its own (a short approval or retention). */
async function bookWithTiming(request: Record<string, unknown>, own: Partial<ChronoTiming>) {
  const bookingId = randomUUID();
  const handle = await stack.client.workflow.start('chronoAgendaBooking', {
    taskQueue: stack.taskQueue,
    workflowId: workflowIdFor(bookingId),
    args: [{ bookingId, client: 'test-app', request: { count: 1, ...request }, timing: { ...timing, ...own } }],
  });
  return { bookingId, handle };
}

async function view(bookingId: string): Promise<BookingView> {
  const res = await stack.api(`/api/v1/bookings/${bookingId}`);
  expect(res.status).toBe(200);
  return res.body as BookingView;
}

const untilStage = (bookingId: string, stage: string, timeoutMs = 20_000) =>
  eventually(async () => {
    const v = await view(bookingId);
    return v.stage === stage ? v : undefined;
  }, `booking ${bookingId} to reach ${stage}`, timeoutMs);

const act = (bookingId: string, action: string, json: unknown = {}, token = APPROVER_TOKEN) =>
  stack.api(`/api/v1/bookings/${bookingId}/${action}`, { method: 'POST', json, token });

const handleOf = (bookingId: string) => stack.client.workflow.getHandle(workflowIdFor(bookingId));
const notes = (v: BookingView) => v.timeline.map((e) => e.note);

// ---------------------------------------------------------------------------
// What chrono holds, read from the simulator

interface AtChrono {
  list: 'main' | 'waiting' | 'none';
  count: number | undefined;
  cancelled: boolean;
  anonymized: boolean;
  exists: boolean;
  user_was_present: boolean | null | undefined;
  user_absence_reason: string | undefined;
  extra_data: Record<string, unknown> | null | undefined;
}

function atChrono(chronoId: number): AtChrono {
  const state = chronoStateView(sim.ctx.state);
  const events = state.agendas.flatMap((a) => a.events);
  const stored = sim.ctx.state.bookings.find((b) => b.id === chronoId);
  const list = events.some((e) => e.main_list.some((b) => b.booking_id === chronoId))
    ? 'main'
    : events.some((e) => e.waiting_list.some((b) => b.booking_id === chronoId))
      ? 'waiting'
      : 'none';
  return {
    list,
    count: stored?.count,
    cancelled: Boolean(stored?.cancellation_datetime),
    anonymized: Boolean(stored?.anonymization_datetime),
    exists: stored !== undefined,
    user_was_present: stored?.user_was_present,
    user_absence_reason: stored?.user_absence_reason,
    extra_data: stored?.extra_data,
  };
}

/** The booking's view and chrono's lists tell the same story. */
function expectAgreement(v: BookingView): void {
  const chronoId = v.references.booking_id as number;
  const chrono = atChrono(chronoId);
  const result = v.result as { count: number; in_waiting_list: boolean };
  if (v.stage === 'deleted') {
    expect(chrono.exists).toBe(false);
    return;
  }
  switch (v.status) {
    case 'confirmed':
    case 'completed':
      expect(chrono).toMatchObject({ list: 'main', cancelled: false, count: result.count });
      expect(result.in_waiting_list).toBe(false);
      expect(chrono.anonymized).toBe(v.status === 'completed');
      break;
    case 'awaiting_approval':
      expect(chrono).toMatchObject({ list: 'waiting', cancelled: false, count: result.count });
      expect(result.in_waiting_list).toBe(true);
      break;
    case 'cancelled':
    case 'expired':
      expect(chrono).toMatchObject({ list: 'none', cancelled: true });
      break;
    default:
      throw new Error(`no agreement rule for a ${v.status} booking`);
  }
}

const chronoCalls = (method: string, chronoId: number, action = '') =>
  sim.callsTo(method, `/api/booking/${chronoId}/${action ? `${action}/` : ''}`);

// ---------------------------------------------------------------------------

describe('booking places on an agenda', () => {
  test('a booking with places left goes on the main list and is confirmed until the event', async () => {
    const event = newEvent({ places: 3 });
    const request = requestFor(event, { count: 2 });
    const bookingId = await book(request);
    const confirmed = await untilStage(bookingId, 'main_list');
    expect(confirmed).toMatchObject({
      provider: 'chrono',
      status: 'confirmed',
      references: { booking_id: expect.any(Number), agenda: event.agenda, slot: event.slug },
      result: { count: 2, in_waiting_list: false, overbooked_places: null, agenda: { slug: event.agenda, label: 'Gymnase Jean Moulin' } },
      waitingFor: { on: 'client', actions: ['resize', 'suspend', 'cancel', 'delete'], deadline: (confirmed.result as { endsAt: string }).endsAt },
      cancellable: true,
    });
    expectAgreement(confirmed);
    // chrono keeps our bookingId in extra_data: the tie between its booking and ours.
    expect(atChrono(confirmed.references.booking_id as number).extra_data).toEqual({ orchestrator_booking_id: bookingId });

    const { described, details } = await operatorView(handleOf(bookingId));
    expect(described.typedSearchAttributes.get(BookingProvider)).toBe('chrono');
    expect(described.typedSearchAttributes.get(BookingStatus)).toBe('confirmed');
    const visible = JSON.stringify({ sa: described.searchAttributes, memo: described.memo, details });
    for (const personal of [...Object.values(CHRONO_PERSON), request.user_external_id]) expect(visible).not.toContain(personal);
    await act(bookingId, 'cancel', {}, APP_TOKEN);
  });

  test('a booking on a full agenda waits on the waiting list until an approver accepts it through the API', async () => {
    const event = newEvent({ places: 2, waiting: 3 });
    fillUp(event, 2);
    const bookingId = await book(requestFor(event));
    const waiting = await untilStage(bookingId, 'waiting_list');
    expect(waiting).toMatchObject({
      status: 'awaiting_approval',
      waitingFor: { on: 'approver', actions: ['accept', 'reject', 'cancel', 'delete'], atDeadline: 'the booking is cancelled at chrono and expires' },
    });
    expect(Date.parse(waiting.waitingFor!.deadline!) - Date.parse(waiting.updatedAt)).toBeLessThanOrEqual(timing.approvalMs);
    expectAgreement(waiting);

    const byApp = await act(bookingId, 'accept', {}, APP_TOKEN);
    expect(byApp.status).toBe(403);
    expect(byApp.body.error.message).toBe('accept needs the approver role; this token is app');

    const accepted = await act(bookingId, 'accept');
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'confirmed', stage: 'main_list', result: { overbooked_places: 1, in_waiting_list: false } });
    expect(notes(accepted.body)).toContain('accepted by an approver: on the main list, the event is overbooked by 1 place(s)');
    expectAgreement(accepted.body);
    await act(bookingId, 'cancel');
  });

  test('an approver in the Temporal UI accepts with the accept signal', async () => {
    const event = newEvent({ places: 1, waiting: 1 });
    fillUp(event, 1);
    const bookingId = await book(requestFor(event));
    expectAgreement(await untilStage(bookingId, 'waiting_list'));
    await handleOf(bookingId).signal(accept.signal);
    const confirmed = await untilStage(bookingId, 'main_list');
    expect(confirmed.result).toMatchObject({ overbooked_places: 1 });
    expectAgreement(confirmed);
    await act(bookingId, 'cancel');
  });

  test('a rejected booking is cancelled at chrono and ends cancelled', async () => {
    const event = newEvent({ places: 1, waiting: 2 });
    fillUp(event, 1);
    const bookingId = await book(requestFor(event));
    expectAgreement(await untilStage(bookingId, 'waiting_list'));
    const rejected = await act(bookingId, 'reject', { reason: 'réservé aux résidents' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'cancelled', stage: 'rejected', cancellable: false, waitingFor: null });
    expect(notes(rejected.body)).toContain('rejected by an approver (réservé aux résidents); the booking was cancelled at chrono');
    expectAgreement(rejected.body);
    expect(chronoCalls('POST', rejected.body.references.booking_id, 'cancel')).toHaveLength(1);
  });

  test('a booking no approver answers in time is cancelled at chrono and expires', async () => {
    const event = newEvent({ places: 1, waiting: 2 });
    fillUp(event, 1);
    const { bookingId, handle } = await bookWithTiming(requestFor(event), { approvalMs: 1_500 });
    expectAgreement(await untilStage(bookingId, 'waiting_list'));
    const result = (await handle.result()) as BookingView;
    expect(result).toMatchObject({ status: 'expired', stage: 'expired' });
    expect(notes(result)).toContain('no approver answered before the deadline; the booking was cancelled at chrono');
    expectAgreement(result);
  });

  test('a confirmed booking suspended goes back to the waiting list, and is accepted again', async () => {
    const event = newEvent({ places: 2, waiting: 2 });
    const bookingId = await book(requestFor(event));
    expectAgreement(await untilStage(bookingId, 'main_list'));

    const suspended = await act(bookingId, 'suspend', { reason: 'pièce justificative manquante' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'awaiting_approval', stage: 'waiting_list', waitingFor: { on: 'approver' } });
    expect(notes(suspended.body)).toContain('suspended (pièce justificative manquante): back on the waiting list, awaiting approval again');
    expectAgreement(suspended.body);

    // Meanwhile the event fills up: accepting again overbooks it.
    fillUp(event, 2);
    const accepted = await act(bookingId, 'accept');
    expect(accepted.body).toMatchObject({ status: 'confirmed', result: { overbooked_places: 1 } });
    expectAgreement(accepted.body);

    // The same from the Temporal UI.
    await handleOf(bookingId).signal(suspend.signal, { reason: 'par signal' });
    expectAgreement(await untilStage(bookingId, 'waiting_list'));
    await act(bookingId, 'reject');
  });

  test('resize within the places left changes the booking; a sold out answer leaves it as it was and says why', async () => {
    const event = newEvent({ places: 3 });
    const bookingId = await book(requestFor(event));
    expectAgreement(await untilStage(bookingId, 'main_list'));

    const grown = await act(bookingId, 'resize', { count: 3 }, APP_TOKEN);
    expect(grown.status).toBe(200);
    expect(grown.body.result).toMatchObject({ count: 3 });
    expect(notes(grown.body)).toContain('resized from 1 to 3 place(s)');
    expectAgreement(grown.body);

    const soldOut = await act(bookingId, 'resize', { count: 4 }, APP_TOKEN);
    expect(soldOut.status).toBe(409);
    expect(soldOut.body.error.message).toBe(
      'chrono refused resize: sold out (the event has no places left for this); the booking is confirmed (main_list) with 3 place(s)',
    );
    const after = await view(bookingId);
    expect(after).toMatchObject({ status: 'confirmed', result: { count: 3, lastRefusal: { action: 'resize', err_class: 'sold out' } } });
    expectAgreement(after);

    await handleOf(bookingId).signal(resize.signal, { count: 2 });
    const shrunk = await eventually(async () => {
      const v = await view(bookingId);
      return (v.result as { count: number }).count === 2 ? v : undefined;
    }, 'the resize signal');
    expectAgreement(shrunk);
    await act(bookingId, 'cancel', {}, APP_TOKEN);
  });

  test('presence is marked after the event: present, then absent with a reason and extra data', async () => {
    // An event that ends in a few seconds.
    const event = newEvent({ places: 2, startsIn: -60 * 60 * 1000 + 2_000, minutes: 60 });
    const bookingId = await book(requestFor(event));
    expectAgreement(await untilStage(bookingId, 'main_list'));

    const early = await act(bookingId, 'presence', { user_was_present: true });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe('the booking is confirmed (main_list): markPresence is not possible now');

    const over = await untilStage(bookingId, 'event_over');
    expect(over).toMatchObject({ status: 'confirmed', cancellable: false, waitingFor: { on: 'approver', actions: ['markPresence', 'delete'] } });
    expectAgreement(over);

    const present = await act(bookingId, 'presence', { user_was_present: true });
    expect(present.status).toBe(200);
    expect(present.body.result.presence).toEqual({ user_was_present: true, user_absence_reason: '', extra_data: null });
    const chronoId = present.body.references.booking_id as number;
    expect(atChrono(chronoId).user_was_present).toBe(true);

    const absent = await act(bookingId, 'presence', {
      user_was_present: false,
      user_absence_reason: 'Maladie',
      extra_data: { justificatif: 'certificat médical', rappel: 2 },
    });
    expect(absent.status).toBe(200);
    expect(absent.body.result.presence).toEqual({ user_was_present: false, user_absence_reason: 'Maladie', extra_data: { justificatif: 'certificat médical', rappel: 2 } });
    expect(atChrono(chronoId)).toMatchObject({
      user_was_present: false,
      user_absence_reason: 'Maladie',
      extra_data: { orchestrator_booking_id: bookingId, justificatif: 'certificat médical', rappel: 2 },
    });
    expectAgreement(absent.body);

    // Too late to cancel: the event took place.
    const cancel = await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toMatch(/^the event is over \(.*\): the booking can no longer be cancelled, only deleted$/);

    const badPresence = await act(bookingId, 'presence', { user_was_present: true, user_absence_reason: 'Maladie' });
    expect(badPresence.status).toBe(400);
    expect(badPresence.body.error.fields).toEqual([{ field: 'user_absence_reason', message: 'an absence reason goes with user_was_present: false' }]);
    // The tag that finds the booking at chrono cannot be overwritten.
    const retag = await act(bookingId, 'presence', { user_was_present: true, extra_data: { orchestrator_booking_id: 'autre' } });
    expect(retag.status).toBe(400);
    expect(retag.body.error.fields).toEqual([{ field: 'extra_data', message: 'extra_data may not hold orchestrator_booking_id' }]);

    await handleOf(bookingId).signal(markPresence.signal, { user_was_present: true });
    await eventually(async () => (atChrono(chronoId).user_was_present === true ? true : undefined), 'the presence signal');
    await act(bookingId, 'delete');
  });

  test('after the event and the retention period the booking is anonymized at chrono and completes', async () => {
    // An event that ends in a second, and a short retention period.
    const event = newEvent({ places: 2, startsIn: -60 * 60 * 1000 + 1_000, minutes: 60 });
    const request = requestFor(event);
    const { bookingId, handle } = await bookWithTiming(request, { retentionMs: 2_500 });
    const over = await untilStage(bookingId, 'event_over');
    expect(Date.parse(over.waitingFor!.deadline!)).toBe(Date.parse((over.result as { endsAt: string }).endsAt) + 2_500);
    expectAgreement(over);
    await act(bookingId, 'presence', { user_was_present: false, user_absence_reason: 'Maladie', extra_data: { note: 'x' } });

    const done = (await handle.result()) as BookingView;
    expect(done).toMatchObject({ status: 'completed', stage: 'anonymized', result: { anonymized: true, presence: { user_was_present: false } } });
    expect(JSON.stringify(done.result)).not.toContain('Maladie');
    expectAgreement(done);
    const chronoId = done.references.booking_id as number;
    expect(sim.ctx.state.bookings.find((b) => b.id === chronoId)).toMatchObject({ user_external_id: '', user_first_name: '', user_email: '', extra_data: null });
    // The user's list at chrono no longer shows it.
    const list = await stack.api(`/api/v1/providers/chrono/bookings?user_external_id=${request.user_external_id}`);
    expect(list.body.bookings).toEqual([]);
    const late = await act(bookingId, 'presence', { user_was_present: true });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe('the booking is completed: presence is no longer possible');
  });

  test('delete on request removes the booking at chrono', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    expectAgreement(await untilStage(bookingId, 'main_list'));
    const deleted = await act(bookingId, 'delete', { reason: 'demande RGPD' });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ status: 'cancelled', stage: 'deleted' });
    expectAgreement(deleted.body);
    expect((await stack.api(`/api/v1/bookings/${bookingId}/delete`, { method: 'POST', json: {}, token: APPROVER_TOKEN })).status).toBe(409);
  });
});

describe('the whole life in one workflow', () => {
  test('on a full agenda: waits, accepted, a resize refused as sold out, suspended, accepted again from the Temporal UI, presence, anonymized', async () => {
    // The event ends in a few seconds; the retention period is short.
    const event = newEvent({ places: 2, waiting: 3, startsIn: -60 * 60 * 1000 + 3_500, minutes: 60 });
    fillUp(event, 2);
    const { bookingId, handle } = await bookWithTiming(requestFor(event), { retentionMs: 2_000 });
    const steps: string[] = [];
    const check = (v: BookingView) => {
      expectAgreement(v);
      steps.push(`${v.status}/${v.stage}`);
    };

    check(await untilStage(bookingId, 'waiting_list'));
    check((await act(bookingId, 'accept')).body);
    const soldOut = await act(bookingId, 'resize', { count: 2 }, APP_TOKEN);
    expect(soldOut.status).toBe(409);
    check(await view(bookingId));
    check((await act(bookingId, 'suspend')).body);
    await handle.signal(accept.signal);
    check(await untilStage(bookingId, 'main_list'));
    check(await untilStage(bookingId, 'event_over'));
    check((await act(bookingId, 'presence', { user_was_present: false, user_absence_reason: 'Maladie', extra_data: { rappel: 1 } })).body);
    const done = (await handle.result()) as BookingView;
    check(done);
    expect(steps).toEqual([
      'awaiting_approval/waiting_list',
      'confirmed/main_list',
      'confirmed/main_list',
      'awaiting_approval/waiting_list',
      'confirmed/main_list',
      'confirmed/event_over',
      'confirmed/event_over',
      'completed/anonymized',
    ]);
    expect(done.result).toMatchObject({ count: 1, overbooked_places: 1, anonymized: true, lastRefusal: null });
    expect(notes(done)).toContain('chrono refused resize: sold out (the event has no places left for this)');
    expect(done.timeline.length).toBeGreaterThan(10);
  });
});

describe('cancelling', () => {
  test('cancel twice: the second is a no-op, not an error, and chrono is asked once', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    const chronoId = confirmed.references.booking_id as number;

    const first = await act(bookingId, 'cancel', { reason: 'empêchement' }, undefined);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'cancelled', stage: 'cancelled', cancellable: false });
    expectAgreement(first.body);
    const second = await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'cancelled', updatedAt: first.body.updatedAt });
    expect(chronoCalls('POST', chronoId, 'cancel')).toHaveLength(1);
  });

  test('two cancels at once are one cancel at chrono: the second joins the first, or is told the booking is already being cancelled', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    sim.setFaults({ latencyMs: 500 });
    const answers = await Promise.all([act(bookingId, 'cancel', {}, APP_TOKEN), act(bookingId, 'cancel', {}, APP_TOKEN)]);
    sim.setFaults({ latencyMs: 0 });
    // Whichever comes first cancels; the other joins it (200) or is told it is under way (409).
    const [first, second] = answers[0]!.status === 200 ? answers : [answers[1]!, answers[0]!];
    expect(first).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    if (second!.status === 200) expect(second!.body.status).toBe('cancelled');
    else expect(second).toMatchObject({ status: 409, body: { error: { message: 'the booking is already being cancelled at chrono' } } });
    expect(chronoCalls('POST', confirmed.references.booking_id as number, 'cancel')).toHaveLength(1);
  });

  test('a cancel signal from the Temporal UI cancels; a second one changes nothing (joined, or recorded and ignored)', async () => {
    const event = newEvent({ places: 2, waiting: 1 });
    fillUp(event, 2);
    const bookingId = await book(requestFor(event));
    await untilStage(bookingId, 'waiting_list');
    const handle = handleOf(bookingId);
    // chrono answers slowly, so the second signal comes while the first cancel is under way.
    sim.setFaults({ latencyMs: 500 });
    await handle.signal(cancel.signal, { reason: 'par signal' });
    await handle.signal(cancel.signal, {});
    const done = (await handle.result()) as BookingView;
    sim.setFaults({ latencyMs: 0 });
    expect(done).toMatchObject({ status: 'cancelled' });
    const ignored = notes(done).filter((n) => n.startsWith('cancel signal ignored'));
    expect(ignored).toEqual(ignored.length ? ['cancel signal ignored: the booking is already being cancelled at chrono'] : []);
    expectAgreement(done);
    expect(chronoCalls('POST', done.references.booking_id as number, 'cancel')).toHaveLength(1);
  });

  test('a cancel while chrono is still booking is carried out once chrono answers: the booking it made is cancelled', async () => {
    const event = newEvent({ places: 2 });
    // fillslot answers late (within the request timeout): the cancel comes while chrono is booking.
    sim.setFaults({ hangNext: 1, hangMs: 800, faultsOn: '^POST /api/agenda/' });
    const bookingId = await book(requestFor(event));
    await untilStage(bookingId, 'filling_slot');
    const cancel = await act(bookingId, 'cancel', { reason: 'erreur de saisie' }, APP_TOKEN);
    sim.setFaults({ faultsOn: undefined });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', stage: 'cancelled' });
    expect(notes(cancel.body)).not.toContain(expect.stringMatching(/on the (main|waiting) list/));
    expectAgreement(cancel.body);
  });

  test('an operator cancelling the workflow from the Temporal UI gives the places back', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    await untilStage(bookingId, 'main_list');
    const handle = handleOf(bookingId);
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const after = await handle.query(statusQuery);
    expect(after.status).toBe('cancelled');
    expectAgreement(after);
  });
});

describe("chrono's refusals (err != 0 with HTTP 200) are never taken for success", () => {
  test('"sold out" at fillslot fails the booking with chrono\'s words, without retrying', async () => {
    const event = newEvent({ places: 1 });
    fillUp(event, 1);
    const bookingId = await book(requestFor(event));
    const failed = await untilStage(bookingId, 'fillslot_refused');
    expect(failed).toMatchObject({
      status: 'failed',
      error: { code: 'provider_refused', message: 'sold out', providerDetails: { err: 1, err_class: 'sold out', code: 'sold_out' } },
    });
    expect(sim.callsTo('POST', `/api/agenda/${event.agenda}/fillslot/${event.slug}/`)).toHaveLength(1);
  });

  test('"event is already booked by user" at fillslot (exclude_user) fails the second booking', async () => {
    const event = newEvent({ places: 3 });
    const request = requestFor(event, { exclude_user: true });
    const first = await book(request);
    await untilStage(first, 'main_list');
    const second = await book(request);
    const failed = await untilStage(second, 'fillslot_refused');
    expect(failed.error).toMatchObject({ message: 'event is already booked by user', providerDetails: { code: 'already_booked_by_user' } });
    await act(first, 'cancel');
  });

  test('"booking is cancelled": a booking cancelled at chrono ends cancelled when an approver acts on it', async () => {
    const event = newEvent({ places: 1, waiting: 1 });
    fillUp(event, 1);
    const bookingId = await book(requestFor(event));
    const waiting = await untilStage(bookingId, 'waiting_list');
    const chronoId = waiting.references.booking_id as number;
    sim.ctx.state.bookings.find((b) => b.id === chronoId)!.cancellation_datetime = new Date().toISOString();

    const accept = await act(bookingId, 'accept');
    expect(accept.status).toBe(409);
    expect(accept.body.error.message).toBe('chrono refused accept: booking is cancelled (the booking is cancelled at chrono)');
    const after = await view(bookingId);
    expect(after).toMatchObject({ status: 'cancelled', stage: 'cancelled_at_chrono' });
    expectAgreement(after);
    expect(chronoCalls('POST', chronoId, 'accept')).toHaveLength(1);
  });

  test('"already cancelled": cancelling a booking cancelled at chrono counts as done', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    const chronoId = confirmed.references.booking_id as number;
    sim.ctx.state.bookings.find((b) => b.id === chronoId)!.cancellation_datetime = new Date().toISOString();
    const cancel = await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', attention: null });
    expect(chronoCalls('POST', chronoId, 'cancel').map((c) => c.status)).toEqual([200]);
    expectAgreement(cancel.body);
  });

  test('"booking is not in waiting list": a booking accepted at chrono is confirmed in the view', async () => {
    const event = newEvent({ places: 1, waiting: 1 });
    fillUp(event, 1);
    const bookingId = await book(requestFor(event));
    const waiting = await untilStage(bookingId, 'waiting_list');
    const chronoId = waiting.references.booking_id as number;
    sim.ctx.state.bookings.find((b) => b.id === chronoId)!.in_waiting_list = false;

    const accept = await act(bookingId, 'accept');
    expect(accept.status).toBe(409);
    expect(accept.body.error.message).toBe(
      'chrono refused accept: booking is not in waiting list (the booking is already on the main list at chrono); the booking is confirmed (main_list)',
    );
    const after = await view(bookingId);
    expect(notes(after)).toContain('chrono has the booking on the main list (accepted at chrono): confirmed');
    expectAgreement(after);
    await act(bookingId, 'cancel');
  });

  test('"booking is already in waiting list": a booking suspended at chrono awaits approval in the view', async () => {
    const event = newEvent({ places: 2, waiting: 1 });
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    sim.ctx.state.bookings.find((b) => b.id === confirmed.references.booking_id)!.in_waiting_list = true;

    const suspend = await act(bookingId, 'suspend');
    expect(suspend.status).toBe(409);
    expect(suspend.body.error.message).toBe(
      'chrono refused suspend: booking is already in waiting list (the booking is already on the waiting list at chrono); the booking is awaiting_approval (waiting_list)',
    );
    expectAgreement(await view(bookingId));
    await act(bookingId, 'reject');
  });

  test('"booking is in waiting list": presence on a booking suspended at chrono is refused and the view follows chrono', async () => {
    const event = pastEvent(2, 1);
    const bookingId = await book(requestFor(event));
    const over = await untilStage(bookingId, 'event_over');
    sim.ctx.state.bookings.find((b) => b.id === over.references.booking_id)!.in_waiting_list = true;

    const presence = await act(bookingId, 'presence', { user_was_present: true });
    expect(presence.status).toBe(409);
    expect(presence.body.error.message).toMatch(/^chrono refused markPresence: booking is in waiting list \(the booking is on the waiting list at chrono; /);
    const after = await view(bookingId);
    expect(after).toMatchObject({ status: 'awaiting_approval' });
    expectAgreement(after);
    await act(bookingId, 'reject');
  });

  test('"event is marked as checked": presence can no longer change and the booking stays confirmed', async () => {
    const event = pastEvent();
    const bookingId = await book(requestFor(event));
    await untilStage(bookingId, 'event_over');
    setChronoEvent(sim.ctx.state, event.agenda, event.slug, { checked: true });

    const presence = await act(bookingId, 'presence', { user_was_present: false, user_absence_reason: 'Retard' });
    expect(presence.status).toBe(409);
    expect(presence.body.error.message).toBe(
      'chrono refused markPresence: event is marked as checked (the event is marked as checked at chrono: presence can no longer change); the booking is confirmed (event_over)',
    );
    const after = await view(bookingId);
    expect(after).toMatchObject({ status: 'confirmed', stage: 'event_over', result: { presence: null, lastRefusal: { err_class: 'event is marked as checked' } } });
    expectAgreement(after);
    await act(bookingId, 'delete');
  });

  test('"booking is cancelled" on delete: a booking cancelled at chrono cannot be deleted and ends cancelled', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    const chronoId = confirmed.references.booking_id as number;
    sim.ctx.state.bookings.find((b) => b.id === chronoId)!.cancellation_datetime = new Date().toISOString();
    const deleted = await act(bookingId, 'delete');
    expect(deleted.status).toBe(409);
    expect(deleted.body.error.message).toBe('chrono refused delete: booking is cancelled (the booking is cancelled at chrono)');
    expectAgreement(await view(bookingId));
    expect(chronoCalls('DELETE', chronoId)).toHaveLength(1);
  });
});

describe('answers at the wrong time', () => {
  test('the API answers 409 with the reason; signals are recorded and ignored', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    await untilStage(bookingId, 'main_list');
    const early = await act(bookingId, 'accept');
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe('the booking is confirmed (main_list): accept is not possible now');
    const presence = await act(bookingId, 'presence', { user_was_present: true });
    expect(presence.status).toBe(409);
    await handleOf(bookingId).signal(accept.signal);
    await handleOf(bookingId).signal(resize.signal, { count: 0 });
    const after = await eventually(async () => {
      const v = await view(bookingId);
      return notes(v).some((n) => n.startsWith('resize signal ignored')) ? v : undefined;
    }, 'the ignored signals');
    expect(notes(after)).toEqual(
      expect.arrayContaining([
        'accept signal ignored: the booking is confirmed (main_list): accept is not possible now',
        'resize signal ignored: count must be a whole number of places, at least 1',
      ]),
    );
    expectAgreement(after);
    const unknown = await act(bookingId, 'complete');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('a chrono booking has no "complete" action; it has: accept, reject, suspend, resize, presence, cancel, delete');
    await act(bookingId, 'cancel');
  });
});

describe('reliability', () => {
  test('an answer chrono cannot take in time is refused with the reason, and the booking stays as it was', async () => {
    const event = newEvent({ places: 1, waiting: 1 });
    fillUp(event, 1);
    const { bookingId } = await bookWithTiming(requestFor(event), { providerDeadlineMs: 1_500 });
    await untilStage(bookingId, 'waiting_list');
    sim.setFaults({ failNext: 1_000 });
    const accept = await act(bookingId, 'accept');
    sim.setFaults({ failNext: 0 });
    expect(accept.status).toBe(409);
    expect(accept.body.error.message).toMatch(/^accept failed: .*; the booking is awaiting_approval \(waiting_list\)$/);
    expectAgreement(await view(bookingId));
    await act(bookingId, 'reject');
  });

  test('chrono answering 5xx is retried until the answer goes through', async () => {
    const event = newEvent({ places: 1, waiting: 1 });
    fillUp(event, 1);
    const bookingId = await book(requestFor(event));
    const waiting = await untilStage(bookingId, 'waiting_list');
    sim.setFaults({ failNext: 1, failStatus: 502 });
    const accepted = await act(bookingId, 'accept');
    expect([200, 202]).toContain(accepted.status);
    const confirmed = accepted.status === 200 ? accepted.body : await untilStage(bookingId, 'main_list');
    expect(chronoCalls('POST', waiting.references.booking_id as number, 'accept').map((c) => c.status)).toEqual([502, 200]);
    expectAgreement(confirmed);
    await act(bookingId, 'cancel');
  });
});

describe('nothing stays held at chrono', () => {
  const fillslotPath = (event: TestEvent) => `/api/agenda/${event.agenda}/fillslot/${event.slug}/`;
  const onFillslot = '^POST /api/agenda/[^/]+/fillslot/[^/]+/$';
  /** What chrono holds on the event: its main and waiting lists. */
  const inventoryOf = (event: TestEvent) => {
    const found = chronoStateView(sim.ctx.state).agendas.flatMap((a) => a.events).find((e) => e.slug === event.slug)!;
    return { main: found.main_list, waiting: found.waiting_list };
  };
  /** The user's bookings at chrono that are not cancelled. */
  const activeOf = (user: string) => sim.ctx.state.bookings.filter((b) => b.user_external_id === user && !b.cancellation_datetime).map((b) => b.id);

  afterEach(() => {
    sim.setFaults({ garbleNext: 0, hangNext: 0, failNext: 0, latencyMs: 0, faultsOn: undefined, seedMinimal: false });
  });

  test.each(['truncated_json', 'empty'] as const)(
    'a fillslot answer garbled (%s) after chrono booked fails the booking, and the booking chrono made is found by its tag and cancelled',
    async (garbleAs) => {
      const event = newEvent({ places: 3 });
      fillUp(event, 1);
      const before = inventoryOf(event);
      const request = requestFor(event);
      sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: onFillslot });
      const { handle } = await bookWithTiming(request, {});
      const failed = (await handle.result()) as BookingView;
      expect(failed).toMatchObject({ status: 'failed', stage: 'fillslot_failed', attention: null, error: { code: 'provider_contract_violation' } });
      expect(notes(failed)).toContainEqual(expect.stringContaining('released: the chrono booking tagged with this booking'));
      // chrono had booked once; that booking is cancelled, nothing is left on the event.
      expect(sim.callsTo('POST', fillslotPath(event))).toHaveLength(1);
      const made = sim.ctx.state.bookings.filter((b) => b.user_external_id === request.user_external_id);
      expect(made).toHaveLength(1);
      expect(made[0]!.cancellation_datetime).not.toBeNull();
      expect(inventoryOf(event)).toEqual(before);
    },
  );

  test('a fillslot answered by a proxy\'s HTML 502 after chrono booked is retried: the first booking is cancelled, one booking stays, and a cancel leaves nothing', async () => {
    const event = newEvent({ places: 3 });
    const before = inventoryOf(event);
    const request = requestFor(event);
    sim.setFaults({ garbleNext: 1, garbleAs: 'html_502', faultsOn: onFillslot });
    const bookingId = await book(request);
    const confirmed = await untilStage(bookingId, 'main_list', 30_000);
    expect(sim.callsTo('POST', fillslotPath(event)).map((c) => c.status)).toEqual([502, 200]);
    expect(activeOf(request.user_external_id)).toEqual([confirmed.references.booking_id]);
    expect(notes(confirmed)).toEqual(expect.arrayContaining([expect.stringMatching(/^an earlier unanswered attempt had booked \d+ at chrono; cancelled before booking again$/)]));
    expectAgreement(confirmed);
    expect((await act(bookingId, 'cancel', {}, APP_TOKEN)).body).toMatchObject({ status: 'cancelled' });
    expect(inventoryOf(event)).toEqual(before);
  });

  test('a fillslot that times out after chrono booked is retried without leaving a second booking at chrono', async () => {
    const event = newEvent({ places: 5 });
    const before = inventoryOf(event);
    const request = requestFor(event);
    sim.setFaults({ hangNext: 1, hangMs: 2_000, faultsOn: onFillslot });
    const bookingId = await book(request);
    const confirmed = await untilStage(bookingId, 'main_list', 30_000);
    expect(sim.callsTo('POST', fillslotPath(event))).toHaveLength(2);
    expect(activeOf(request.user_external_id)).toEqual([confirmed.references.booking_id]);
    expect(notes(confirmed)).toEqual(expect.arrayContaining([expect.stringMatching(/^an earlier unanswered attempt had booked \d+ at chrono; cancelled before booking again$/)]));
    expectAgreement(confirmed);
    await act(bookingId, 'cancel');
    expect(inventoryOf(event)).toEqual(before);
  });

  test('a fillslot chrono never answers in time fails the booking, and every booking it made is cancelled', async () => {
    const event = newEvent({ places: 5 });
    const before = inventoryOf(event);
    const request = requestFor(event);
    sim.setFaults({ hangNext: 100, hangMs: 1_500, faultsOn: onFillslot });
    const { handle } = await bookWithTiming(request, { providerDeadlineMs: 3_500 });
    const failed = (await handle.result()) as BookingView;
    expect(failed).toMatchObject({ status: 'failed', stage: 'fillslot_failed', attention: null });
    expect(failed.error?.code).toMatch(/^provider_(unavailable|timeout)$/);
    expect(sim.callsTo('POST', fillslotPath(event)).length).toBeGreaterThanOrEqual(1);
    expect(activeOf(request.user_external_id)).toEqual([]);
    expect(inventoryOf(event)).toEqual(before);
  });

  test('a release chrono keeps failing flags the booking for an operator while it goes on asking, and clears the flag once chrono cancelled it', async () => {
    const event = newEvent({ places: 2 });
    const before = inventoryOf(event);
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    sim.setFaults({ failNext: 10_000, faultsOn: '^POST /api/booking/\\d+/cancel/$' });
    await act(bookingId, 'cancel', {}, APP_TOKEN);
    const flagged = await eventually(async () => {
      const v = await view(bookingId);
      return v.attention ? v : undefined;
    }, 'the release to be flagged', 30_000);
    expect(flagged).toMatchObject({ status: 'confirmed', stage: 'releasing' });
    expect(flagged.attention).toMatch(/^release "the chrono booking \d+" keeps failing \(round 1\): /);
    sim.setFaults({ failNext: 0 });
    const done = (await handleOf(bookingId).result()) as BookingView;
    expect(done).toMatchObject({ status: 'cancelled', attention: null });
    expect(atChrono(confirmed.references.booking_id as number)).toMatchObject({ cancelled: true });
    expect(inventoryOf(event)).toEqual(before);
  });

  test('a cancel answered with something chrono does not document is asked again until chrono says it is cancelled', async () => {
    const event = newEvent({ places: 2 });
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    const chronoId = confirmed.references.booking_id as number;
    sim.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /api/booking/\\d+/cancel/$' });
    await act(bookingId, 'cancel', {}, APP_TOKEN);
    const cancelled = (await handleOf(bookingId).result()) as BookingView;
    expect(cancelled).toMatchObject({ status: 'cancelled', stage: 'cancelled', attention: null });
    // The first answer was unreadable (no evidence); the second is chrono's "already cancelled".
    expect(chronoCalls('POST', chronoId, 'cancel').length).toBeGreaterThanOrEqual(2);
    expect(atChrono(chronoId)).toMatchObject({ list: 'none', cancelled: true });
  });
});

describe('seed-minimal chrono: answers with exactly the fields its document lists', () => {
  beforeEach(() => sim.setFaults({ seedMinimal: true }));
  afterEach(() => sim.setFaults({ seedMinimal: false }));

  test('a fillslot answer without the event\'s times: the booking is confirmed, presence can be marked at once, and the anonymization is due a retention period after the booking', async () => {
    const event = newEvent({ places: 3 });
    const before = chronoStateView(sim.ctx.state).bookings.length;
    const bookingId = await book(requestFor(event));
    const confirmed = await untilStage(bookingId, 'main_list');
    expect(confirmed).toMatchObject({
      status: 'confirmed',
      error: null,
      result: { datetime: null, end_datetime: null, startsAt: null, endsAt: null, in_waiting_list: false, agenda: { slug: event.agenda } },
      waitingFor: { on: 'client', actions: ['resize', 'suspend', 'markPresence', 'cancel', 'delete'] },
    });
    const due = Date.parse(confirmed.waitingFor!.deadline!) - Date.parse(confirmed.createdAt);
    expect(due).toBeGreaterThan(timing.retentionMs - 5_000);
    expect(due).toBeLessThanOrEqual(timing.retentionMs + 5_000);
    expect(notes(confirmed)).toEqual(expect.arrayContaining([expect.stringMatching(/^chrono did not say when the event takes place/)]));
    expectAgreement(confirmed);

    const resized = await act(bookingId, 'resize', { count: 2 }, APP_TOKEN);
    expect(resized.status).toBe(200);
    expect(resized.body.result).toMatchObject({ count: 2 });
    const present = await act(bookingId, 'presence', { user_was_present: true });
    expect(present.status).toBe(200);
    const chronoId = present.body.references.booking_id as number;
    expect(atChrono(chronoId).user_was_present).toBe(true);
    expectAgreement(present.body);
    // DELETE answers {"err": 0} alone.
    const deleted = await act(bookingId, 'delete');
    expect(deleted.body).toMatchObject({ status: 'cancelled', stage: 'deleted' });
    expect(atChrono(chronoId).exists).toBe(false);
    expect(chronoStateView(sim.ctx.state).bookings.length).toBe(before);
  });

  test('on the waiting list: accepted, suspended, then cancelled, with nothing left at chrono', async () => {
    const event = newEvent({ places: 1, waiting: 2 });
    fillUp(event, 1);
    const bookingId = await book(requestFor(event));
    const waiting = await untilStage(bookingId, 'waiting_list');
    expect(Date.parse(waiting.waitingFor!.deadline!) - Date.parse(waiting.updatedAt)).toBeLessThanOrEqual(timing.approvalMs);
    expectAgreement(waiting);
    const accepted = await act(bookingId, 'accept');
    expect(accepted.body).toMatchObject({ status: 'confirmed', stage: 'main_list', result: { overbooked_places: 1 } });
    expectAgreement(accepted.body);
    const suspended = await act(bookingId, 'suspend');
    expect(suspended.body).toMatchObject({ status: 'awaiting_approval', stage: 'waiting_list' });
    const cancelled = await act(bookingId, 'cancel', {}, APP_TOKEN);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', attention: null });
    expectAgreement(cancelled.body);
  });

  test('without the event\'s times the booking is anonymized and completes once the retention period after the booking is over', async () => {
    const event = newEvent({ places: 2 });
    const { handle } = await bookWithTiming(requestFor(event), { retentionMs: 2_000 });
    const done = (await handle.result()) as BookingView;
    expect(done).toMatchObject({ status: 'completed', stage: 'anonymized', result: { anonymized: true } });
    expect(atChrono(done.references.booking_id as number)).toMatchObject({ anonymized: true, list: 'main' });
  });

  test("a user's bookings are read through", async () => {
    const user = `usager-${randomUUID()}`;
    const bookingId = await book(requestFor(newEvent({ places: 2 }), { user_external_id: user }));
    const confirmed = await untilStage(bookingId, 'main_list');
    const list = await stack.api(`/api/v1/providers/chrono/bookings?user_external_id=${user}`);
    expect(list.status).toBe(200);
    expect(list.body.bookings).toEqual([
      { id: confirmed.references.booking_id, in_waiting_list: false, user_was_present: null, user_absence_reason: '', extra_data: { orchestrator_booking_id: bookingId } },
    ]);
    await act(bookingId, 'cancel');
  });
});

describe("a user's bookings at chrono, read through", () => {
  test('the seed\'s filters are passed through and the answer is chrono\'s', async () => {
    const user = `usager-${randomUUID()}`;
    const soon = newEvent({ places: 3, startsIn: DAY });
    const later = newEvent({ places: 3, startsIn: 10 * DAY });
    const library = { agenda: 'mediatheque-centrale', slug: `atelier-${randomUUID().slice(0, 8)}` };
    addChronoEvent(sim.ctx.state, library.agenda, { slug: library.slug, datetime: localTime(Date.now() + 2 * DAY), places: 3 });
    const ids: number[] = [];
    for (const event of [soon, later, library]) {
      const bookingId = await book(requestFor(event, { user_external_id: user }));
      ids.push((await untilStage(bookingId, 'main_list')).references.booking_id as number);
    }
    const list = (query: string) => stack.api(`/api/v1/providers/chrono/bookings?user_external_id=${user}${query}`);
    const all = await list('');
    expect(all.status).toBe(200);
    expect(all.body.bookings.map((b: { id: number }) => b.id)).toEqual([ids[0], ids[2], ids[1]]);
    expect(all.body.bookings[0]).toEqual({ id: ids[0], in_waiting_list: false, user_was_present: null, user_absence_reason: '', extra_data: { orchestrator_booking_id: expect.any(String) } });
    expect((await list('&agenda=mediatheque-centrale')).body.bookings.map((b: { id: number }) => b.id)).toEqual([ids[2]]);
    expect((await list('&category=sports')).body.bookings.map((b: { id: number }) => b.id)).toEqual([ids[0], ids[1]]);
    const day = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 10);
    expect((await list(`&date_start=${day(5 * DAY)}`)).body.bookings.map((b: { id: number }) => b.id)).toEqual([ids[1]]);
    expect((await list(`&date_end=${day(5 * DAY)}`)).body.bookings.map((b: { id: number }) => b.id)).toEqual([ids[0], ids[2]]);
    const lastCall = sim.callsTo('GET', '/api/bookings/').at(-1)!;
    expect(lastCall.query).toEqual({ user_external_id: user, date_end: day(5 * DAY) });

    const approver = await stack.api(`/api/v1/providers/chrono/bookings?user_external_id=${user}`, { token: APPROVER_TOKEN });
    expect(approver.body.bookings).toHaveLength(3);
  });

  test('a missing user or a malformed date is a 400; chrono unavailable is a 503', async () => {
    const missing = await stack.api('/api/v1/providers/chrono/bookings');
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields).toEqual([{ field: 'user_external_id', message: 'user_external_id is required' }]);
    const badDate = await stack.api('/api/v1/providers/chrono/bookings?user_external_id=xxx&date_start=15/09/2021');
    expect(badDate.status).toBe(400);
    expect(badDate.body.error.fields[0].field).toBe('date_start');
    sim.setFaults({ failNext: 1 });
    const down = await stack.api('/api/v1/providers/chrono/bookings?user_external_id=xxx');
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.body.error.code).toBe('provider_unavailable');
    const seedExample = await stack.api('/api/v1/providers/chrono/bookings?user_external_id=xxx');
    expect(seedExample.body.bookings.map((b: { id: number }) => b.id)).toEqual([4, 11]);
    const noToken = await stack.api('/api/v1/providers/chrono/bookings?user_external_id=xxx', { token: null });
    expect(noToken.status).toBe(401);
  });
});

describe('the API refuses what it cannot take', () => {
  test('every invalid field of a chrono request is named in a 400', async () => {
    const res = await stack.api('/api/v1/bookings', {
      method: 'POST',
      json: { provider: 'chrono', request: { agenda: 'gymnase jean moulin', slot: 'seance-1', user_external_id: '', user_email: 'pas-un-email', count: 0, timezone: 'Mars/Olympus' } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([
      { field: 'request.agenda', message: 'agenda is the slug of a chrono agenda' },
      { field: 'request.user_external_id', message: 'user_external_id is required' },
      { field: 'request.user_email', message: 'user_email must be an email address' },
      { field: 'request.count', message: 'count is at least 1' },
      { field: 'request.timezone', message: 'timezone must be an IANA time zone such as Europe/Paris' },
    ]);
  });

  test('a user_external_id over 250 characters is said to be too long, not missing', async () => {
    const res = await stack.api('/api/v1/bookings', {
      method: 'POST',
      json: { provider: 'chrono', request: { agenda: 'gymnase-jean-moulin', slot: 'seance-1', user_external_id: 'u'.repeat(251) } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([{ field: 'request.user_external_id', message: 'user_external_id is at most 250 characters' }]);
  });

  test('a date that is not in the calendar is a 400 naming the filter, never asked of chrono', async () => {
    const res = await stack.api('/api/v1/providers/chrono/bookings?user_external_id=someone&date_start=2021-02-30&date_end=2024-02-29');
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([{ field: 'date_start', message: 'date_start is a date that exists, YYYY-MM-DD' }]);
    const leapDay = await stack.api('/api/v1/providers/chrono/bookings?user_external_id=someone&date_start=2024-02-29');
    expect(leapDay.status).toBe(200);
  });

  test("another app's booking is not found, and its answers are not given", async () => {
    const bookingId = await book(requestFor(newEvent({ places: 2 })));
    await untilStage(bookingId, 'main_list');
    expect((await stack.api(`/api/v1/bookings/${bookingId}`, { token: OTHER_APP_TOKEN })).status).toBe(404);
    expect((await act(bookingId, 'cancel', {}, OTHER_APP_TOKEN)).status).toBe(404);
    await act(bookingId, 'cancel');
  });
});

test("chrono's local times are read in the agenda's time zone", () => {
  expect(instantOf('2021-09-15 10:00:00', 'Europe/Paris')).toBe('2021-09-15T08:00:00.000Z');
  expect(instantOf('2021-12-15 10:00', 'Europe/Paris')).toBe('2021-12-15T09:00:00.000Z');
  // The morning of the change to summer time.
  expect(instantOf('2021-03-28 03:30:00', 'Europe/Paris')).toBe('2021-03-28T01:30:00.000Z');
  expect(instantOf('2021-09-15 10:00:00', 'UTC')).toBe('2021-09-15T10:00:00.000Z');
});

describe("fillslot's answer, read tolerantly", () => {
  /** A chrono that answers fillslot with `body`, whatever is asked. */
  async function chronoAnswering(body: string, run: (client: ChronoClient) => Promise<void>): Promise<void> {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await run(new ChronoClient({ provider: 'chrono', baseUrl: `http://127.0.0.1:${port}`, token: 't', timeoutMs: 1_000 }, pino({ level: 'silent' })));
    } finally {
      server.close();
    }
  }
  const fill = (client: ChronoClient) => client.fillslot('piscine', '44', { user_external_id: 'u', count: 1, orchestrator_booking_id: 'b' });

  test('an answer that breaks the contract but names its booking_id fails as a contract violation that carries the id, for the release to cancel it', async () => {
    await chronoAnswering('{"booking_id": 4242, "in_waiting_list": "peut-être"}', async (client) => {
      const failure = await fill(client).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'ProviderContractViolation', nonRetryable: true, details: [{ booking_id: 4242 }] });
    });
  });

  test('only err and booking_id are required: an id written as digits is read, odd or missing display fields are no failure', async () => {
    await chronoAnswering('{"err": 0, "booking_id": "4242", "in_waiting_list": true, "datetime": "demain", "agenda": "piscine"}', async (client) => {
      await expect(fill(client)).resolves.toMatchObject({ err: 0, booking_id: 4242, in_waiting_list: true, datetime: 'demain', agenda: 'piscine' });
    });
  });
});
