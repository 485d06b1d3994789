/**
 * The approvals inbox in a real browser (Debian's Chromium, driven by playwright-core):
 * the API serving /inbox and /api/v1/approvals, a real Temporal server, the worker, and
 * the hotels24 and chrono simulators over HTTP. An approver signs in, sees a hotels24 stop
 * with its differences and accepts it, fills a requisites form, rejects a chrono
 * waiting-list booking with a reason, and sees an expired one leave the list; an app's
 * token is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { type Browser, type Page, chromium } from 'playwright-core';
import { chronoBinding } from '../api/providers/chrono';
import { hotels24Binding } from '../api/providers/hotels24';
import { ensureChromium } from '../scripts/chromium';
import { projectRoot } from '../scripts/temporal-cli';
import { type ChronoState, addChronoEvent, startChronoSimulator } from '../simulators/chrono';
import type { RunningSimulator } from '../simulators/harness';
import { type Hotels24State, startHotels24Simulator } from '../simulators/hotels24';
import { type BookingView, workflowIdFor } from '../workflows/booking';
import { BookingClient } from '../workflows/search-attributes';
import { APPROVER_TOKEN, APP_TOKEN, INBOX_APP_TOKEN, type Stack, eventually, startStack } from './support/stack';
import { chronoRequest } from './support/requests';

const FLEX = '507f1f77bcf86cd799439011';
const requisites = { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' };
const screenshots = path.join(projectRoot, '.data', 'inbox');

let hotels24: RunningSimulator<Hotels24State>;
let chrono: RunningSimulator<ChronoState>;
let stack: Stack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const executablePath = ensureChromium();
  hotels24 = await startHotels24Simulator({ token: 'hotels24-token', now: () => new Date('2014-09-01T09:00:00Z') });
  chrono = await startChronoSimulator({ token: 'chrono-token' });
  const chronoEndpoint = { provider: 'chrono' as const, baseUrl: chrono.url, token: 'chrono-token', timeoutMs: 2_000 };
  const wait = { conditionsDecisionMs: 600_000, requisitesWaitMs: 600_000, confirmationWaitMs: 600_000, retryInitialMs: 100, retryMaxMs: 200, retryGiveUpMs: 15_000 };
  stack = await startStack({
    providers: { hotels24: { provider: 'hotels24', baseUrl: hotels24.url, token: 'hotels24-token', timeoutMs: 2_000 }, chrono: chronoEndpoint },
    bindings: {
      hotels24: hotels24Binding(wait),
      chrono: chronoBinding({ endpoint: chronoEndpoint, timing: { approvalMs: 600_000, retentionMs: 600_000, providerDeadlineMs: 30_000, releaseEscalationMs: 5_000, releaseRetryPauseMs: 500 } }),
    },
    settleWaitMs: 3_000,
    queryTimeoutMs: 10_000,
  });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  fs.mkdirSync(screenshots, { recursive: true });
}, 10 * 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await hotels24?.close();
  await chrono?.close();
});

let nights = 0;
function hotelRequest(overrides: Record<string, unknown> = {}) {
  const arrival = new Date(Date.UTC(2014, 9, 2 + nights++));
  const departure = new Date(arrival.getTime() + 24 * 60 * 60 * 1000);
  return { arrival_date: arrival.toISOString().slice(0, 10), departure_date: departure.toISOString().slice(0, 10), blocks: [{ tariff: FLEX, total_cost: 500, quantity: 1 }], requisites, ...overrides };
}

/** Every booking this file started through the API. */
const booked: string[] = [];

async function book(provider: string, request: Record<string, unknown>): Promise<string> {
  const res = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider, request }, token: INBOX_APP_TOKEN });
  expect(res.status).toBe(202);
  booked.push(res.body.bookingId as string);
  return res.body.bookingId as string;
}

const view = async (bookingId: string): Promise<BookingView> => (await stack.api(`/api/v1/bookings/${bookingId}`, { token: APPROVER_TOKEN })).body as BookingView;

const until = (bookingId: string, check: (v: BookingView) => boolean, what: string) =>
  eventually(async () => {
    const v = await view(bookingId);
    return check(v) ? v : undefined;
  }, `booking ${bookingId} ${what}`, 30_000, 200);

/** A chrono event whose one place is taken: the next booking goes on its waiting list. */
function fullEvent(): { agenda: string; slot: string } {
  const slug = `inbox-${randomUUID().slice(0, 8)}`;
  const datetime = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
  addChronoEvent(chrono.ctx.state, 'gymnase-jean-moulin', { slug, datetime, duration: 60, places: 0, waiting_list_places: 10 });
  return { agenda: 'gymnase-jean-moulin', slot: slug };
}


/** The list's entry of a booking (a button), once the inbox shows it. */
const entry = (bookingId: string) => page.locator(`#list button[data-booking="${bookingId}"]`);

async function signIn(token: string): Promise<void> {
  // The jest run shares one Temporal server: the inbox shows this file's app's bookings only.
  await page.goto(`${stack.apiUrl}/inbox/?client=inbox-app`);
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
}

test('an app token is refused', async () => {
  await signIn(APP_TOKEN);
  await page.locator('#sign-in-error').filter({ hasText: 'Refused' }).waitFor();
  expect(await page.textContent('#sign-in-error')).toContain('approver');
  expect(await page.isHidden('#inbox')).toBe(true);
}, 60_000);

test('an approver sees a hotels24 stop with its differences, accepts it, and sees it move on', async () => {
  const bookingId = await book('hotels24', hotelRequest({ blocks: [{ tariff: FLEX, total_cost: 450, quantity: 1, conditions: { cancellation: 1 } }] }));
  await until(bookingId, (v) => v.stage === 'postConditions' && v.waitingFor?.on === 'approver', 'to stop at postConditions');
  await signIn(APPROVER_TOKEN);
  await entry(bookingId).waitFor({ timeout: 20_000 });
  await entry(bookingId).click();
  const table = page.locator('#detail-data table', { has: page.locator('caption', { hasText: 'differences' }) });
  await table.waitFor();
  const cells = await table.locator('td').allTextContents();
  expect(cells).toEqual(expect.arrayContaining(['blocks.0.total_cost', '450', '500']));
  await page.screenshot({ path: path.join(screenshots, 'hotels24-stop.png') });

  await page.getByRole('button', { name: 'accept', exact: true }).click();
  await page.locator('#answer-form').waitFor();
  await page.click('#answer-form button[type=submit]');
  await page.locator('#outcome').filter({ hasText: /Done|Accepted|Not done/ }).waitFor();
  expect(await page.textContent('#outcome')).toMatch(/^(Done|Accepted)/);
  const moved = await until(bookingId, (v) => v.stage !== 'postConditions', 'to move on from postConditions');
  // The audit trail: who accepted, when.
  expect(moved.timeline.find((t) => t.note.startsWith('accept requested'))).toMatchObject({ by: 'approvals-desk (approver)', at: expect.any(String) });
}, 120_000);

test('an approver fills the requisites a hotels24 booking waits for, from a form built from the answer\'s schema', async () => {
  const bookingId = await book('hotels24', hotelRequest({ requisites: undefined }));
  await until(bookingId, (v) => v.waitingFor?.actions.includes('requisites') === true, 'to wait for requisites');
  await page.reload();
  await entry(bookingId).waitFor({ timeout: 20_000 });
  await entry(bookingId).click();
  await page.getByRole('button', { name: 'requisites', exact: true }).click();
  for (const [name, value] of Object.entries(requisites)) await page.fill(`#field-${name}`, value);
  await page.screenshot({ path: path.join(screenshots, 'requisites-form.png') });
  await page.click('#answer-form button[type=submit]');
  await page.locator('#outcome').filter({ hasText: /Done|Accepted/ }).waitFor();
  await until(bookingId, (v) => !(v.waitingFor?.actions.includes('requisites') ?? false), 'to take the requisites');
}, 120_000);

test('an approver rejects a chrono waiting-list booking with a reason; it leaves the list', async () => {
  const bookingId = await book('chrono', chronoRequest(fullEvent()));
  await until(bookingId, (v) => v.stage === 'waiting_list', 'to be on the waiting list');
  await page.reload();
  await entry(bookingId).waitFor({ timeout: 20_000 });
  await entry(bookingId).click();
  await page.getByRole('button', { name: 'reject', exact: true }).click();
  await page.fill('#field-reason', 'no room for latecomers');
  await page.click('#answer-form button[type=submit]');
  await page.locator('#outcome').filter({ hasText: /Done/ }).waitFor();
  const rejected = await until(bookingId, (v) => v.status === 'cancelled', 'to be cancelled');
  expect(rejected.timeline.find((t) => t.note.startsWith('reject requested'))).toMatchObject({ note: 'reject requested: no room for latecomers', by: 'approvals-desk (approver)' });
  await entry(bookingId).waitFor({ state: 'detached', timeout: 20_000 });
}, 120_000);

test("on a phone's width the inbox is one column, with nothing wider than the screen; the keyboard reaches the answers", async () => {
  const bookingId = await book('chrono', chronoRequest(fullEvent()));
  await until(bookingId, (v) => v.stage === 'waiting_list', 'to be on the waiting list');
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.reload();
    await entry(bookingId).waitFor({ timeout: 20_000 });
    await entry(bookingId).focus();
    await page.keyboard.press('Enter');
    await page.locator('#answers button').first().waitFor();
    // Evaluated in the page (a string: this file is compiled without the DOM's types).
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.screenshot({ path: path.join(screenshots, 'phone.png'), fullPage: true });
    // Tab from the heading the page focused reaches an answer button.
    let reached = '';
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate<string>("document.activeElement?.closest('#answers') ? document.activeElement.textContent : ''");
    }
    expect(['accept', 'reject', 'cancel', 'delete']).toContain(reached);
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
}, 120_000);

test('a booking whose deadline passes leaves the list by itself', async () => {
  const bookingId = randomUUID();
  booked.push(bookingId);
  await stack.client.workflow.start('chronoAgendaBooking', {
    taskQueue: stack.taskQueue,
    workflowId: workflowIdFor(bookingId),
    args: [{ bookingId, client: 'inbox-app', request: chronoRequest(fullEvent()), timing: { approvalMs: 8_000 } }],
    typedSearchAttributes: [{ key: BookingClient, value: 'inbox-app' }],
  });
  await until(bookingId, (v) => v.stage === 'waiting_list', 'to be on the waiting list');
  await entry(bookingId).waitFor({ timeout: 20_000 });
  await entry(bookingId).waitFor({ state: 'detached', timeout: 30_000 });
  expect((await view(bookingId)).status).toBe('expired');
}, 120_000);

describe('GET /api/v1/approvals', () => {
  const list = (query: string, token = APPROVER_TOKEN) => stack.api(`/api/v1/approvals?client=inbox-app&${query}`, { token });

  test('is an approver\'s: an app token gets 403; a bad cursor or filter is a 400 naming it', async () => {
    expect((await list('', APP_TOKEN)).status).toBe(403);
    for (const bad of ['bm90LWEtdG9rZW4', 'bm90LWEtdG9rZW4.bm90LWEtc3Vt']) {
      const cursor = await list(`cursor=${bad}`);
      expect(cursor.status).toBe(400);
      expect(cursor.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['cursor']);
    }
    const deadline = await list('deadline_before=tomorrow');
    expect(deadline.status).toBe(400);
    expect(deadline.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['deadline_before']);
  });

  test('pages with Temporal\'s page token, each item with its answers and their schemas, soonest deadline first', async () => {
    const event = fullEvent();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await book('chrono', chronoRequest(event)));
    for (const id of ids) await until(id, (v) => v.stage === 'waiting_list', 'to be on the waiting list');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`provider=chrono&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const secondsLeft = res.body.approvals.map((a: { secondsLeft: number }) => a.secondsLeft);
      expect(secondsLeft).toEqual([...secondsLeft].sort((x, y) => x - y));
      seen.push(...res.body.approvals.map((a: { bookingId: string }) => a.bookingId));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);

    const one = (await list('provider=chrono&limit=100')).body.approvals.find((a: { bookingId: string }) => a.bookingId === ids[0]);
    expect(one).toMatchObject({ provider: 'chrono', client: 'inbox-app', readable: true, waitingFor: { on: 'approver' } });
    const reject = one.answers.find((a: { name: string }) => a.name === 'reject');
    expect(reject.schema).toMatchObject({ type: 'object', properties: { reason: { type: 'string' } } });
    expect(one.answers.find((a: { name: string }) => a.name === 'accept')).toMatchObject({ schema: null });
    const soon = await list(`provider=chrono&deadline_before=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`);
    expect(soon.body.approvals.filter((a: { bookingId: string }) => ids.includes(a.bookingId))).toEqual([]);
  }, 60_000);
});

test('GET /api/v1/bookings pages the same way: every booking once, newest first, to the last page', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await stack.api(`/api/v1/bookings?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: INBOX_APP_TOKEN });
    expect(res.status).toBe(200);
    expect(res.body.bookings.length).toBeLessThanOrEqual(2);
    seen.push(...res.body.bookings.map((b: { bookingId: string }) => b.bookingId));
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(new Set(seen).size).toBe(seen.length);
  expect([...seen].sort()).toEqual([...booked].sort());
  const other = await stack.api(`/api/v1/bookings?limit=2`, { token: APPROVER_TOKEN });
  const foreign = await stack.api(`/api/v1/bookings?limit=2&cursor=${other.body.nextCursor}`, { token: INBOX_APP_TOKEN });
  expect(foreign.status).toBe(400);
}, 60_000);
