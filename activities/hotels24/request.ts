/**
 * What an app asks of a hotels24 booking, and what people answer at its stops:
 * the seed's booking fields, checked strictly (the API answers 400 naming every
 * field; the workflow checks answers again, for signals sent from the Temporal
 * UI or CLI). Field names follow the seed.
 */
import { z } from 'zod';

function isCalendarDate(value: string): boolean {
  const at = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
}
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is yyyy-mm-dd').refine(isCalendarDate, 'not a date in the calendar');

export const Requisites = z.strictObject({
  first_name: z.string().trim().min(1, 'first_name is required'),
  last_name: z.string().trim().min(1, 'last_name is required'),
  email: z.email('email must be an email address'),
  phone: z.string().regex(/^\+?[\d\s()-]{7,20}$/, 'phone is 7 to 20 digits, with an optional +, spaces, () and -'),
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
      // The seed: "1-9 - days, 10-100 - percent".
      .refine((r) => (r.unit === 'day' ? r.amount >= 1 && r.amount <= 9 : r.amount >= 10 && r.amount <= 100), {
        path: ['amount'],
        message: 'amount is 1 to 9 days or 10 to 100 percent',
      })
      .optional(),
    total_cost: z.number().int().min(0),
    quantity: z.number().int().min(1),
    living: z.array(Living).optional(),
  })
  .refine((b) => (b.living?.length ?? 0) <= b.quantity, { path: ['living'], message: 'at most one living person per room' });

const bookingFields = {
  arrival_date: IsoDate,
  departure_date: IsoDate,
  blocks: z.array(Block).min(1, 'at least one block'),
  requisites: Requisites.optional(),
};
const departureAfterArrival = (b: { arrival_date?: string; departure_date?: string }, ctx: z.RefinementCtx): void => {
  if (b.arrival_date && b.departure_date && b.departure_date <= b.arrival_date) {
    ctx.addIssue({ code: 'custom', path: ['departure_date'], message: 'departure_date must be after arrival_date' });
  }
};
export const BookingFields = z.strictObject(bookingFields).superRefine(departureAfterArrival);

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
  note: z.string().max(500).optional(),
});
export type AcceptAnswer = z.input<typeof AcceptAnswer>;

export const RejectAnswer = z.strictObject({ reason: z.string().max(500).optional() });
export type RejectAnswer = z.input<typeof RejectAnswer>;

/** A zod error as one line naming every field. */
export const problemsOf = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
