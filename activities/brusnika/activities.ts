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
import { type BrusnikaClient, type ReleaseOutcome, refusalCode } from './client';
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
  agent_id: number;
  fixing_type: Client['fixing_type'];
  /** Whether this booking created it. */
  created: boolean;
}

export interface AgencyFacts {
  agency_id: number;
  created: boolean;
}

/** A premise as the workflow keeps it; `price` is the exact integer as a string. */
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

/**
 * A create whose first answer was lost, and whose retry the CRM refused: the first
 * may well have created the record, but Brusnika has no list to find it by.
 */
export interface Unconfirmed {
  outcome: 'unconfirmed';
  /** The CRM's refusal of the retry, verbatim. */
  refusal: string;
  /** Why the first attempt probably went through. */
  evidence: string;
}
export type CreateOutcome<T> = { outcome: 'created'; record: T } | Unconfirmed;

export interface Polling {
  initialMs: number;
  maxMs: number;
}

export interface BrusnikaDeps {
  brusnika: BrusnikaClient;
  logger: Logger;
}

const isRefusal = (err: unknown): err is ApplicationFailure => err instanceof ApplicationFailure && err.type === FailureType.ProviderRefused;

const clientFacts = (client: Client, created: boolean): ClientFacts => ({
  client_id: client.id,
  agent_id: client.agent_id,
  fixing_type: client.fixing_type,
  created,
});

export function createBrusnikaActivities({ brusnika, logger }: BrusnikaDeps) {
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
        if (refusalCode(err) !== BrusnikaCode.AgencyExists) throw err;
        const [existing] = await brusnika.searchAgencyByInn(agency.inn, log);
        if (!existing) throw err;
        return { agency_id: existing.id, created: Context.current().info.attempt > 1 };
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
     */
    async createBrusnikaClient(agentId: number, client: ClientDetails): Promise<ClientFacts> {
      const log = activityLogger(logger);
      try {
        return clientFacts(await brusnika.createClient({ ...client, agent_id: agentId }, log), true);
      } catch (err) {
        if (refusalCode(err) !== BrusnikaCode.ClientExists) throw err;
        const [existing] = await brusnika.searchClientsByPhone(client.phone_number, log);
        if (!existing) throw err;
        return clientFacts(existing, Context.current().info.attempt > 1);
      }
    },

    /**
     * Creates the booking. Brusnika has no idempotency key and no list of bookings:
     * when an earlier attempt got no answer and this one is refused, the client's
     * lead on the premise tells whether the earlier one booked it ("бронь").
     */
    async createBrusnikaBooking(booking: CreateBookingRequest): Promise<CreateOutcome<Booking>> {
      const log = activityLogger(logger);
      try {
        return { outcome: 'created', record: await brusnika.createBooking(booking, log) };
      } catch (err) {
        if (Context.current().info.attempt === 1 || !isRefusal(err)) throw err;
        const leads = await brusnika.leads({ client_id: booking.client_id, premise_id: booking.premise_id }, log);
        const lead = leads.data.find((l) => l.current_status === LEAD_BOOKED && l.agent_id === booking.agent_id);
        if (!lead) throw err;
        return {
          outcome: 'unconfirmed',
          refusal: err.message,
          evidence: `lead ${lead.id} of client ${booking.client_id} on premise ${booking.premise_id} is at stage "${LEAD_BOOKED}"`,
        };
      }
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
        reserved_until: slot.reserved_until,
        startsAt: new Date(`${slot.date}T${slot.time}:00${CRM_UTC_OFFSET}`).toISOString(),
      };
    },

    /** Creates the visit on the held slot; a retry refused as "slot taken" means the earlier attempt took it. */
    async createBrusnikaVisit(visit: CreateVisitRequest, slotId: number): Promise<CreateOutcome<Visit>> {
      try {
        return { outcome: 'created', record: await brusnika.createVisit(visit, activityLogger(logger)) };
      } catch (err) {
        if (Context.current().info.attempt === 1 || !isRefusal(err) || refusalCode(err) !== BrusnikaCode.TimeSlotTaken) throw err;
        return {
          outcome: 'unconfirmed',
          refusal: err.message,
          evidence: `time slot ${slotId}, held for this client, is no longer free for a visit`,
        };
      }
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
