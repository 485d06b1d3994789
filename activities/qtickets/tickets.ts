/**
 * The tickets of a qtickets booking, as the workflow plans and shows them. Pure
 * (no I/O): the workflow imports it, and so can anyone reading a booking's result.
 */
import type { SeatCheck, SeatOffer, TicketState, WantedSeat } from './activities';
import type { SeatBookingRequest } from './request';

/** One ticket the booking adds, in order; its external_id is the bookingId and its position. */
export interface PlannedTicket {
  position: number;
  seat_id: string;
  external_id: string;
}

/** Numbered seats first, then each admission seat as many times as its quantity. */
export function planTickets(bookingId: string, request: SeatBookingRequest): PlannedTicket[] {
  const seats = [
    ...(request.seats ?? []),
    ...(request.admission ?? []).flatMap((a) => Array.from({ length: a.quantity }, () => a.seat_id)),
  ];
  return seats.map((seat_id, i) => ({ position: i + 1, seat_id, external_id: `${bookingId}-${i + 1}` }));
}

/** Tickets per seat, as the seat check counts them. */
export function wantedFor(planned: readonly PlannedTicket[]): WantedSeat[] {
  const counts = new Map<string, number>();
  for (const { seat_id } of planned) counts.set(seat_id, (counts.get(seat_id) ?? 0) + 1);
  return [...counts].map(([seat_id, quantity]) => ({ seat_id, quantity }));
}

/** A ticket qtickets holds for the booking. */
export type HeldTicket = PlannedTicket & Omit<TicketState, 'external_id'>;

/** What the booking has learnt of its show and seats, kept for its result. */
export class SeatsSeen {
  private show: Pick<SeatCheck, 'show_id' | 'event_name' | 'start_date'> | undefined;
  private readonly offers = new Map<string, SeatOffer>();

  remember(check: SeatCheck): void {
    this.show = { show_id: check.show_id ?? this.show?.show_id ?? null, event_name: check.event_name ?? this.show?.event_name ?? null, start_date: check.start_date ?? this.show?.start_date ?? null };
    for (const offer of check.offers) this.offers.set(offer.seat_id, offer);
  }

  /** The booking's result: the show, every ticket with its seat and price, and the total per currency. */
  result(request: Pick<SeatBookingRequest, 'event_id' | 'show_id'>, tickets: readonly HeldTicket[], reservedTo: string | null): Record<string, unknown> {
    const total: Record<string, number> = {};
    const seats = tickets.map((t) => {
      const offer = this.offers.get(t.seat_id);
      if (offer?.price != null && offer.currency_id != null) total[offer.currency_id] = (total[offer.currency_id] ?? 0) + offer.price;
      return {
        id: t.id,
        external_id: t.external_id,
        seat_id: t.seat_id,
        zone: offer?.zone ?? null,
        row: offer?.row ?? null,
        place: offer?.place ?? null,
        price: offer?.price ?? null,
        currency_id: offer?.currency_id ?? null,
        paid: t.paid,
        reserved_to: t.reserved_to,
        barcode: t.barcode,
      };
    });
    return {
      event_id: request.event_id,
      show_id: this.show?.show_id ?? request.show_id ?? null,
      event_name: this.show?.event_name ?? null,
      start_date: this.show?.start_date ?? null,
      reserved_to: reservedTo,
      tickets: seats,
      total,
    };
  }
}
