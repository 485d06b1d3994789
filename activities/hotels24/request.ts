/**
 * What an app asks of a hotels24 booking, and what people answer at its stops:
 * the seed's booking fields, checked strictly (the API answers 400 naming every
 * field; the workflow checks answers again, for signals sent from the Temporal
 * UI or CLI). Field names follow the seed.
 */
import { z } from 'zod';
import { DATE_SHAPE, MESSAGES, NOTE_MAX, PHONE, isCalendarDate, recoveryAmountFits } from './checks';

const IsoDate = z.string().regex(DATE_SHAPE, MESSAGES.dateShape).refine(isCalendarDate, MESSAGES.notInCalendar);

export const Requisites = z.strictObject({
  first_name: z.string().trim().min(1, 'first_name is required'),
  last_name: z.string().trim().min(1, 'last_name is required'),
  email: z.email(MESSAGES.email),
  phone: z.string().regex(PHONE, MESSAGES.phone),
});
export type Requisites = z.infer<typeof Requisites>;

const Living = z.strictObject({
  first_name: z.string().trim().min(1, 'first_name is required'),
  last_name: z.string().trim().min(1).optional(),
});

const Block = z
  .strictObject({
    tariff: z.string().trim().min(1, 'tariff is required'),
    /** Optional conditions: given, they are checked against the hotel's; differing, the booking stops for an approver. */
    conditions: z
      .strictObject({
        cancellation: z.union([z.literal(false), z.number().int().min(0)]).optional(),
        booking_method: z.number().int().optional(),
      })
      .optional(),
    recovery: z
      .strictObject({ unit: z.enum(['percent', 'day']), amount: z.number().int(), sum: z.number().int().min(0) })
      .refine(recoveryAmountFits, { path: ['amount'], message: MESSAGES.recoveryAmount })
      .optional(),
    total_cost: z.number().int().min(0),
    quantity: z.number().int().min(1),
    living: z.array(Living).optional(),
  })
  .refine((b) => (b.living?.length ?? 0) <= b.quantity, { path: ['living'], message: MESSAGES.livingPerRoom });

const bookingFields = {
  arrival_date: IsoDate,
  departure_date: IsoDate,
  blocks: z.array(Block).min(1, MESSAGES.oneBlock),
  requisites: Requisites.optional(),
};
const departureAfterArrival = (b: { arrival_date?: string; departure_date?: string }, ctx: z.RefinementCtx): void => {
  if (b.arrival_date && b.departure_date && b.departure_date <= b.arrival_date) {
    ctx.addIssue({ code: 'custom', path: ['departure_date'], message: MESSAGES.departureAfterArrival });
  }
};
export const BookingFields = z.strictObject(bookingFields).superRefine(departureAfterArrival);
export type BookingFields = z.infer<typeof BookingFields>;

/** POST /api/v1/bookings `request` for hotels24: the seed's booking fields, and whether to skip the final confirmation. */
export const Hotels24BookingRequest = z
  .strictObject({
    ...bookingFields,
    /** Book as soon as hotels24 accepts the requisites, without the approver's final confirmation. */
    autoConfirm: z.boolean().default(false),
  })
  .superRefine(departureAfterArrival);
export type Hotels24BookingRequest = z.infer<typeof Hotels24BookingRequest>;

/** `accept`, optionally with corrected data: whole fields replacing the ones sent before. */
export const AcceptAnswer = z.strictObject({
  arrival_date: IsoDate.optional(),
  departure_date: IsoDate.optional(),
  blocks: bookingFields.blocks.optional(),
  requisites: Requisites.optional(),
  note: z.string().max(NOTE_MAX).optional(),
});
export type AcceptAnswer = z.input<typeof AcceptAnswer>;

export const RejectAnswer = z.strictObject({ reason: z.string().max(NOTE_MAX).optional() });
export type RejectAnswer = z.input<typeof RejectAnswer>;
