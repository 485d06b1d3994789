/**
 * An oks layout booking, end to end: the API over HTTP, a real Temporal server,
 * the worker, and the oks simulator over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { WorkflowFailedError } from '@temporalio/client';
import { withOperatorActions } from '../api/operator-actions';
import { oksBinding } from '../api/providers/oks';
import { OKS_BOOKED_LAYOUTS, OKS_UNIT_BOOKED_ERROR, readOksState, setOksScenario, startOksSimulator } from '../simulators/oks';
import type { RunningSimulator } from '../simulators/harness';
import type { OksState } from '../simulators/oks';
import { type BookingView, statusQuery, workflowIdFor } from '../workflows/booking';
import { cancel } from '../workflows/kit';
import { complete } from '../workflows/oks';
import { BookingClient, BookingProvider, BookingStatus } from '../workflows/search-attributes';
import { APP_TOKEN, APPROVER_TOKEN, OTHER_APP_TOKEN, type Stack, eventually, operatorView, startStack } from './support/stack';

const OKS_TOKEN = 'oks-test-token';
const UNBOOK = '/api/v1/service/projects/layouts/unbook';

let sim: RunningSimulator<OksState>;
let stack: Stack;

const timing = { taskPollInitialMs: 200, taskPollMaxMs: 400, taskDeadlineMs: 30_000, holdTermMs: 60_000, releaseEscalationMs: 5_000 };

beforeAll(async () => {
  sim = await startOksSimulator({ token: OKS_TOKEN, pendingMs: 200, processingMs: 1_200 });
  stack = await startStack({
    providers: { oks: { provider: 'oks', baseUrl: sim.url, token: OKS_TOKEN, timeoutMs: 2_000 } },
    bindings: { oks: withOperatorActions(oksBinding(timing)) },
  });
});

afterAll(async () => {
  await stack?.close();
  await sim?.close();
});

const layoutRequest = (layoutUuid: string = randomUUID()) => ({
  layoutUuid,
  phone: '+77071234567',
  firstName: 'Иван',
  lastName: 'Иванов',
  middleName: 'Иванович',
  reserveDays: 1,
});

async function book(request = layoutRequest(), headers: Record<string, string> = {}) {
  const res = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'oks', request }, headers });
  expect(res.status).toBe(202);
  return res.body as { bookingId: string; taskId: string; status: string; createdAt: string };
}

async function view(bookingId: string, token?: string): Promise<BookingView> {
  const res = await stack.api(`/api/v1/bookings/${bookingId}`, { token });
  expect(res.status).toBe(200);
  return res.body as BookingView;
}

const untilStatus = (bookingId: string, status: string, timeoutMs = 20_000) =>
  eventually(async () => {
    const v = await view(bookingId);
    return v.status === status ? v : undefined;
  }, `booking ${bookingId} to be ${status}`, timeoutMs);

const unbookCallsFor = (showsId: number) =>
  sim.callsTo('POST', UNBOOK).filter((c) => (c.body as { shows_id?: number }).shows_id === showsId);

const tasksFor = (layoutUuid: string) => readOksState(sim).tasks.filter((t) => t.layoutUuid === layoutUuid);
const unitOf = (layoutUuid: string) => readOksState(sim).units.find((u) => u.layoutUuid === layoutUuid);

describe('booking a layout', () => {
  test('a layout is held after several processing polls, then the deal completes it', async () => {
    const request = layoutRequest();
    const started = await book(request);
    expect(started).toEqual({ taskId: started.bookingId, bookingId: started.bookingId, status: 'pending', createdAt: expect.any(String) });

    const held = await untilStatus(started.bookingId, 'held');
    const [task] = tasksFor(request.layoutUuid);
    expect(task!.statusReads.processing).toBeGreaterThanOrEqual(2);
    expect(held).toMatchObject({
      provider: 'oks',
      client: 'test-app',
      stage: 'reserved',
      references: { taskId: task!.taskId, contact_id: expect.any(Number), shows_id: expect.any(Number) },
      result: { contact_id: expect.any(Number), shows_id: expect.any(Number), contact_created: expect.any(Boolean) },
      waitingFor: { on: 'client', actions: ['complete', 'cancel'], deadline: expect.any(String) },
      cancellable: true,
    });
    expect(unitOf(request.layoutUuid)).toMatchObject({ status: 'booked', shows_id: held.references.shows_id });

    const completed = await stack.api(`/api/v1/bookings/${started.bookingId}/complete`, { method: 'POST' });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: 'completed', stage: 'deal_completed', waitingFor: null, cancellable: false });
    expect(unbookCallsFor(held.references.shows_id as number)).toHaveLength(0);
    expect(unitOf(request.layoutUuid)?.status).toBe('booked');
  });

  test('a unit booked by someone else fails with the provider\'s api_error verbatim, and nothing is released', async () => {
    const started = await book(layoutRequest(OKS_BOOKED_LAYOUTS[0]));
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed.error).toEqual({
      code: 'provider_refused',
      message: OKS_UNIT_BOOKED_ERROR,
      providerDetails: { detail: 'Failed to create reservation', api_error: OKS_UNIT_BOOKED_ERROR },
    });
    expect(failed.cancellable).toBe(false);
    expect(sim.callsTo('POST', UNBOOK).filter((c) => c.at >= failed.createdAt)).toHaveLength(0);
  });

  test('a failure forced at the provider reaches the app in the provider\'s words', async () => {
    const request = layoutRequest();
    setOksScenario(sim, request.layoutUuid, { failWith: 'Объект недоступен для бронирования' });
    const started = await book(request);
    const failed = await untilStatus(started.bookingId, 'failed');
    expect(failed.error?.message).toBe('Объект недоступен для бронирования');
  });

  test('provider 5xx answers are retried until the booking goes through', async () => {
    const request = layoutRequest();
    sim.setFaults({ failNext: 3, failStatus: 502 });
    const started = await book(request);
    await untilStatus(started.bookingId, 'held');
    expect(tasksFor(request.layoutUuid)).toHaveLength(1);
    const failedCalls = sim.ctx.calls.filter((c) => c.status === 502);
    expect(failedCalls.length).toBeGreaterThanOrEqual(3);
  });

  test('the operator\'s view: search attributes and a one-line summary with no personal data', async () => {
    const request = layoutRequest();
    const started = await book(request);
    await untilStatus(started.bookingId, 'held');
    const { described, details } = await operatorView(stack.client.workflow.getHandle(workflowIdFor(started.bookingId)));
    expect(described.typedSearchAttributes.get(BookingProvider)).toBe('oks');
    expect(described.typedSearchAttributes.get(BookingStatus)).toBe('held');
    expect(described.typedSearchAttributes.get(BookingClient)).toBe('test-app');
    expect(details).toMatch(/^oks held \(reserved\); waits for complete\/cancel until /);
    const visible = JSON.stringify({ sa: described.searchAttributes, memo: described.memo, details });
    for (const personal of [request.phone, request.firstName, request.lastName, request.middleName]) {
      expect(visible).not.toContain(personal);
    }
    await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
  });
});

describe('releasing what is held', () => {
  test('cancel while oks is processing waits for the task, then unbooks exactly once', async () => {
    const request = layoutRequest();
    const started = await book(request);
    await eventually(async () => ((await view(started.bookingId)).stage === 'task_processing' ? true : undefined), 'processing');

    const cancel = await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: { reason: 'client changed their mind' } });
    expect([200, 202]).toContain(cancel.status);
    const cancelled = await untilStatus(started.bookingId, 'cancelled');
    expect(cancelled.timeline.map((e) => e.note)).toEqual(expect.arrayContaining(['cancel requested: client changed their mind']));
    expect(unbookCallsFor(cancelled.references.shows_id as number)).toHaveLength(1);
    expect(unitOf(request.layoutUuid)?.status).toBe('free');
  });

  test('cancel while held unbooks exactly once and answers with the final view', async () => {
    const request = layoutRequest();
    const started = await book(request);
    const held = await untilStatus(started.bookingId, 'held');
    const cancel = await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', cancellable: false });
    expect(unbookCallsFor(held.references.shows_id as number)).toHaveLength(1);
    expect(unitOf(request.layoutUuid)?.status).toBe('free');

    const again = await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
    expect(again.status).toBe(200);
    expect(unbookCallsFor(held.references.shows_id as number)).toHaveLength(1);
  });

  test('a release that finds the deal already released counts as done', async () => {
    const request = layoutRequest();
    const started = await book(request);
    const held = await untilStatus(started.bookingId, 'held');
    const deal = { contact_id: held.references.contact_id, shows_id: held.references.shows_id };
    const direct = await fetch(`${sim.url}${UNBOOK}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OKS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(deal),
    });
    expect(direct.status).toBe(200);
    const cancel = await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
    expect(cancel.body).toMatchObject({ status: 'cancelled', attention: null });
  });

  test('at the end of the hold term the unit is released and the booking expires', async () => {
    // A short term for this booking alone: the workflow takes its durations from its input.
    const bookingId = randomUUID();
    const handle = await stack.client.workflow.start('oksLayoutBooking', {
      taskQueue: stack.taskQueue,
      workflowId: workflowIdFor(bookingId),
      args: [{ bookingId, client: 'test-app', request: layoutRequest(), timing: { ...timing, holdTermMs: 1_500 } }],
    });
    const held = await untilStatus(bookingId, 'held');
    expect(held.waitingFor?.atDeadline).toBe('the unit is released (unbook) and the booking expires');
    const result = (await handle.result()) as BookingView;
    expect(result.status).toBe('expired');
    expect(result.timeline.map((e) => e.note)).toContain('the hold term ended; the unit was released');
    expect(unbookCallsFor(result.references.shows_id as number)).toHaveLength(1);
  });

  test('an answer that comes too late for the book request is flagged: oks cannot say whether it booked', async () => {
    const request = layoutRequest();
    sim.setFaults({ hangNext: 1, hangMs: 3_000 });
    const started = await book(request);
    const failed = await untilStatus(started.bookingId, 'failed', 30_000);
    // The first request did book the unit (its answer came too late); the retry found it taken.
    expect(tasksFor(request.layoutUuid)).toHaveLength(2);
    expect(failed.error?.message).toBe(OKS_UNIT_BOOKED_ERROR);
    expect(failed.attention).toMatch(/^an earlier book request got no answer and may have booked the unit/);
  });

  test.each(['truncated_json', 'empty'] as const)(
    'a book request oks took but answered unreadably (%s) fails the booking and flags the unit for an operator: oks has no lookup',
    async (garbleAs) => {
      const request = layoutRequest();
      sim.setFaults({ garbleNext: 1, garbleAs, faultsOn: '^POST .*/layouts/book$' });
      const started = await book(request);
      const failed = await untilStatus(started.bookingId, 'failed', 30_000);
      // oks did take it: its task books the unit, and nothing in oks's API finds that task again.
      expect(tasksFor(request.layoutUuid)).toHaveLength(1);
      expect(failed.error?.code).toBe('provider_contract_violation');
      expect(failed.attention).toMatch(/oks may have taken the book request although its answer could not be read/);
      expect(failed.attention).toContain(request.layoutUuid);
      const bookCalls = sim.callsTo('POST', '/api/v1/service/projects/layouts/book').filter((c) => (c.body as { layoutUuid?: string }).layoutUuid === request.layoutUuid);
      expect(bookCalls).toHaveLength(1);
    },
  );

  test('an HTML 502 after oks took the book request: the retry finds the unit taken and the booking is flagged, never booked twice', async () => {
    const request = layoutRequest();
    sim.setFaults({ garbleNext: 1, garbleAs: 'html_502', faultsOn: '^POST .*/layouts/book$' });
    const started = await book(request);
    const failed = await untilStatus(started.bookingId, 'failed', 30_000);
    const deals = readOksState(sim).deals.filter((d) => d.layoutUuid === request.layoutUuid);
    expect(deals).toHaveLength(1);
    expect(failed.error?.message).toBe(OKS_UNIT_BOOKED_ERROR);
    expect(failed.attention).toMatch(/^an earlier book request got no answer and may have booked the unit/);
  });

  test('an unbook answered with an undocumented 200 body counts only once oks confirms the deal is no longer booked', async () => {
    const request = layoutRequest();
    const started = await book(request);
    const held = await untilStatus(started.bookingId, 'held');
    // oks releases the deal but its 200 carries `{}`, not the document's empty body: no proof, so oks is asked again.
    sim.setFaults({ garbleNext: 1, garbleAs: 'empty_object', faultsOn: '^POST .*/layouts/unbook$' });
    await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
    const cancelled = await untilStatus(started.bookingId, 'cancelled', 30_000);
    expect(unbookCallsFor(held.references.shows_id as number)).toHaveLength(2);
    expect(unitOf(request.layoutUuid)?.status).toBe('free');
    expect(cancelled.attention).toBeNull();
  });

  test('cancelling from the Temporal UI (workflow cancellation) releases the unit and ends Canceled', async () => {
    const request = layoutRequest();
    const started = await book(request);
    const held = await untilStatus(started.bookingId, 'held');
    const handle = stack.client.workflow.getHandle(workflowIdFor(started.bookingId));
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(await handle.query(statusQuery)).toMatchObject({ status: 'cancelled' });
    expect(unbookCallsFor(held.references.shows_id as number)).toHaveLength(1);
    expect(unitOf(request.layoutUuid)?.status).toBe('free');
  });
});

describe('a release that keeps failing waits for an operator', () => {
  /** A held booking whose unbook oks answers with 503 until told otherwise; long pauses between rounds leave time to act. */
  async function heldWithFailingUnbook() {
    const bookingId = randomUUID();
    await stack.client.workflow.start('oksLayoutBooking', {
      taskQueue: stack.taskQueue,
      workflowId: workflowIdFor(bookingId),
      args: [{ bookingId, client: 'test-app', request: layoutRequest(), timing: { ...timing, taskPollMaxMs: 8_000, releaseEscalationMs: 1_000 } }],
    });
    const held = await untilStatus(bookingId, 'held');
    sim.setFaults({ failNext: 10_000, failStatus: 503, faultsOn: '^POST .*/layouts/unbook$' });
    await stack.api(`/api/v1/bookings/${bookingId}/cancel`, { method: 'POST', json: { reason: 'client changed their mind' } });
    const waiting = await eventually(async () => {
      const v = await view(bookingId);
      return v.waitingFor?.on === 'operator' ? v : undefined;
    }, 'the booking to wait for an operator');
    return { bookingId, held, waiting };
  }
  const flaggedIds = async (): Promise<string[]> => {
    const ids: string[] = [];
    for await (const w of stack.client.workflow.list({ query: 'BookingAttention = "release_failing"' })) ids.push(w.workflowId);
    return ids;
  };

  afterEach(() => sim.setFaults({ failNext: 0, faultsOn: undefined }));

  test('an operator marks the release done by hand, with the reason recorded; the booking is no longer searchable as failing', async () => {
    const { bookingId, waiting } = await heldWithFailingUnbook();
    expect(waiting).toMatchObject({ status: 'held', stage: 'releasing', waitingFor: { actions: ['retryRelease', 'markReleased'] } });
    expect(waiting.attention).toMatch(/keeps failing/);
    await eventually(async () => ((await flaggedIds()).includes(workflowIdFor(bookingId)) ? true : undefined), 'BookingAttention to find it');

    const asApp = await stack.api(`/api/v1/bookings/${bookingId}/markReleased`, { method: 'POST', json: { reason: 'x' } });
    expect(asApp.status).toBe(403);
    const noReason = await stack.api(`/api/v1/bookings/${bookingId}/markReleased`, { method: 'POST', json: {}, token: APPROVER_TOKEN });
    expect(noReason.status).toBe(400);
    const marked = await stack.api(`/api/v1/bookings/${bookingId}/markReleased`, { method: 'POST', json: { reason: 'unbooked by phone with oks' }, token: APPROVER_TOKEN });
    expect(marked.status).toBe(200);

    const cancelled = await untilStatus(bookingId, 'cancelled');
    expect(cancelled.attention).toBeNull();
    expect(cancelled.timeline.map((e) => e.note)).toContainEqual(expect.stringMatching(/^marked released by hand: .*\(unbooked by phone with oks\)$/));
    await eventually(async () => (!(await flaggedIds()).includes(workflowIdFor(bookingId)) ? true : undefined), 'BookingAttention to let it go');
  });

  test('an operator retries the release now, once oks answers again: the unit is released without waiting out the pause', async () => {
    const { bookingId, held } = await heldWithFailingUnbook();
    sim.setFaults({ failNext: 0 });
    const early = await stack.api(`/api/v1/bookings/${bookingId}/retryRelease`, { method: 'POST', token: APPROVER_TOKEN });
    expect(early.status).toBe(200);
    const cancelled = await untilStatus(bookingId, 'cancelled', 5_000);
    expect(cancelled.attention).toBeNull();
    expect(unitOf(readOksState(sim).deals.find((d) => d.shows_id === held.references.shows_id)!.layoutUuid)?.status).toBe('free');
    const again = await stack.api(`/api/v1/bookings/${bookingId}/retryRelease`, { method: 'POST', token: APPROVER_TOKEN });
    expect(again.status).toBe(409);
  });
});

describe('answers from people', () => {
  test('signals from the Temporal UI or CLI move the booking on; at the wrong time they are recorded and ignored', async () => {
    const started = await book();
    const handle = stack.client.workflow.getHandle(workflowIdFor(started.bookingId));
    await handle.signal(complete.signal);
    await untilStatus(started.bookingId, 'held');
    await handle.signal(complete.signal);
    const done = (await handle.result()) as BookingView;
    expect(done.status).toBe('completed');
    expect(done.timeline.map((e) => e.note)).toContainEqual(expect.stringMatching(/^complete signal ignored: the booking is (pending|processing) \(\w+\): complete is not possible now/));

    await handle.signal(cancel.signal, {}).catch(() => undefined);
    expect((await view(started.bookingId)).status).toBe('completed');
  });

  test('an answer at the wrong time is a 409 with the reason', async () => {
    const started = await book();
    const early = await stack.api(`/api/v1/bookings/${started.bookingId}/complete`, { method: 'POST' });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/the booking is (pending|processing) \(\w+\): complete is not possible now/);
    await untilStatus(started.bookingId, 'held');
    await stack.api(`/api/v1/bookings/${started.bookingId}/complete`, { method: 'POST' });
    const late = await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe('the booking is completed: cancel is no longer possible');
    const unknown = await stack.api(`/api/v1/bookings/${started.bookingId}/accept`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('a oks booking has no "accept" action; it has: cancel, complete, retryRelease, markReleased');
  });
});

describe('durability', () => {
  test('a worker stopped mid-booking and started again completes it, booking the unit once', async () => {
    const request = layoutRequest();
    setOksScenario(sim, request.layoutUuid, { processingMs: 3_000 });
    const started = await book(request);
    await eventually(async () => ((await view(started.bookingId)).stage === 'task_processing' ? true : undefined), 'processing');
    await stack.stopWorker();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await stack.startWorker();
    await untilStatus(started.bookingId, 'held');
    expect(tasksFor(request.layoutUuid)).toHaveLength(1);
    expect(readOksState(sim).deals.filter((d) => d.layoutUuid === request.layoutUuid)).toHaveLength(1);
    await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
  });

  test('with no worker running, an ended booking is still readable and a running one answers 503', async () => {
    const ended = await book();
    await untilStatus(ended.bookingId, 'held');
    await stack.api(`/api/v1/bookings/${ended.bookingId}/complete`, { method: 'POST' });
    const running = await book();
    await untilStatus(running.bookingId, 'held');
    await stack.stopWorker();
    try {
      const endedView = await stack.api(`/api/v1/bookings/${ended.bookingId}`);
      expect(endedView.status).toBe(200);
      expect(endedView.body.status).toBe('completed');
      const runningView = await stack.api(`/api/v1/bookings/${running.bookingId}`);
      expect(runningView.status).toBe(503);
      expect(runningView.body.error.code).toBe('worker_unavailable');
    } finally {
      await stack.startWorker();
    }
    await stack.api(`/api/v1/bookings/${running.bookingId}/cancel`, { method: 'POST', json: {} });
  });

  test('a retried POST with the same Idempotency-Key returns the same booking instead of booking twice', async () => {
    const request = layoutRequest();
    const key = `order-${randomUUID()}`;
    const first = await book(request, { 'idempotency-key': key });
    const retry = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'oks', request }, headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ bookingId: first.bookingId, taskId: first.bookingId, createdAt: first.createdAt });

    const otherRequest = await stack.api('/api/v1/bookings', {
      method: 'POST',
      json: { provider: 'oks', request: layoutRequest() },
      headers: { 'idempotency-key': key },
    });
    expect(otherRequest.status).toBe(422);
    expect(otherRequest.body.error.code).toBe('idempotency_key_reused');

    // Keys belong to a client: another app's same key is another booking.
    const otherApp = await stack.api('/api/v1/bookings', {
      method: 'POST',
      token: OTHER_APP_TOKEN,
      json: { provider: 'oks', request: layoutRequest() },
      headers: { 'idempotency-key': key },
    });
    expect(otherApp.status).toBe(202);
    expect(otherApp.body.bookingId).not.toBe(first.bookingId);

    await untilStatus(first.bookingId, 'held');
    expect(tasksFor(request.layoutUuid)).toHaveLength(1);
    await stack.api(`/api/v1/bookings/${first.bookingId}/cancel`, { method: 'POST', json: {} });
    await stack.api(`/api/v1/bookings/${otherApp.body.bookingId}/cancel`, { method: 'POST', json: {}, token: OTHER_APP_TOKEN });
  });
});

describe('answers are safe to retry', () => {
  test('an answer retried with the same Idempotency-Key gets the first answer\'s outcome, even after the booking ended', async () => {
    const started = await book();
    await untilStatus(started.bookingId, 'held');
    const key = { 'idempotency-key': `complete-${randomUUID()}` };
    const first = await stack.api(`/api/v1/bookings/${started.bookingId}/complete`, { method: 'POST', headers: key });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('completed');
    const retried = await stack.api(`/api/v1/bookings/${started.bookingId}/complete`, { method: 'POST', headers: key });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(first.body);
    // Without the key the same answer is a new one, and the booking has moved on.
    const again = await stack.api(`/api/v1/bookings/${started.bookingId}/complete`, { method: 'POST' });
    expect(again.status).toBe(409);
  });
});

describe('the API refuses what it cannot take', () => {
  test('every invalid field is named in a 400', async () => {
    const res = await stack.api('/api/v1/bookings', {
      method: 'POST',
      json: { provider: 'oks', request: { layoutUuid: 'not-a-uuid', phone: '+7707123456789012345', firstName: '', lastName: 'x'.repeat(77), reserveDays: 2 } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.fields).toEqual([
      { field: 'request.layoutUuid', message: 'layoutUuid must be a UUID' },
      { field: 'request.phone', message: 'phone is at most 16 characters' },
      { field: 'request.firstName', message: 'firstName is 1 to 76 characters' },
      { field: 'request.lastName', message: 'lastName is 1 to 76 characters' },
      { field: 'request.reserveDays', message: 'only 1 is supported for now' },
    ]);
  });

  test('a missing request, an unknown provider and malformed JSON are clear 400s', async () => {
    const missing = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'oks' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields).toEqual([{ field: 'request', message: "request is required: an object with the provider's booking fields" }]);
    const empty = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'oks', request: {} } });
    expect(empty.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['request.layoutUuid', 'request.phone', 'request.firstName', 'request.lastName']);
    const unknown = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'acme', request: {} } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.fields).toEqual([{ field: 'provider', message: 'provider must be one of: oks' }]);
    const malformed = await stack.api('/api/v1/bookings', { method: 'POST', body: '{"provider":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_request');
  });

  test('a missing or unknown token is a 401, and another client\'s booking is not found', async () => {
    const none = await stack.api('/api/v1/bookings', { method: 'POST', token: null, json: { provider: 'oks', request: layoutRequest() } });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: 'unauthenticated', message: 'missing Authorization: Bearer <token> header' } });
    const wrong = await stack.api('/api/v1/bookings', { token: 'not-a-known-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe('unknown API token');

    const started = await book();
    const other = await stack.api(`/api/v1/bookings/${started.bookingId}`, { token: OTHER_APP_TOKEN });
    expect(other.status).toBe(404);
    const approver = await stack.api(`/api/v1/bookings/${started.bookingId}`, { token: APPROVER_TOKEN });
    expect(approver.status).toBe(200);
    const badId = await stack.api('/api/v1/bookings/12345');
    expect(badId.status).toBe(400);
    expect(badId.body.error.fields).toEqual([{ field: 'bookingId', message: 'a bookingId is a UUID' }]);
    await untilStatus(started.bookingId, 'held');
    await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
  });

  test('a known path asked with a method it does not take is a 405 naming the ones it does', async () => {
    const started = await book();
    // fetch refuses TRACE: asked over plain HTTP.
    const trace = await new Promise<{ status?: number; allow?: string | string[] }>((resolve, reject) => {
      request(`${stack.apiUrl}/api/v1/bookings`, { method: 'TRACE', headers: { authorization: `Bearer ${APP_TOKEN}` } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode, allow: res.headers.allow });
      })
        .on('error', reject)
        .end();
    });
    expect(trace).toEqual({ status: 405, allow: 'GET, POST' });
    for (const [method, path, allow] of [
      ['PATCH', '/api/v1/bookings', 'GET, POST'],
      ['DELETE', `/api/v1/bookings/${started.bookingId}`, 'GET'],
      ['GET', `/api/v1/bookings/${started.bookingId}/cancel`, 'POST'],
    ] as const) {
      const res = await stack.api(path, { method });
      expect([method, res.status, res.headers.get('allow')]).toEqual([method, 405, allow]);
      expect(res.body.error.code).toBe('method_not_allowed');
    }
    await stack.api(`/api/v1/bookings/${started.bookingId}/cancel`, { method: 'POST', json: {} });
  });

  test('a list filter that could break the visibility query is a 400, not a hang', async () => {
    for (const reference of ['ab%00cd', 'oks:shows_id:1%22%20OR%20%221', 'no-colons']) {
      const res = await stack.api(`/api/v1/bookings?reference=${reference}`);
      expect(res.status).toBe(400);
      expect(res.body.error.fields).toContainEqual(expect.objectContaining({ field: 'reference' }));
    }
  });

  test('lists show the caller\'s own bookings, filtered by status', async () => {
    const mine = await book();
    await untilStatus(mine.bookingId, 'held');
    const list = await eventually(async () => {
      const res = await stack.api('/api/v1/bookings?provider=oks&status=held');
      return res.body.bookings.some((b: { bookingId: string }) => b.bookingId === mine.bookingId) ? res : undefined;
    }, 'the booking in the list');
    expect(list.body.bookings.every((b: { client: string; status: string }) => b.client === 'test-app' && b.status === 'held')).toBe(true);
    const others = await stack.api('/api/v1/bookings', { token: OTHER_APP_TOKEN });
    expect(others.body.bookings.some((b: { bookingId: string }) => b.bookingId === mine.bookingId)).toBe(false);
    const badFilter = await stack.api('/api/v1/bookings?status=booked');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.fields[0].field).toBe('status');
    await stack.api(`/api/v1/bookings/${mine.bookingId}/cancel`, { method: 'POST', json: {} });
  });
});

test('the OpenAPI document describes the oks request and its answers, from the same schemas', async () => {
  const res = await stack.api('/api/v1/openapi.json', { token: null });
  expect(res.status).toBe(200);
  expect(Object.keys(res.body.paths)).toEqual(
    expect.arrayContaining(['/api/v1/bookings', '/api/v1/bookings/{bookingId}', '/api/v1/bookings/{bookingId}/cancel', '/api/v1/bookings/{bookingId}/complete']),
  );
  const request = res.body.paths['/api/v1/bookings'].post.requestBody.content['application/json'].schema.properties.request;
  expect(request.required).toEqual(['layoutUuid', 'phone', 'firstName', 'lastName']);
  expect(request.properties.phone).toMatchObject({ maxLength: 16 });
});

describe('oks\'s own endpoints, served by the orchestrator', () => {
  const SEED_REQUEST = {
    layoutUuid: '8d1222e4-e78a-4b60-9dbb-7293ce22285d',
    phone: '+77071234567',
    firstName: 'Иван',
    lastName: 'Иванов',
    middleName: 'Иванович',
    reserveDays: 1,
  };

  test('book, status and unbook answer as the seed\'s examples, field for field', async () => {
    const booked = await stack.api('/api/v1/service/projects/layouts/book', { method: 'POST', json: { ...SEED_REQUEST, layoutUuid: randomUUID() } });
    expect(booked.status).toBe(200);
    expect(Object.keys(booked.body)).toEqual(['taskId', 'status', 'createdAt']);
    expect(booked.body.status).toBe('pending');
    expect(booked.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const statusPath = `/api/v1/service/projects/layouts/book/status/${booked.body.taskId}`;
    const inFlight = await stack.api(statusPath);
    expect(Object.keys(inFlight.body)).toEqual(['taskId', 'status', 'createdAt', 'result']);
    expect(['pending', 'processing']).toContain(inFlight.body.status);
    expect(inFlight.body.result).toBeNull();

    const completed = await eventually(async () => {
      const res = await stack.api(statusPath);
      return res.body.status === 'completed' ? res.body : undefined;
    }, 'the task to complete');
    expect(Object.keys(completed)).toEqual(['taskId', 'status', 'createdAt', 'result']);
    expect(completed).toEqual({
      taskId: booked.body.taskId,
      status: 'completed',
      createdAt: booked.body.createdAt,
      result: { contact_id: expect.any(Number), shows_id: expect.any(Number), contact_created: expect.any(Boolean) },
    });
    expect(Object.keys(completed.result)).toEqual(['contact_id', 'shows_id', 'contact_created']);

    const unbook = await stack.api(UNBOOK, { method: 'POST', json: { contact_id: completed.result.contact_id, shows_id: completed.result.shows_id } });
    expect(unbook.status).toBe(200);
    expect(unbook.body).toBeUndefined();
    expect(unbookCallsFor(completed.result.shows_id)).toHaveLength(1);

    const twice = await stack.api(UNBOOK, { method: 'POST', json: { contact_id: completed.result.contact_id, shows_id: completed.result.shows_id } });
    expect(twice.status).toBe(400);
    expect(twice.body).toEqual({ detail: 'Failed to remove reservation', api_error: 'Сделка не в брони' });
  });

  test('a failed task answers as the seed\'s failed example', async () => {
    const booked = await stack.api('/api/v1/service/projects/layouts/book', { method: 'POST', json: { ...SEED_REQUEST, layoutUuid: OKS_BOOKED_LAYOUTS[1] } });
    const failed = await eventually(async () => {
      const res = await stack.api(`/api/v1/service/projects/layouts/book/status/${booked.body.taskId}`);
      return res.body.status === 'failed' ? res.body : undefined;
    }, 'the task to fail');
    expect(failed).toEqual({
      taskId: booked.body.taskId,
      status: 'failed',
      createdAt: booked.body.createdAt,
      result: { detail: 'Failed to create reservation', api_error: 'Property unit is booked by user ' },
    });
  });

  test('errors keep oks\'s shapes: 401 detail, 422 field list, 404 unknown task', async () => {
    const noToken = await stack.api('/api/v1/service/projects/layouts/book', { method: 'POST', token: null, json: SEED_REQUEST });
    expect(noToken.status).toBe(401);
    expect(noToken.body).toEqual({ detail: 'missing Authorization: Bearer <token> header' });
    const invalid = await stack.api('/api/v1/service/projects/layouts/book', { method: 'POST', json: { phone: '+77071234567', firstName: 'Иван' } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.detail.map((d: { loc: string[] }) => d.loc)).toEqual([
      ['body', 'layoutUuid'],
      ['body', 'lastName'],
    ]);
    const unknown = await stack.api(`/api/v1/service/projects/layouts/book/status/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ detail: 'Task not found' });
  });
});
