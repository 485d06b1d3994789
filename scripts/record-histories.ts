/**
 * Records workflow histories for the replay tests (test/replay.test.ts): for
 * each provider's workflow a few scenarios covering its main paths (and for the
 * trip, its own history and a leg's, which signals its trip), each run
 * against the provider's simulator (in-process) on a local Temporal server,
 * with short timings so that every scenario ends on its own within seconds.
 *
 * Run it when a workflow gains a new path worth guarding, not after every
 * change: the point of the recorded histories is that old ones must still
 * replay against new code (changes that alter history need `patched()`).
 * Filters (prefixes of the file names) record only some and leave the rest as
 * they are:
 *
 *   npx tsx scripts/record-histories.ts                        # every scenario
 *   npx tsx scripts/record-histories.ts qticketsSeatBooking    # one workflow
 *   npx tsx scripts/record-histories.ts chronoAgendaBooking-expired
 *   npx tsx scripts/record-histories.ts trip-                  # the trips and their legs
 *   npx tsx scripts/record-histories.ts --as=lean               # beside the existing ones, as <name>-lean.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { BrusnikaBookingRequest } from '../activities/brusnika/contract';
import { ChronoBookingRequest } from '../activities/chrono/contract';
import { BookLayoutRequest } from '../activities/oks/contract';
import { SeatBookingRequest } from '../activities/qtickets/request';
import { startBrusnikaSimulator } from '../simulators/brusnika';
import { addChronoEvent, startChronoSimulator } from '../simulators/chrono';
import { startHotels24Simulator } from '../simulators/hotels24';
import { OKS_BOOKED_LAYOUTS, startOksSimulator } from '../simulators/oks';
import { refuseSeat, startQticketsSimulator } from '../simulators/qtickets';
import { type BookingStatus, type BookingView, statusQuery, workflowIdFor } from '../workflows/booking';
import { cancel } from '../workflows/kit';
import type { BrusnikaTiming } from '../workflows/brusnika';
import { type ChronoTiming, accept as acceptChrono } from '../workflows/chrono';
import { Hotels24BookingRequest } from '../activities/hotels24/request';
import { type Hotels24Timing, accept as acceptHotel } from '../workflows/hotels24';
import { type OksTiming, complete } from '../workflows/oks';
import { type QticketsTiming, confirmPayment, extendHold } from '../workflows/qtickets';
import { bookingSearchAttributeKeys } from '../workflows/search-attributes';
import { type TripLegStart, confirmTrip, trip, tripRoles, tripStatusQuery } from '../workflows/trip';
import { tripWorkflowIdFor } from '../common/workflow-id';
import { bookingDataConverter } from '../common/data-converter';
import { SealingCodec } from '../common/payload-codec';
import { PayloadKeys } from '../config/env';
import { RECORDING_PAYLOAD_KEYS } from '../test/support/payload-keys';
import { createBookingWorker } from '../worker/create';
import { ensureTemporalCli, projectRoot } from './temporal-cli';

const outDir = path.join(projectRoot, 'test', 'histories');
const TOKEN = 'record';
/** Every scenario ends on its own within seconds; this only catches one that hangs. */
const SCENARIO_LIMIT_MS = 60_000;

// ---------------------------------------------------------------------------
// What a scenario is

/** An answer a person gives through the API (an update), once the booking is where it is expected. */
interface Answer {
  at: Partial<Pick<BookingView, 'status' | 'stage'>>;
  send(handle: WorkflowHandle): Promise<unknown>;
}

const answer = <Args extends unknown[]>(at: Answer['at'], update: UpdateDefinition<BookingView, Args>, ...args: Args): Answer => ({
  at,
  // By name: the client's overloads tell updates without arguments from the others; `args` is checked against `update` above.
  send: (handle) => handle.executeUpdate(update.name, { args: args as unknown[] as [unknown] }),
});

interface Scenario<Timing> {
  /** The file is test/histories/<workflow>-<name>.json. */
  name: string;
  /** Built when the scenario starts, after arranging at the simulator what the scenario needs. */
  request: () => unknown;
  /** Overrides of the provider's short timings. */
  timing?: Partial<Timing>;
  answers?: Answer[];
  /** How the booking must end: a recording that ends otherwise is an error, not a history. */
  ends: BookingStatus;
}

interface Recording {
  workflow: string;
  /** The provider's request schema, as the API parses it before starting the workflow. */
  parse: (request: unknown) => unknown;
  timing: object;
  scenarios: Scenario<object>[];
}

const recording = <Timing extends object>(r: {
  workflow: string;
  parse: (request: unknown) => unknown;
  timing: Timing;
  scenarios: Scenario<Timing>[];
}): Recording => r;

// ---------------------------------------------------------------------------
// The simulators and the scenarios, one table per provider

async function startSimulators() {
  return {
    oks: await startOksSimulator({ token: TOKEN, pendingMs: 100, processingMs: 500 }),
    qtickets: await startQticketsSimulator({ token: TOKEN }),
    // The seed's tariffs and prices apply in September 2014.
    hotels24: await startHotels24Simulator({ token: TOKEN, now: () => new Date('2014-09-01T09:00:00Z') }),
    chrono: await startChronoSimulator({ token: TOKEN }),
    // The CRM decides after 1.5 s: long enough for a short decision deadline to pass first.
    brusnika: await startBrusnikaSimulator({ token: TOKEN, timing: { bookingDecisionMs: 1_500, visitDecisionMs: 1_000, timeSlotHoldMs: 60_000 } }),
  };
}
type Simulators = Awaited<ReturnType<typeof startSimulators>>;

const layout = (layoutUuid: string = randomUUID()) => ({ layoutUuid, phone: '+77070000000', firstName: 'A', lastName: 'B', reserveDays: 1 });

const stay = { arrival_date: '2014-09-10', departure_date: '2014-09-11' };
const requisites = { first_name: 'Booker', last_name: 'Da Mega', email: 'mega.booker@hotels24.ua', phone: '0800210017' };
const FLEX = '507f1f77bcf86cd799439011'; // Бристоль, Стандарт: 500 a night, cancellation 3
const hotel = (block: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...stay, blocks: [{ tariff: FLEX, total_cost: 500, quantity: 1, ...block }], requisites, ...extra });

function recordings(sims: Simulators): Recording[] {
  /** A chrono event of the scenario's own, in UTC; the request books one place on it. */
  let chronoEvents = 0;
  const onNewChronoEvent = ({ places, waiting, startsInMs = 24 * 60 * 60_000 }: { places: number; waiting: number; startsInMs?: number }) => {
    const slot = `record-${++chronoEvents}`;
    const datetime = new Date(Date.now() + startsInMs).toISOString().slice(0, 19).replace('T', ' ');
    addChronoEvent(sims.chrono.ctx.state, 'gymnase-jean-moulin', { slug: slot, datetime, duration: 60, places, waiting_list_places: waiting });
    return { agenda: 'gymnase-jean-moulin', slot, user_external_id: `usager-${randomUUID()}`, user_first_name: 'Camille', user_last_name: 'Martin', count: 1, timezone: 'UTC' };
  };

  /** Fixture client 801 of agent 501. */
  const EXISTING_CLIENT = { fullname: 'Смирнов Алексей Дмитриевич', phone_number: '8 (912) 001-00-01' };
  const premise = (premise_id: number, extra: Record<string, unknown> = {}) => ({ kind: 'premise', premise_id, agent_id: 501, client: EXISTING_CLIENT, purchase_option: 'full_payment', ...extra });

  return [
    recording<OksTiming>({
      workflow: 'oksLayoutBooking',
      parse: (r) => BookLayoutRequest.parse(r),
      timing: { taskPollInitialMs: 100, taskPollMaxMs: 200, taskDeadlineMs: 10_000, holdTermMs: 1_500, releaseEscalationMs: 5_000 },
      scenarios: [
        { name: 'completed', request: () => layout(), answers: [answer({ status: 'held' }, complete.update)], ends: 'completed' },
        { name: 'cancelled-while-held', request: () => layout(), answers: [answer({ status: 'held' }, cancel.update, { reason: 'recorded' })], ends: 'cancelled' },
        { name: 'expired', request: () => layout(), ends: 'expired' },
        { name: 'failed', request: () => layout(OKS_BOOKED_LAYOUTS[0]), ends: 'failed' },
        // On the booking kit: the answer's update returns once the deal is completed.
        { name: 'completed-answer-carried-out', request: () => layout(), answers: [answer({ status: 'held' }, complete.update)], ends: 'completed' },
        {
          name: 'book-answer-unreadable-flagged',
          request: () => {
            sims.oks.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST .*/layouts/book$' });
            return layout();
          },
          ends: 'failed',
        },
        {
          name: 'unbook-answer-undocumented-asked-again',
          request: () => layout(),
          answers: [
            {
              at: { status: 'held' },
              send: (handle) => {
                sims.oks.setFaults({ garbleNext: 1, garbleAs: 'empty_object', faultsOn: '^POST .*/layouts/unbook$' });
                return handle.executeUpdate(cancel.update.name, { args: [{ reason: 'recorded' }] });
              },
            },
          ],
          ends: 'cancelled',
        },
      ],
    }),

    recording<QticketsTiming>({
      workflow: 'qticketsSeatBooking',
      parse: (r) => SeatBookingRequest.parse(r),
      timing: { holdMs: 60_000, maxHoldMs: 3 * 60_000, extendByMs: 60_000, callDeadlineMs: 20_000, releaseEscalationMs: 5_000, releasePauseMs: 500 },
      scenarios: [
        {
          name: 'paid-after-extension',
          request: () => ({ event_id: 12, show_id: 21, seats: ['1-1;3', '1-1;2'] }),
          answers: [answer({ status: 'held', stage: 'reserved' }, extendHold.update, { byMinutes: 1 }), answer({ status: 'held', stage: 'reserved' }, confirmPayment.update)],
          ends: 'completed',
        },
        {
          name: 'cancelled-while-held',
          request: () => ({ event_id: 33, seats: ['1-1;49'], admission: [{ seat_id: '3-1;1', quantity: 2 }] }),
          answers: [answer({ status: 'held' }, cancel.update, { reason: 'recorded' })],
          ends: 'cancelled',
        },
        { name: 'expired', request: () => ({ event_id: 12, show_id: 20, seats: ['5-1;8', '5-1;7'] }), timing: { holdMs: 2_000 }, ends: 'expired' },
        {
          // Two tickets are added, the third seat is refused: the two are removed, newest first.
          name: 'failed-releasing',
          request: () => {
            refuseSeat(sims.qtickets.ctx.state, { seat_id: '8-1;44', code: 'SEAT_NOT_AVAILABLE' });
            return { event_id: 12, show_id: 20, seats: ['8-1;42', '8-1;43', '8-1;44'] };
          },
          ends: 'failed',
        },
        {
          // qtickets made the ticket but its answer was cut short: the ticket is removed by its external_id.
          name: 'add-answer-unreadable-released',
          request: () => {
            sims.qtickets.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /api/partners/v1/tickets/add/' });
            return { event_id: 12, show_id: 20, seats: ['2-2;49'] };
          },
          ends: 'failed',
        },
        {
          // Last: the simulator stays seed-minimal for the rest of the run.
          name: 'seed-minimal-paid',
          request: () => {
            sims.qtickets.setFaults({ seedMinimal: true });
            return { event_id: 12, show_id: 20, seats: ['2-2;50', '2-2;51'] };
          },
          answers: [answer({ status: 'held', stage: 'reserved' }, confirmPayment.update)],
          ends: 'completed',
        },
      ],
    }),

    recording<Hotels24Timing>({
      workflow: 'hotels24HotelBooking',
      parse: (r) => Hotels24BookingRequest.parse(r),
      timing: { conditionsDecisionMs: 60_000, requisitesWaitMs: 60_000, confirmationWaitMs: 60_000, retryInitialMs: 100, retryMaxMs: 200, retryGiveUpMs: 15_000 },
      scenarios: [
        { name: 'auto-confirmed', request: () => hotel({}, { autoConfirm: true }), ends: 'completed' },
        {
          // 450 and cancellation 1 asked, the hotel has 500 and 3: the approver accepts them, then confirms.
          name: 'accepted-conditions-and-confirmed',
          request: () => hotel({ total_cost: 450, conditions: { cancellation: 1 } }),
          answers: [
            answer({ status: 'awaiting_approval', stage: 'postConditions' }, acceptHotel.update, {}),
            answer({ status: 'awaiting_approval', stage: 'postRequisites' }, acceptHotel.update, {}),
          ],
          ends: 'completed',
        },
        { name: 'expired-at-confirmation', request: () => hotel({}), timing: { confirmationWaitMs: 1_500 }, ends: 'expired' },
        { name: 'failed', request: () => hotel({ tariff: '000000000000000000000000' }), ends: 'failed' },
        {
          name: 'seed-minimal-auto-confirmed',
          request: () => {
            sims.hotels24.setFaults({ seedMinimal: true });
            return hotel({}, { autoConfirm: true });
          },
          ends: 'completed',
        },
      ],
    }),

    recording<ChronoTiming>({
      workflow: 'chronoAgendaBooking',
      parse: (r) => ChronoBookingRequest.parse(r),
      timing: { approvalMs: 60_000, retentionMs: 60_000, providerDeadlineMs: 30_000, releaseEscalationMs: 5_000, releaseRetryPauseMs: 500 },
      scenarios: [
        {
          // On the main list of an event that ends a second later; anonymized after a second's retention.
          name: 'anonymized',
          request: () => onNewChronoEvent({ places: 2, waiting: 0, startsInMs: -60 * 60_000 + 1_000 }),
          timing: { retentionMs: 1_000 },
          ends: 'completed',
        },
        {
          name: 'accepted-then-cancelled',
          request: () => onNewChronoEvent({ places: 0, waiting: 2 }),
          answers: [
            answer({ status: 'awaiting_approval', stage: 'waiting_list' }, acceptChrono.update),
            answer({ status: 'confirmed', stage: 'main_list' }, cancel.update, { reason: 'recorded' }),
          ],
          ends: 'cancelled',
        },
        { name: 'expired', request: () => onNewChronoEvent({ places: 0, waiting: 2 }), timing: { approvalMs: 1_500 }, ends: 'expired' },
        { name: 'failed-sold-out', request: () => onNewChronoEvent({ places: 0, waiting: 0 }), ends: 'failed' },
        {
          // chrono booked the place but its answer was cut short: the booking is found by its tag and cancelled.
          name: 'fillslot-answer-unreadable-released',
          request: () => {
            sims.chrono.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /api/agenda/.*/fillslot/' });
            return onNewChronoEvent({ places: 2, waiting: 0 });
          },
          ends: 'failed',
        },
        {
          // fillslot answers only err, booking_id and in_waiting_list: the event's times stay unknown.
          name: 'seed-minimal-expired',
          request: () => {
            sims.chrono.setFaults({ seedMinimal: true });
            return onNewChronoEvent({ places: 0, waiting: 2 });
          },
          timing: { approvalMs: 1_500 },
          ends: 'expired',
        },
      ],
    }),

    recording<BrusnikaTiming>({
      workflow: 'brusnikaBooking',
      parse: (r) => BrusnikaBookingRequest.parse(r),
      timing: { pollInitialMs: 100, pollMaxMs: 300, callDeadlineMs: 20_000, decisionDeadlineMs: 20_000, bookedWatchMs: 60_000, releaseEscalationMs: 5_000 },
      scenarios: [
        { name: 'premise-handed-over', request: () => premise(2004), timing: { bookedWatchMs: 1_500 }, ends: 'completed' },
        { name: 'premise-expired', request: () => premise(1005), timing: { decisionDeadlineMs: 300 }, ends: 'expired' },
        {
          // Slot 10: project 21, tomorrow 10:00.
          name: 'visit-cancelled',
          request: () => ({ kind: 'visit', agent_id: 501, client: EXISTING_CLIENT, time_slot_id: 10 }),
          answers: [answer({ status: 'confirmed', stage: 'visit_confirmed' }, cancel.update, { reason: 'recorded' })],
          ends: 'cancelled',
        },
        {
          // Agent 503 has no bookings left: the CRM refuses, and the client created for it is left behind.
          name: 'premise-failed',
          request: () => premise(3002, { agent_id: 503, client: { fullname: 'Белова Ольга Петровна', phone_number: '+79990000001' } }),
          ends: 'failed',
        },
        {
          // The CRM booked the premise but its answer was cut short: the booking is found by client and premise and cancelled.
          name: 'booking-answer-unreadable-released',
          request: () => {
            sims.brusnika.setFaults({ garbleNext: 1, garbleAs: 'truncated_json', faultsOn: '^POST /bookings$' });
            return premise(1002);
          },
          ends: 'failed',
        },
        {
          // Last: the simulator stays seed-minimal for the rest of the run.
          name: 'seed-minimal-premise-handed-over',
          request: () => {
            sims.brusnika.setFaults({ seedMinimal: true });
            return premise(1006);
          },
          timing: { bookedWatchMs: 1_500 },
          ends: 'completed',
        },
      ],
    }),
  ];
}

// ---------------------------------------------------------------------------
// Trips: the trip's own history, and one leg's (a booking that tells its parent how it stands).

interface TripScenario {
  /** The trip's file is test/histories/trip-<name>.json; the leg's <its workflow>-trip-<name>.json. */
  name: string;
  legs: () => TripLegStart[];
  /** Whether the app confirms once every leg holds. */
  confirm: boolean;
  ends: BookingStatus;
  /** The leg whose history is recorded too. */
  leg: number;
}

const oksLegTiming = { taskPollInitialMs: 100, taskPollMaxMs: 200, taskDeadlineMs: 10_000, holdTermMs: 30_000, releaseEscalationMs: 5_000 } satisfies OksTiming;
const qticketsLegTiming = { holdMs: 30_000, maxHoldMs: 60_000, extendByMs: 10_000, callDeadlineMs: 10_000, releaseEscalationMs: 5_000, releasePauseMs: 500 } satisfies QticketsTiming;

const seatsLeg = (seat: string): TripLegStart => ({ provider: 'qtickets', bookingId: randomUUID(), request: SeatBookingRequest.parse({ event_id: 12, show_id: 21, seats: [seat] }), timing: qticketsLegTiming });
const unitLeg = (layoutUuid?: string): TripLegStart => ({ provider: 'oks', bookingId: randomUUID(), request: BookLayoutRequest.parse(layout(layoutUuid)), timing: oksLegTiming });
const roomsLeg = (): TripLegStart => ({ provider: 'hotels24', bookingId: randomUUID(), request: Hotels24BookingRequest.parse(hotel({}, { autoConfirm: true, arrival_date: '2014-09-20', departure_date: '2014-09-21' })) });

const tripScenarios: TripScenario[] = [
  { name: 'completed', legs: () => [seatsLeg('1-1;3'), unitLeg(), roomsLeg()], confirm: true, ends: 'completed', leg: 0 },
  { name: 'leg-failed-released', legs: () => [seatsLeg('1-1;2'), unitLeg(OKS_BOOKED_LAYOUTS[0])], confirm: false, ends: 'failed', leg: 0 },
];

// ---------------------------------------------------------------------------
// The runner

async function main(): Promise<void> {
  // --as=<tag> records beside the existing histories (`<name>-<tag>.json`): old ones must stay to prove they still replay.
  const tag = process.argv.find((arg) => arg.startsWith('--as='))?.slice('--as='.length);
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('--as='));
  const wanted = (file: string) => filters.length === 0 || filters.some((f) => file.startsWith(f));
  const fileFor = (file: string) => (tag ? file.replace(/\.json$/, `-${tag}.json`) : file);

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = await ensureTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli.path ? { executable: { type: 'existing-path' as const, path: cli.path } } : {}),
      searchAttributes: [...bookingSearchAttributeKeys],
    },
  });
  // Sealed like every booking, with the recording key the replay test knows (the data is fictitious).
  const payloadKeys = PayloadKeys.parse(RECORDING_PAYLOAD_KEYS);
  const client = new Client({ connection: env.connection, dataConverter: bookingDataConverter(new SealingCodec(payloadKeys)) });
  const sims = await startSimulators();
  const endpoint = (provider: keyof Simulators) => ({ provider, baseUrl: sims[provider].url, token: TOKEN, timeoutMs: 2_000 });
  const taskQueue = 'record-histories';
  const worker = await createBookingWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    logger: pino({ level: 'silent' }),
    providers: { oks: endpoint('oks'), qtickets: endpoint('qtickets'), hotels24: endpoint('hotels24'), chrono: endpoint('chrono'), brusnika: endpoint('brusnika') },
    payloadKeys,
  });

  const record = async ({ workflow, parse, timing }: Recording, scenario: Scenario<object>, file: string): Promise<void> => {
    const bookingId = randomUUID();
    const handle = await client.workflow.start(workflow, {
      taskQueue,
      workflowId: workflowIdFor(bookingId),
      args: [{ bookingId, client: 'recorder', request: parse(scenario.request()), timing: { ...timing, ...scenario.timing } }],
    });
    for (const next of scenario.answers ?? []) {
      await waitFor(`${file} to be ${JSON.stringify(next.at)}`, async () => {
        const view = await handle.query(statusQuery);
        return Object.entries(next.at).every(([key, value]) => view[key as keyof typeof next.at] === value);
      });
      await next.send(handle);
    }
    const view = await endsWithin(SCENARIO_LIMIT_MS, handle, file, statusQuery);
    if (view.status !== scenario.ends) {
      throw new Error(`${file} ended ${view.status} (${view.stage}), not ${scenario.ends}: ${JSON.stringify(view.error)}`);
    }
    await write(handle, file);
    process.stdout.write(`recorded test/histories/${fileFor(file)} (${view.status}, ${view.stage})\n`);
  };

  const write = async (handle: WorkflowHandle, file: string): Promise<void> => {
    const history = await handle.fetchHistory();
    fs.writeFileSync(path.join(outDir, fileFor(file)), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
  };

  const recordTrip = async (scenario: TripScenario, file: string): Promise<void> => {
    const tripId = randomUUID();
    // The seats the qtickets recordings sold are on sale again.
    sims.qtickets.reset();
    const legs = scenario.legs();
    const handle = await client.workflow.start(trip, { taskQueue, workflowId: tripWorkflowIdFor(tripId), args: [{ tripId, client: 'recorder', legs }] });
    if (scenario.confirm) {
      await waitFor(`${file} to hold`, async () => (await handle.query(tripStatusQuery)).status === 'held');
      await handle.executeUpdate(confirmTrip.update);
    }
    const view = await endsWithin(SCENARIO_LIMIT_MS, handle, file, tripStatusQuery);
    if (view.status !== scenario.ends) throw new Error(`${file} ended ${view.status} (${view.stage}), not ${scenario.ends}: ${JSON.stringify(view.error)}`);
    await write(handle, file);
    const leg = legs[scenario.leg]!;
    const legFile = `${tripRoles[leg.provider].workflow.name}-trip-${scenario.name}.json`;
    await write(client.workflow.getHandle(workflowIdFor(leg.bookingId)), legFile);
    process.stdout.write(`recorded test/histories/${fileFor(file)} (${view.status}, ${view.stage}) and its leg's, ${fileFor(legFile)}\n`);
  };

  try {
    await worker.runUntil(async () => {
      for (const r of recordings(sims)) {
        for (const scenario of r.scenarios) {
          const file = `${r.workflow}-${scenario.name}.json`;
          if (wanted(file)) await record(r, scenario, file);
        }
      }
      for (const scenario of tripScenarios) {
        const file = `trip-${scenario.name}.json`;
        if (wanted(file)) await recordTrip(scenario, file);
      }
    });
  } finally {
    await Promise.all(Object.values(sims).map((sim) => sim.close()));
    await env.teardown();
  }
}

/** A scenario that does not end in time (a workflow task failing over and over, say) is terminated and reported. */
async function endsWithin<View extends { status: string; stage: string }>(ms: number, handle: WorkflowHandle, file: string, query: QueryDefinition<View>): Promise<View> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    const ended = await Promise.race([handle.result() as Promise<View>, late]);
    if (ended !== 'late') return ended;
  } finally {
    clearTimeout(timer);
  }
  const view = await handle.query(query).catch(() => undefined);
  await handle.terminate(`not ended within ${ms / 1_000} s by record-histories`);
  throw new Error(`${file} did not end within ${ms / 1_000} s; it was terminated${view ? ` at ${view.status} (${view.stage})` : ''}`);
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
