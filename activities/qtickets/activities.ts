/** qtickets activities: check seats, add a ticket (never twice), pay, extend and remove tickets. */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { activityLogger } from '../logging';
import type { QticketsClient, RemoveOutcome } from './client';
import { type SeatState, type ShowRef, type TicketAnswer, type TicketRef, type TicketResult, seedDate } from './contract';

/** Tickets wanted on one seat: 1 for a numbered seat, any number for an admission seat. */
export interface WantedSeat {
  seat_id: string;
  quantity: number;
}

/** A seat as qtickets offers it, for the booking's result. */
export interface SeatOffer {
  seat_id: string;
  zone_id: number;
  zone: string;
  admission: boolean;
  row: number | null;
  place: number | null;
  price: number;
  currency_id: string;
}

export interface SeatProblem {
  seat_id: string;
  /** Said as qtickets says it (`Seat "6-1;52" is not available`). */
  message: string;
}

export interface SeatCheck {
  show_id: number;
  event_name: string;
  start_date: string;
  /** The show's hash when checked: an add that answers another one means the show changed. */
  lastUpdateHash: string;
  offers: SeatOffer[];
  /** Every wanted seat that cannot be had, each with the reason. */
  unavailable: SeatProblem[];
}

export interface TicketToAdd {
  show: ShowRef;
  seat_id: string;
  /** Deterministic, from the bookingId: the key that finds the ticket again. */
  external_id: string;
  paid: 0 | 1;
  /** ISO time the hold ends; absent when paid. */
  reserved_to?: string;
}

export interface AddedTicket {
  ticket: TicketResult;
  lastUpdateHash: string;
  /** The ticket was made by an earlier attempt whose answer was lost. */
  foundExisting: boolean;
}

export interface QticketsDeps {
  qtickets: QticketsClient;
  logger: Logger;
}

export function createQticketsActivities({ qtickets, logger }: QticketsDeps) {
  return {
    /** Reads the show's seats and names every wanted seat that cannot be had, and why. */
    async checkQticketsSeats(show: ShowRef, wanted: WantedSeat[]): Promise<SeatCheck> {
      const answer = await qtickets.showSeats(show, activityLogger(logger));
      const onSale = new Map<string, { seat: SeatState; zone_id: number; zone: string }>();
      for (const zone of answer.zones) {
        for (const seat of zone.seats) onSale.set(seat.seat_id, { seat, zone_id: zone.zone_id, zone: zone.name });
      }
      const offers: SeatOffer[] = [];
      const unavailable: SeatProblem[] = [];
      for (const { seat_id, quantity } of wanted) {
        const found = onSale.get(seat_id);
        if (!found) {
          unavailable.push({ seat_id, message: `Seat "${seat_id}" is not on sale for this show` });
          continue;
        }
        const { seat } = found;
        const problem = seat.admission ? admissionProblem(seat, quantity) : numberedProblem(seat, quantity);
        if (problem) unavailable.push({ seat_id, message: problem });
        offers.push({
          seat_id,
          zone_id: found.zone_id,
          zone: found.zone,
          admission: seat.admission === true,
          row: seat.row ?? null,
          place: seat.place ?? null,
          price: seat.price,
          currency_id: seat.currency_id,
        });
      }
      return {
        show_id: answer.show_id,
        event_name: answer.event_name,
        start_date: answer.start_date,
        lastUpdateHash: answer.last_update_hash,
        offers,
        unavailable,
      };
    },

    /**
     * Adds one ticket. A retry must never make a second one: when an earlier
     * attempt may have reached qtickets (its answer lost to a timeout or a
     * crash), the ticket is looked up by its external_id before adding again.
     */
    async addQticketsTicket(add: TicketToAdd): Promise<AddedTicket> {
      const log = activityLogger(logger);
      const reserved_to = add.reserved_to === undefined ? undefined : seedDate(add.reserved_to);
      if (Context.current().info.attempt > 1) {
        const found = await qtickets.findTicket(add.show, { external_id: add.external_id, paid: add.paid, reserved_to }, log);
        if (found) {
          log.info({ ticketId: found.result.id }, 'an earlier attempt had made the ticket');
          return added(found, true);
        }
      }
      const answer = await qtickets.addTicket(add.show, { seat_id: add.seat_id, paid: add.paid, reserved_to, external_id: add.external_id }, log);
      return added(answer, false);
    },

    /** `paid: 1`: qtickets issues the barcode. Paying a paid ticket changes nothing. */
    async payQticketsTicket(show: ShowRef, id: string): Promise<TicketResult> {
      return (await qtickets.updateTicket(show, { id, paid: 1 }, activityLogger(logger))).result;
    },

    /** Moves the ticket's `reserved_to`. */
    async extendQticketsTicket(show: ShowRef, id: string, reservedTo: string): Promise<TicketResult> {
      return (await qtickets.updateTicket(show, { id, paid: 0, reserved_to: seedDate(reservedTo) }, activityLogger(logger))).result;
    },

    /** Releases a ticket; one removed or expired already counts as released. */
    async removeQticketsTicket(show: ShowRef, ticket: TicketRef): Promise<RemoveOutcome> {
      return qtickets.removeTicket(show, ticket, activityLogger(logger));
    },
  };
}

export type QticketsActivities = ReturnType<typeof createQticketsActivities>;

const added = (answer: TicketAnswer, foundExisting: boolean): AddedTicket => ({
  ticket: answer.result,
  lastUpdateHash: answer.last_update_hash,
  foundExisting,
});

function numberedProblem(seat: SeatState, quantity: number): string | undefined {
  if (quantity > 1) return `Seat "${seat.seat_id}" is a numbered seat: one ticket only, ${quantity} requested`;
  return seat.available ? undefined : `Seat "${seat.seat_id}" is not available`;
}

function admissionProblem(seat: SeatState, quantity: number): string | undefined {
  const left = seat.available ? (seat.free_quantity ?? quantity) : 0;
  return left >= quantity ? undefined : `Seat "${seat.seat_id}" is not available: ${quantity} requested, ${left} left`;
}
