/**
 * What an app asks of a qtickets booking: seats of one show (numbered seats by
 * their `seat_id`, and/or admission seats with a quantity), how long to hold
 * them, and whether they are paid already. Field names follow the seed.
 */
import { z } from 'zod';

/** More tickets than this in one booking is a mistake, not a booking. */
const MAX_TICKETS = 50;

const AdmissionTickets = z
  .object({
    seat_id: z.string().min(1, 'seat_id of an admission seat is required (e.g. "3-1;1")'),
    quantity: z.number().int().min(1, 'quantity is at least 1').max(MAX_TICKETS, `quantity is at most ${MAX_TICKETS}`),
  })
  .strict();

export const SeatBookingRequest = z
  .object({
    event_id: z.number({ error: 'event_id is required: the qtickets event id (a number)' }).int().positive(),
    /** Required by qtickets when the event has more than one show. */
    show_id: z.number().int().positive().optional(),
    /** Numbered seats, one ticket each. */
    seats: z.array(z.string().min(1, 'a seat_id is not empty')).default([]),
    /** Admission seats (`admission: true` in the seats answer), several tickets each. */
    admission: z.array(AdmissionTickets).default([]),
    /** How long the seats are held before payment; the configured default when absent. */
    holdMinutes: z.number().int().min(1, 'holdMinutes is at least 1').optional(),
    /** Paid already: the tickets are added paid (with barcodes) and the booking completes at once. */
    paid: z.boolean().default(false),
  })
  .strict()
  .superRefine((request, ctx) => {
    const count = request.seats.length + request.admission.reduce((sum, a) => sum + a.quantity, 0);
    if (count === 0) ctx.addIssue({ code: 'custom', path: ['seats'], message: 'name at least one seat in seats or admission' });
    if (count > MAX_TICKETS) ctx.addIssue({ code: 'custom', path: ['seats'], message: `at most ${MAX_TICKETS} tickets in one booking` });
    const seen = new Set<string>();
    for (const [path, seatId] of [
      ...request.seats.map((s, i): [(string | number)[], string] => [['seats', i], s]),
      ...request.admission.map((a, i): [(string | number)[], string] => [['admission', i, 'seat_id'], a.seat_id]),
    ]) {
      if (seen.has(seatId)) ctx.addIssue({ code: 'custom', path, message: `seat "${seatId}" is named twice` });
      seen.add(seatId);
    }
  });

/** As the workflow receives it: parsed by the API, or written by hand for `temporal workflow start`. */
export type SeatBookingRequest = z.input<typeof SeatBookingRequest>;
