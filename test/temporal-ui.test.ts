/**
 * The Temporal UI as an operator uses it, in Chromium, against the run's own Temporal server
 * and UI: a booking's page shows ciphertext until the operator signs in (the inbox's sign-in
 * sets the codec session), then the booker's name, decoded by the API's codec server; the
 * workflow list and the page say what each booking is and waits for without a query.
 * Screenshots land in .data/temporal-ui/ (the README's come from there).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { type Browser, type Page, chromium } from 'playwright-core';
import { chronoBinding } from '../api/providers/chrono';
import { ensureChromium } from '../scripts/chromium';
import { projectRoot } from '../scripts/temporal-cli';
import { type ChronoState, addChronoEvent, startChronoSimulator } from '../simulators/chrono';
import type { RunningSimulator } from '../simulators/harness';
import { type BookingView, workflowIdFor } from '../workflows/booking';
import { CHRONO_PERSON, chronoRequest } from './support/requests';
import { OPERATOR_TOKEN, type Stack, eventually, startStack } from './support/stack';

const screenshots = path.join(projectRoot, '.data', 'temporal-ui');
const ui = process.env.TEST_TEMPORAL_UI_URL!;

let chrono: RunningSimulator<ChronoState>;
let stack: Stack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const executablePath = ensureChromium();
  chrono = await startChronoSimulator({ token: 'chrono-token' });
  const endpoint = { provider: 'chrono' as const, baseUrl: chrono.url, token: 'chrono-token', timeoutMs: 2_000 };
  stack = await startStack({
    providers: { chrono: endpoint },
    bindings: { chrono: chronoBinding({ endpoint, timing: { approvalMs: 3_600_000, retentionMs: 600_000, providerDeadlineMs: 30_000, releaseEscalationMs: 5_000, releaseRetryPauseMs: 500 } }) },
    queryTimeoutMs: 10_000,
  });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  fs.mkdirSync(screenshots, { recursive: true });
}, 10 * 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await chrono?.close();
});

/** An event with places free: a booking there is confirmed at once. */
function openEvent(): { agenda: string; slot: string } {
  const slot = `ui-${randomUUID().slice(0, 8)}`;
  const datetime = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
  addChronoEvent(chrono.ctx.state, 'gymnase-jean-moulin', { slug: slot, datetime, duration: 60, places: 10, waiting_list_places: 10 });
  return { agenda: 'gymnase-jean-moulin', slot };
}

const pageText = (): Promise<string> => page.locator('body').innerText();
/** Waits until the page shows `text` (the UI fills itself in as its calls answer). */
const untilShown = (text: string): Promise<unknown> => eventually(async () => (await pageText()).includes(text) || undefined, `the UI to show ${text}`, 30_000, 500);

/** The browser's storage, typed here: the tests are compiled without the DOM's types. */
interface BrowserStorage {
  localStorage: { setItem(key: string, value: string): void };
}

test('an operator sees a booking sealed until signed in, then decoded; list and page say what it is and waits for', async () => {
  // A booking on a full event's waiting list: it waits for an approver, an hour at most.
  const slot = `ui-${randomUUID().slice(0, 8)}`;
  const datetime = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
  addChronoEvent(chrono.ctx.state, 'gymnase-jean-moulin', { slug: slot, datetime, duration: 60, places: 0, waiting_list_places: 10 });
  const created = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'chrono', request: chronoRequest({ agenda: 'gymnase-jean-moulin', slot }) } });
  expect(created.status).toBe(202);
  const { bookingId } = created.body as { bookingId: string };
  await eventually(async () => ((await stack.api(`/api/v1/bookings/${bookingId}`)).body as BookingView).status === 'awaiting_approval' || undefined, 'the booking to wait for an approver');

  // The UI's codec settings as its "Codec Server" dialog stores them: this browser's endpoint, with credentials.
  await page.goto(ui);
  await page.evaluate((endpoint) => {
    const { localStorage } = globalThis as unknown as BrowserStorage;
    localStorage.setItem('endpoint', JSON.stringify(endpoint));
    localStorage.setItem('includeCredentials', 'true');
    localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
  }, `${stack.apiUrl}/codec`);

  const bookingPage = `${ui}/namespaces/default/workflows/${workflowIdFor(bookingId)}`;
  await page.goto(bookingPage);
  await untilShown('chronoAgendaBooking');
  await page.waitForTimeout(2_000);
  const sealed = await pageText();
  expect(sealed).not.toContain(CHRONO_PERSON.user_last_name);
  await page.screenshot({ path: path.join(screenshots, 'booking-sealed.png'), fullPage: true });

  // Signing in at the inbox sets the codec session; the UI's next codec calls carry it.
  await page.goto(`${stack.apiUrl}/inbox/`);
  await page.fill('#token', OPERATOR_TOKEN);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#ui-session:not([hidden])');
  expect(await page.textContent('#ui-session')).toContain('Signed in to the Temporal UI as night-shift (operator)');

  await page.goto(bookingPage);
  await untilShown(CHRONO_PERSON.user_last_name);
  await page.screenshot({ path: path.join(screenshots, 'booking.png'), fullPage: true });
  // What it books and for whom (static summary); what it waits for (current details), decoded too.
  await page.getByText('User Metadata', { exact: true }).click();
  // The UI renders summary and details as Markdown, each in a frame of its own.
  await eventually(async () => {
    const texts = await Promise.all(page.frames().map((frame) => frame.locator('body').innerText({ timeout: 1_000 }).catch(() => '')));
    const all = texts.join('\n');
    return all.includes(`chrono: 1 place(s) at gymnase-jean-moulin/${slot}, for test-app`) && all.includes('chrono awaiting_approval (waiting_list); waits for accept/reject') ? true : undefined;
  }, 'the summary and the current details in the UI', 30_000, 500);
  await page.screenshot({ path: path.join(screenshots, 'booking-metadata.png'), fullPage: true });

  // The list, with the columns an operator picks in its settings: what each booking is and waits for, at a glance.
  const other = await stack.api('/api/v1/bookings', { method: 'POST', json: { provider: 'chrono', request: chronoRequest(openEvent()) } });
  await eventually(async () => ((await stack.api(`/api/v1/bookings/${other.body.bookingId}`)).body as BookingView).status === 'confirmed' || undefined, 'the other booking to be confirmed');
  await page.evaluate((columns) => {
    (globalThis as unknown as BrowserStorage).localStorage.setItem('namespace-workflow-table-columns', JSON.stringify({ default: columns.map((label) => ({ label })) }));
  }, ['Status', 'Workflow ID', 'BookingProvider', 'BookingStatus', 'BookingWaitingOn', 'BookingDeadline', 'Start']);
  await page.setViewportSize({ width: 1760, height: 640 });
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(`TaskQueue = "${stack.taskQueue}"`)}`);
  await untilShown(workflowIdFor(other.body.bookingId as string));
  const list = await pageText();
  for (const shown of ['BookingWaitingOn', 'awaiting_approval', 'approver', 'confirmed']) expect(list).toContain(shown);
  await page.screenshot({ path: path.join(screenshots, 'workflows.png') });
});
