/** qtickets activities: check seats, add a ticket (never twice), pay, extend and remove tickets. */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { activityLogger } from '../logging';
import type { ReleaseOutcome } from '../../common/release';
import type { QticketsClient } from './client';
import { type SeatState, type ShowRef, type TicketAnswer, type TicketRef, type TicketResult, num, paidFlag, seedDate, text } from './contract';

/** Tickets wanted on one seat: 1 for a numbered seat, any number for an admission seat. */
export interface WantedSeat {
  seat_id: string;
  quantity: number;
}

/** A seat as qtickets offers it, for the booking's result; what qtickets left out is null. */
export interface SeatOffer {
  seat_id: string;
  zone_id: number | null;
  zone: string | null;
  admission: boolean;
  row: number | string | null;
  place: number | string | null;
  price: number | null;
  currency_id: string | null;
}

interface SeatProblem {
  seat_id: string;
  /** Said as qtickets says it (`Seat "6-1;52" is not available`). */
  message: string;
}

export interface SeatCheck {
  show_id: number | null;
  event_name: string | null;
  start_date: string | null;
  /** The show's hash when checked: an add that answers another one means the show changed. */
  lastUpdateHash: string | null;
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

/** A ticket as the booking shows it; what qtickets left out is null. */
export interface TicketState {
  id: string;
  paid: 0 | 1 | null;
  reserved_to: string | null;
  external_id: string | null;
  barcode: string | null;
}

export interface AddedTicket {
  ticket: TicketState;
  lastUpdateHash: string | null;
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
      const onSale = new Map<string, { seat: SeatState; zone_id: number | null; zone: string | null }>();
      for (const zone of answer.zones) {
        for (const seat of zone.seats) onSale.set(seat.seat_id, { seat, zone_id: num(zone.zone_id), zone: text(zone.name) });
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
        const admission = isAdmission(seat);
        const problem = admission ? admissionProblem(seat, quantity) : numberedProblem(seat, quantity);
        if (problem) unavailable.push({ seat_id, message: problem });
        offers.push({
          seat_id,
          zone_id: found.zone_id,
          zone: found.zone,
          admission,
          row: shown(seat.row),
          place: shown(seat.place),
          price: num(seat.price),
          currency_id: text(seat.currency_id),
        });
      }
      return {
        show_id: num(answer.show_id),
        event_name: text(answer.event_name),
        start_date: text(answer.start_date),
        lastUpdateHash: text(answer.last_update_hash),
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
          return added(found, true, add, reserved_to);
        }
      }
      const answer = await qtickets.addTicket(add.show, { seat_id: add.seat_id, paid: add.paid, reserved_to, external_id: add.external_id }, log);
      return added(answer, false, add, reserved_to);
    },

    /** `paid: 1`: qtickets issues the barcode. Paying a paid ticket changes nothing. A success without `paid` is a paid ticket. */
    async payQticketsTicket(show: ShowRef, id: string): Promise<TicketState> {
      const ticket = ticketState((await qtickets.updateTicket(show, { id, paid: 1 }, activityLogger(logger))).result);
      return { ...ticket, paid: ticket.paid ?? 1 };
    },

    /** Moves the ticket's `reserved_to`; a success without it holds the ticket until the time sent. */
    async extendQticketsTicket(show: ShowRef, id: string, reservedTo: string): Promise<TicketState> {
      const reserved_to = seedDate(reservedTo);
      const ticket = ticketState((await qtickets.updateTicket(show, { id, paid: 0, reserved_to }, activityLogger(logger))).result);
      return { ...ticket, reserved_to: ticket.reserved_to ?? reserved_to };
    },

    /**
     * Releases a ticket by its id, or by its external_id when its add never
     * answered readably: on qtickets' documented success, or its TICKET_NOT_FOUND
     * (removed, expired, or never made); anything else is asked again.
     */
    async removeQticketsTicket(show: ShowRef, ticket: TicketRef): Promise<ReleaseOutcome> {
      return qtickets.removeTicket(show, ticket, activityLogger(logger));
    },
  };
}

export type QticketsActivities = ReturnType<typeof createQticketsActivities>;

const ticketState = (t: TicketResult): TicketState => ({
  id: t.id,
  paid: paidFlag(t.paid),
  reserved_to: text(t.reserved_to),
  external_id: text(t.external_id),
  barcode: text(t.barcode),
});

/** The ticket qtickets answered; what its answer leaves out is what qtickets accepted from the request. */
function added(answer: TicketAnswer, foundExisting: boolean, sent: TicketToAdd, reservedTo: string | undefined): AddedTicket {
  const ticket = ticketState(answer.result);
  return {
    ticket: { ...ticket, paid: ticket.paid ?? sent.paid, reserved_to: ticket.reserved_to ?? reservedTo ?? null, external_id: ticket.external_id ?? sent.external_id },
    lastUpdateHash: text(answer.last_update_hash),
    foundExisting,
  };
}

/** A row or place as sent (a number, or a label such as "12A"), or null. */
const shown = (value: unknown): number | string | null => (typeof value === 'number' || typeof value === 'string' ? value : null);

const isAdmission = (seat: SeatState): boolean => paidFlag(seat.admission) === 1;

function numberedProblem(seat: SeatState, quantity: number): string | undefined {
  if (quantity > 1) return `Seat "${seat.seat_id}" is a numbered seat: one ticket only, ${quantity} requested`;
  return seat.available ? undefined : `Seat "${seat.seat_id}" is not available`;
}

function admissionProblem(seat: SeatState, quantity: number): string | undefined {
  // Without `free_quantity`, an available admission seat is taken to have enough left: qtickets refuses the add otherwise.
  const left = seat.available ? (num(seat.free_quantity) ?? quantity) : 0;
  return left >= quantity ? undefined : `Seat "${seat.seat_id}" is not available: ${quantity} requested, ${left} left`;
}
