/**
 * Brusnika activities: look the premise up, find or create the agency and the
 * client, create and watch bookings and visits, book a time slot, and cancel.
 * Each is one step the workflow names; what goes back to the workflow carries
 * ids and facts, never the client's name or phone.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { FailureType } from '../../common/failure-types';
import { activityLogger } from '../logging';
import { type ReleaseOutcome, releaseUnknown, released } from '../../common/release';
import { type BrusnikaClient, ListNotServed, refusalCode } from './client';
import {
  type Booking,
  BrusnikaCode,
  CRM_UTC_OFFSET,
  type Client,
  type ClientDetails,
  type CreateAgencyRequest,
  type CreateBookingRequest,
  type CreateVisitRequest,
  LEAD_BOOKED,
  type Premise,
  type Visit,
} from './contract';

/** What the workflow learns of a client: no name, no phone. */
export interface ClientFacts {
  client_id: number;
  agent_id?: number;
  fixing_type?: string;
  /** Whether this booking created it. */
  created: boolean;
}

export interface AgencyFacts {
  agency_id: number;
  created: boolean;
}

/** A premise as the workflow keeps it (every field the CRM gave but photos); `price` is the exact integer as a string. */
export type PremiseFacts = Omit<Premise, 'photos'>;

/** A time slot held for the agent and client, with the moment it starts. */
export interface HeldSlot {
  id: number;
  project_id: number;
  date: string;
  time: string;
  reserved_until: string | null;
  startsAt: string;
}

/** What a create made (the shape recorded histories hold); `found` says how, when an earlier attempt made it. */
export type CreateOutcome<T> = { outcome: 'created'; record: T; found?: string };

/** What a booking of a premise is known by before it is made. */
export interface BookingKey {
  client_id: number;
  premise_id: number;
  agent_id: number;
}

/** What a visit is known by before it is made: the client and the slot held for it. */
export interface VisitKey {
  client_id: number;
  agent_id: number;
  slot: Pick<HeldSlot, 'id' | 'project_id' | 'date' | 'time'>;
}

export interface Polling {
  initialMs: number;
  maxMs: number;
}

export interface BrusnikaDeps {
  brusnika: BrusnikaClient;
  logger: Logger;
}

const isRefusal = (err: unknown): err is ApplicationFailure => err instanceof ApplicationFailure && err.type === FailureType.ProviderRefused;
/** A 2xx the contract cannot read: the CRM acted, its answer is lost. */
const isUnreadable = (err: unknown): boolean => err instanceof ApplicationFailure && err.type === FailureType.ProviderContractViolation;

const clientFacts = (client: Client, created: boolean): ClientFacts => ({
  client_id: client.id,
  ...(client.agent_id ? { agent_id: client.agent_id } : {}),
  ...(client.fixing_type ? { fixing_type: client.fixing_type } : {}),
  created,
});

/** A create that failed after an earlier attempt may have acted: not a clean refusal, so its release is kept. */
const outcomeUnknown = (message: string): ApplicationFailure =>
  ApplicationFailure.create({ message, type: FailureType.ProviderUnavailable, nonRetryable: true });

const evidenceOf = (outcome: ReleaseOutcome): string => (outcome.released ? outcome.evidence : outcome.unknown);

const sameSlot = (visit: Visit, slot: VisitKey['slot']): boolean =>
  (visit.project_id ?? slot.project_id) === slot.project_id && visit.date === slot.date && visit.time === slot.time;

const everyIdOf = (key: object): string =>
  Object.entries(key)
    .map(([name, value]) => `${name} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');

export function createBrusnikaActivities({ brusnika, logger }: BrusnikaDeps) {
  /** The agent's bookings of the premise for the client that still hold it. */
  async function activeBookings(key: BookingKey, log: Logger): Promise<Booking[]> {
    const listed = await brusnika.bookingsOf({ client_id: key.client_id, premise_id: key.premise_id }, log);
    return listed.filter(
      (b) => b.status !== 'fail' && (b.client_id ?? key.client_id) === key.client_id && (b.premise_id ?? key.premise_id) === key.premise_id && (b.agent_id ?? key.agent_id) === key.agent_id,
    );
  }

  /** The agent's visits for the client at the slot's project, date and time that still hold it. */
  async function activeVisits(key: VisitKey, log: Logger): Promise<Visit[]> {
    const listed = await brusnika.visitsOf({ client_id: key.client_id, project_id: key.slot.project_id }, log);
    return listed.filter((v) => v.status !== 'fail' && (v.client_id ?? key.client_id) === key.client_id && (v.agent_id ?? key.agent_id) === key.agent_id && sameSlot(v, key.slot));
  }

  /** Reads the record until the CRM decides, pausing longer each time; heartbeats so a dead worker is replaced. */
  async function untilDecided<T extends { status: string }>(read: (log: Logger) => Promise<T>, polling: Polling): Promise<T> {
    const ctx = Context.current();
    const log = activityLogger(logger);
    for (let pause = polling.initialMs; ; pause = Math.min(pause * 2, polling.maxMs)) {
      const record = await read(log);
      if (record.status !== 'open') return record;
      ctx.heartbeat({ status: record.status });
      await ctx.sleep(pause);
    }
  }

  return {
    /** The premise as Brusnika lists it, or null when it is not listed at all. */
    async findBrusnikaPremise(premiseId: number): Promise<PremiseFacts | null> {
      const premise = await brusnika.findPremise(premiseId, activityLogger(logger));
      if (!premise) return null;
      const { photos: _photos, ...facts } = premise;
      return facts;
    },

    /** Found by INN; created when Brusnika does not know it. A create refused as existing (our lost answer) finds it. */
    async ensureBrusnikaAgency(agency: CreateAgencyRequest): Promise<AgencyFacts> {
      const log = activityLogger(logger);
      const [found] = await brusnika.searchAgencyByInn(agency.inn, log);
      if (found) return { agency_id: found.id, created: false };
      try {
        return { agency_id: (await brusnika.createAgency(agency, log)).id, created: true };
      } catch (err) {
        // An unreadable answer: the agency it made, if any, is found by INN (it was not there before).
        const unreadable = isUnreadable(err);
        if (!unreadable && refusalCode(err) !== BrusnikaCode.AgencyExists) throw err;
        const [existing] = await brusnika.searchAgencyByInn(agency.inn, log);
        if (!existing) throw err;
        return { agency_id: existing.id, created: unreadable || Context.current().info.attempt > 1 };
      }
    },

    /** The client with this phone (one the agent already fixed first), or null. */
    async findBrusnikaClient(phone: string): Promise<ClientFacts | null> {
      const found = await brusnika.searchClientsByPhone(phone, activityLogger(logger));
      return found.length > 0 ? clientFacts(found[0]!, false) : null;
    },

    /**
     * Creates the client under the agent. "Exists" on a retry means our earlier
     * attempt created it (its answer was lost): it is ours, and is reported as created.
     * An unreadable answer is looked up by phone the same way, so a client it made is
     * never left unreported.
     */
    async createBrusnikaClient(agentId: number, client: ClientDetails): Promise<ClientFacts> {
      const log = activityLogger(logger);
      try {
        return clientFacts(await brusnika.createClient({ ...client, agent_id: agentId }, log), true);
      } catch (err) {
        const unreadable = isUnreadable(err);
        if (!unreadable && refusalCode(err) !== BrusnikaCode.ClientExists) throw err;
        const [existing] = await brusnika.searchClientsByPhone(client.phone_number, log);
        if (!existing) throw err;
        return clientFacts(existing, unreadable || Context.current().info.attempt > 1);
      }
    },

    /**
     * Creates the booking. Brusnika has no idempotency key: when an earlier attempt
     * got no answer (a timeout, a 5xx, an unreadable body) and this one is refused
     * (the premise is booked now), the booking the earlier attempt made is looked up
     * by client and premise and taken as this one's.
     */
    async createBrusnikaBooking(booking: CreateBookingRequest): Promise<CreateOutcome<Booking>> {
      const log = activityLogger(logger);
      try {
        return { outcome: 'created', record: await brusnika.createBooking(booking, log) };
      } catch (err) {
        if (Context.current().info.attempt === 1 || !isRefusal(err)) throw err;
        let ours: Booking[];
        try {
          ours = await activeBookings({ client_id: booking.client_id, premise_id: booking.premise_id, agent_id: booking.agent_id }, log);
        } catch (lookup) {
          if (!(lookup instanceof ListNotServed)) throw lookup;
          const lead = (await brusnika.leadsOf(booking.client_id, booking.premise_id, log)).find((l) => l.current_status === LEAD_BOOKED);
          if (!lead) throw err;
          throw outcomeUnknown(
            `the CRM did not answer the booking request and refused its retry ("${err.message}"), yet lead ${lead.id} of client ${booking.client_id} on premise ${booking.premise_id} is at stage "${LEAD_BOOKED}": the first request most likely booked it`,
          );
        }
        if (ours.length === 0) throw err;
        const found = ours[0]!;
        return {
          outcome: 'created',
          record: found,
          found: `an earlier booking request got no readable answer and its retry was refused ("${err.message}"); the booking it made (${found.id}) was found by client ${booking.client_id} and premise ${booking.premise_id}`,
        };
      }
    },

    /**
     * Releases the booking of the premise for the client, whether or not its create
     * was answered: each active booking found is cancelled; none found is released.
     */
    async releaseBrusnikaBooking(key: BookingKey): Promise<ReleaseOutcome> {
      const log = activityLogger(logger);
      let found: Booking[];
      try {
        found = await activeBookings(key, log);
      } catch (err) {
        if (!(err instanceof ListNotServed)) throw err;
        const lead = (await brusnika.leadsOf(key.client_id, key.premise_id, log)).find((l) => l.current_status === LEAD_BOOKED);
        if (!lead) return released(`no lead of client ${key.client_id} on premise ${key.premise_id} is at stage "${LEAD_BOOKED}": nothing is booked`);
        return releaseUnknown(
          `lead ${lead.id} shows premise ${key.premise_id} booked for client ${key.client_id}, but the CRM does not list bookings, so the booking cannot be found to cancel it: cancel it in the CRM (${everyIdOf(key)}, lead ${lead.id})`,
        );
      }
      if (found.length === 0) return released(`the CRM lists no active booking of premise ${key.premise_id} for client ${key.client_id}`);
      const evidence: string[] = [];
      for (const booking of found) evidence.push(evidenceOf(await brusnika.cancelBooking(booking.id, log)));
      return released(evidence.join('; '));
    },

    async awaitBrusnikaBookingDecision(bookingId: number, polling: Polling): Promise<Booking> {
      return untilDecided((log) => brusnika.booking(bookingId, log), polling);
    },

    async readBrusnikaBooking(bookingId: number): Promise<Booking> {
      return brusnika.booking(bookingId, activityLogger(logger));
    },

    async cancelBrusnikaBooking(bookingId: number): Promise<ReleaseOutcome> {
      return brusnika.cancelBooking(bookingId, activityLogger(logger));
    },

    /** Holds the slot for the agent and client; booking it again for the same pair is allowed by the CRM, so a retry is safe. */
    async bookBrusnikaTimeSlot(slotId: number, holder: { agent_id: number; client_id: number }): Promise<HeldSlot> {
      const slot = await brusnika.bookTimeSlot(slotId, holder, activityLogger(logger));
      return {
        id: slot.id,
        project_id: slot.project_id,
        date: slot.date,
        time: slot.time,
        reserved_until: slot.reserved_until ?? null,
        startsAt: new Date(`${slot.date}T${slot.time}:00${CRM_UTC_OFFSET}`).toISOString(),
      };
    },

    /**
     * Creates the visit on the held slot. When an earlier attempt got no answer and
     * this one is refused as "slot taken", the visit the earlier attempt made is
     * looked up by client, project, date and time and taken as this one's.
     */
    async createBrusnikaVisit(visit: CreateVisitRequest, slotId: number): Promise<CreateOutcome<Visit>> {
      const log = activityLogger(logger);
      try {
        return { outcome: 'created', record: await brusnika.createVisit(visit, log) };
      } catch (err) {
        if (Context.current().info.attempt === 1 || !isRefusal(err) || refusalCode(err) !== BrusnikaCode.TimeSlotTaken) throw err;
        const slot = { id: slotId, project_id: visit.project_id, date: visit.date, time: visit.time };
        let ours: Visit[];
        try {
          ours = await activeVisits({ client_id: visit.client_id, agent_id: visit.agent_id, slot }, log);
        } catch (lookup) {
          if (!(lookup instanceof ListNotServed)) throw lookup;
          throw outcomeUnknown(
            `the CRM did not answer the visit request and refused its retry ("${err.message}"): the first request most likely made the visit on time slot ${slotId}`,
          );
        }
        if (ours.length === 0) throw err;
        const found = ours[0]!;
        return {
          outcome: 'created',
          record: found,
          found: `an earlier visit request got no readable answer and its retry was refused ("${err.message}"); the visit it made (${found.id}) was found by client ${visit.client_id} at ${visit.date} ${visit.time}`,
        };
      }
    },

    /**
     * Releases the visit of the client on the slot, whether or not its create was
     * answered: each active visit found is cancelled (which frees the slot); none found is released.
     */
    async releaseBrusnikaVisit(key: VisitKey): Promise<ReleaseOutcome> {
      const log = activityLogger(logger);
      let found: Visit[];
      try {
        found = await activeVisits(key, log);
      } catch (err) {
        if (!(err instanceof ListNotServed)) throw err;
        if (await brusnika.isSlotFree(key.slot.id, log)) return released(`time slot ${key.slot.id} is free: no visit holds it`);
        return releaseUnknown(
          `the CRM does not list visits, and time slot ${key.slot.id} is not free: a visit may hold it; cancel it in the CRM (${everyIdOf(key)})`,
        );
      }
      if (found.length === 0) return released(`the CRM lists no active visit of client ${key.client_id} on time slot ${key.slot.id}`);
      const evidence: string[] = [];
      for (const visit of found) evidence.push(evidenceOf(await brusnika.cancelVisit(visit.id, log)));
      return released(evidence.join('; '));
    },

    /**
     * A slot booked without a visit: Brusnika has no method to release it and frees it
     * at its `reserved_until`. Released once the CRM lists it free again; until then
     * the call fails retryably (the booking is flagged while it waits).
     */
    async releaseBrusnikaTimeSlot(slotId: number, reservedUntil: string | null): Promise<ReleaseOutcome> {
      if (await brusnika.isSlotFree(slotId, activityLogger(logger))) return released(`time slot ${slotId} is free again`);
      throw ApplicationFailure.retryable(
        `time slot ${slotId} is still held; Brusnika has no method to release it and frees it at its reserved_until (${reservedUntil ?? 'not given'})`,
        FailureType.ProviderUnavailable,
      );
    },

    async awaitBrusnikaVisitDecision(visitId: number, polling: Polling): Promise<Visit> {
      return untilDecided((log) => brusnika.visit(visitId, log), polling);
    },

    async readBrusnikaVisit(visitId: number): Promise<Visit> {
      return brusnika.visit(visitId, activityLogger(logger));
    },

    async cancelBrusnikaVisit(visitId: number): Promise<ReleaseOutcome> {
      return brusnika.cancelVisit(visitId, activityLogger(logger));
    },
  };
}

export type BrusnikaActivities = ReturnType<typeof createBrusnikaActivities>;
