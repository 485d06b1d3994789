/**
 * The checks `npm run chaos` ends with, as pure functions of the bookings it drove and
 * the simulators' states (`/__control/state`), so that test/chaos-checks.test.ts can
 * plant each kind of violation and see it found.
 */

export const PROVIDER_ORDER = ['oks', 'qtickets', 'hotels24', 'chrono', 'brusnika'] as const;
export type ProviderName = (typeof PROVIDER_ORDER)[number];
export const TERMINAL = new Set(['completed', 'cancelled', 'expired', 'failed']);
export type Intent = 'complete' | 'cancel' | 'payment' | 'extend' | 'autoConfirm' | 'approve' | 'waitingList' | 'visit' | 'leave';

export interface View {
  bookingId: string;
  provider: string;
  status: string;
  stage?: string;
  references?: Record<string, unknown>;
  waitingFor?: { on?: string; deadline?: string; actions?: string[] } | null;
  attention?: unknown;
  error?: unknown;
  timeline?: unknown[];
}

export interface Booking {
  key: string;
  provider: ProviderName;
  intent: Intent;
  request: Record<string, unknown>;
  bookingId?: string;
  /** Every bookingId the API answered for the key (one, or the key was booked twice). */
  answeredIds: Set<string>;
  refused?: string;
  view?: View;
  notes: string[];
  /** A seat or premise this booking took from the pool, until the booking shows where it is. */
  claim?: string;
  phone?: string;
}

export interface QticketsState {
  inventory: { event_id: number; show_id: number; seats: { seat_id: string; admission: boolean; state: string }[] }[];
  tickets: { id: string; external_id: string | null; status: string; seat_id: string; show_id: number }[];
}
export interface BrusnikaState {
  premises: { id: number; is_booked: boolean; is_sold: boolean; purchase_option: string[] }[];
  bookings: { id: number; client_id: number; premise_id: number; status: string }[];
  clients: { id: number; phone_number: string }[];
  visits: { id: number; client_id: number; time_slot_id: number; status: string }[];
  timeSlots: { id: number; client_id: number | null; visit_id: number | null; taken_elsewhere: boolean }[];
}
export interface OksState {
  deals: { layoutUuid: string; shows_id: number; status: string }[];
}
export interface Hotels24State {
  requests: Record<string, { request_id: string; state: string; status: string }>;
}
export interface ChronoState {
  bookings: { id: number; extra_data: Record<string, unknown> | null; cancellation_datetime: string | null; anonymization_datetime: string | null; event_id: number }[];
}

/** Every simulator's `/__control/state`, the parts the checks read. */
export interface ProviderStates {
  oks: OksState;
  qtickets: QticketsState;
  hotels24: Hotels24State;
  chrono: ChronoState;
  brusnika: BrusnikaState;
}

export interface Violation {
  kind: string;
  provider?: string;
  bookingId?: string;
  key?: string;
  detail: string;
}

export interface Baseline {
  brusnikaBookings: Set<number>;
  brusnikaVisits: Set<number>;
  hotels24Requests: Set<string>;
  chronoBookings: Set<number>;
  qticketsTickets: Set<string>;
}

/** What a run found at the providers before its first booking. */
export function baselineOf(states: ProviderStates): Baseline {
  return {
    brusnikaBookings: new Set(states.brusnika.bookings.map((b) => b.id)),
    brusnikaVisits: new Set(states.brusnika.visits.map((v) => v.id)),
    hotels24Requests: new Set(Object.keys(states.hotels24.requests)),
    chronoBookings: new Set(states.chrono.bookings.map((b) => b.id)),
    qticketsTickets: new Set(states.qtickets.tickets.map((t) => t.id)),
  };
}

/** The booking statuses in which each provider holds something for the booking. */
const HOLDING: Record<ProviderName, Set<string>> = {
  oks: new Set(['held', 'completed']),
  qtickets: new Set(['held']),
  hotels24: new Set(['completed']),
  chrono: new Set(['confirmed', 'awaiting_approval']),
  brusnika: new Set(['confirmed', 'processing']),
};

/**
 * Every booking against what its provider holds: nothing held twice, no hold lost, nothing
 * held that no booking holds (oks deals of flagged bookings are returned apart).
 */
export function checkInventories(states: ProviderStates, bookings: Booking[], base: Baseline, violations: Violation[]): { oksFlagged: string[] } {
  const { oks, qtickets, hotels24, chrono, brusnika } = states;
  const accepted = bookings.filter((b) => b.bookingId);
  const byId = new Map(accepted.map((b) => [b.bookingId!, b]));
  const add = (kind: string, b: Booking | undefined, detail: string, provider = b?.provider): void => {
    violations.push({ kind, provider, bookingId: b?.bookingId, key: b?.key, detail });
  };
  const status = (b: Booking): string => b.view?.status ?? 'unknown';
  const oksFlagged: string[] = [];

  // oks: deals by layout (each booking books its own layout).
  for (const b of accepted.filter((x) => x.provider === 'oks')) {
    const live = oks.deals.filter((d) => d.layoutUuid === b.request.layoutUuid && d.status === 'booked');
    if (live.length > 1) add('held twice', b, `${live.length} deals booked for its layout: shows_id ${live.map((d) => d.shows_id).join(', ')}`);
    if (HOLDING.oks.has(status(b))) {
      if (live.length === 0) add('hold lost', b, `${status(b)} but oks holds no deal for its layout`);
      else if (live[0]!.shows_id !== b.view?.references?.shows_id) add('wrong reference', b, `references shows_id ${String(b.view?.references?.shows_id)}, oks holds ${live[0]!.shows_id}`);
    } else if (live.length > 0) {
      if (b.view?.attention) oksFlagged.push(b.bookingId!);
      else add('held with no booking', b, `${status(b)} without attention, but oks holds shows_id ${live.map((d) => d.shows_id).join(', ')}`);
    }
  }

  // qtickets: tickets carry the booking's id in external_id.
  for (const t of qtickets.tickets.filter((x) => !base.qticketsTickets.has(x.id) && (x.status === 'reserved' || x.status === 'sold'))) {
    const owner = t.external_id ? byId.get(t.external_id.replace(/-\d+$/, '')) : undefined;
    if (!owner) add('held with no booking', undefined, `ticket ${t.id} (${t.status}, seat ${t.seat_id}, external_id ${t.external_id}) belongs to no booking of this run`, 'qtickets');
    else if (t.status === 'sold' && status(owner) !== 'completed') add('held with no booking', owner, `ticket ${t.id} sold but the booking is ${status(owner)}`);
    else if (t.status === 'reserved' && status(owner) !== 'held') add('held with no booking', owner, `ticket ${t.id} reserved but the booking is ${status(owner)}`);
  }
  for (const b of accepted.filter((x) => x.provider === 'qtickets')) {
    const live = qtickets.tickets.filter((t) => t.external_id?.startsWith(`${b.bookingId}-`) && (t.status === 'reserved' || t.status === 'sold'));
    const seats = (b.request.seats as unknown[]).length;
    if (live.length > seats) add('held twice', b, `${live.length} live tickets for ${seats} seat(s): ${live.map((t) => t.id).join(', ')}`);
    if ((status(b) === 'held' || status(b) === 'completed') && live.length < seats) add('hold lost', b, `${status(b)} with ${live.length} live ticket(s) for ${seats} seat(s)`);
  }

  // hotels24: a completed request per completed booking, and none other.
  const completedRequests = Object.values(hotels24.requests).filter((r) => !base.hotels24Requests.has(r.request_id) && r.state === 'complete');
  const byRequest = new Map(accepted.filter((b) => b.provider === 'hotels24').map((b) => [String(b.view?.references?.request_id), b]));
  for (const r of completedRequests) {
    const owner = byRequest.get(r.request_id);
    if (!owner || status(owner) !== 'completed') add(owner ? 'held with no booking' : 'booked twice or lost', owner, `hotels24 request ${r.request_id} is complete${owner ? ` but its booking is ${status(owner)}` : ' and no booking references it'}`, 'hotels24');
  }
  for (const b of accepted.filter((x) => x.provider === 'hotels24' && status(x) === 'completed')) {
    if (!completedRequests.some((r) => r.request_id === b.view?.references?.request_id)) add('hold lost', b, `completed, but hotels24 has no complete request ${String(b.view?.references?.request_id)}`);
  }

  // chrono: bookings carry ours as a tag.
  const chronoNew = chrono.bookings.filter((c) => !base.chronoBookings.has(c.id));
  for (const c of chronoNew.filter((x) => x.cancellation_datetime === null && x.anonymization_datetime === null)) {
    const tag = c.extra_data?.orchestrator_booking_id;
    const owner = typeof tag === 'string' ? byId.get(tag) : undefined;
    if (!owner) add('held with no booking', undefined, `chrono booking ${c.id} (tag ${String(tag)}) is active and belongs to no booking of this run`, 'chrono');
    else if (!HOLDING.chrono.has(status(owner))) add('held with no booking', owner, `chrono booking ${c.id} is active but the booking is ${status(owner)}`);
  }
  for (const b of accepted.filter((x) => x.provider === 'chrono')) {
    const live = chronoNew.filter((c) => c.extra_data?.orchestrator_booking_id === b.bookingId && c.cancellation_datetime === null && c.anonymization_datetime === null);
    if (live.length > 1) add('held twice', b, `${live.length} active chrono bookings carry its tag: ${live.map((c) => c.id).join(', ')}`);
    if (HOLDING.chrono.has(status(b)) && live.length === 0) add('hold lost', b, `${status(b)} but chrono has no active booking with its tag`);
  }

  // brusnika: each booking has its own client (by phone); open or successful CRM bookings are held.
  const clientOf = new Map<number, Booking>();
  for (const b of accepted.filter((x) => x.provider === 'brusnika' && x.phone)) {
    for (const c of brusnika.clients) if (c.phone_number.replace(/\D/g, '').endsWith(b.phone!)) clientOf.set(c.id, b);
  }
  // A premise booking or a visit, open or successful, is held (each booking makes one of them).
  const brusnikaLive = [
    ...brusnika.bookings.filter((x) => !base.brusnikaBookings.has(x.id)).map((x) => ({ ...x, what: `CRM booking ${x.id} (premise ${x.premise_id})` })),
    ...brusnika.visits.filter((x) => !base.brusnikaVisits.has(x.id)).map((x) => ({ ...x, what: `visit ${x.id} (slot ${x.time_slot_id})` })),
  ].filter((x) => x.status === 'open' || x.status === 'success');
  for (const r of brusnikaLive) {
    const owner = clientOf.get(r.client_id);
    if (!owner) add('held with no booking', undefined, `${r.what}, ${r.status}, client ${r.client_id}, belongs to no booking of this run`, 'brusnika');
    else if (!HOLDING.brusnika.has(status(owner))) add('held with no booking', owner, `${r.what} is ${r.status} but the booking is ${status(owner)}`);
  }
  for (const b of accepted.filter((x) => x.provider === 'brusnika')) {
    const live = brusnikaLive.filter((r) => clientOf.get(r.client_id) === b);
    if (live.length > 1) add('held twice', b, `${live.length} open or successful in the CRM: ${live.map((r) => r.what).join(', ')}`);
    if (status(b) === 'confirmed' && live.length === 0) add('hold lost', b, 'confirmed but the CRM has no open or successful booking or visit for its client');
  }
  return { oksFlagged };
}

/** Every booking accepted once, read, and ended (or waiting for a person before its deadline). */
export function checkBookings(bookings: Booking[], violations: Violation[], now = Date.now()): void {
  for (const b of bookings) {
    const add = (kind: string, detail: string): void => void violations.push({ kind, provider: b.provider, bookingId: b.bookingId, key: b.key, detail });
    if (b.refused) add('refused', `POST /api/v1/bookings: ${b.refused}`);
    if (!b.bookingId) continue;
    if (b.answeredIds.size > 1) add('booked twice', `the key was answered with ${[...b.answeredIds].join(', ')}`);
    const v = b.view;
    if (!v) {
      add('lost', 'its view could not be read');
      continue;
    }
    if (TERMINAL.has(v.status)) continue;
    const deadline = v.waitingFor?.deadline ? Date.parse(v.waitingFor.deadline) : NaN;
    if (v.waitingFor?.on === 'operator') add('needs an operator', `${v.status} (${v.stage}): ${JSON.stringify(v.attention)}`);
    else if (!(deadline > now)) add('stuck', `${v.status} (${v.stage}), waiting for ${JSON.stringify(v.waitingFor ?? null)}`);
  }
}

