/**
 * The oks layout booking API (../shared/seeds/oks-layout-booking.md), as zod
 * schemas of its wire format. Field names keep the provider's spelling.
 *
 * Where the seed is silent, the project assumes (and the simulator follows):
 * - the service is FastAPI-like: a missing or wrong token answers 401
 *   `{"detail": "..."}`, invalid fields answer 422 `{"detail": [{loc, msg, type}]}`;
 * - a failed unbook answers HTTP 400 with the seed's `{detail, api_error}` body;
 *   "Сделка не в брони" (the deal is not booked) means it is already released;
 * - a booked unit is released by the provider itself after `reserveDays` days.
 */
import { z } from 'zod';

/** Seed: "на данный момент поддерживается только значение 1". */
export const SUPPORTED_RESERVE_DAYS = 1;

export const BookLayoutRequest = z.object({
  layoutUuid: z.uuid({ error: 'layoutUuid must be a UUID' }),
  phone: z.string().min(1, 'phone is required').max(16, 'phone is at most 16 characters'),
  firstName: z.string().min(1, 'firstName is 1 to 76 characters').max(76, 'firstName is 1 to 76 characters'),
  lastName: z.string().min(1, 'lastName is 1 to 76 characters').max(76, 'lastName is 1 to 76 characters'),
  middleName: z.string().optional(),
  reserveDays: z
    .number()
    .int()
    .refine((days) => days === SUPPORTED_RESERVE_DAYS, `only ${SUPPORTED_RESERVE_DAYS} is supported for now`)
    .default(SUPPORTED_RESERVE_DAYS),
});
export type BookLayoutRequest = z.infer<typeof BookLayoutRequest>;

export const TaskAccepted = z.object({
  taskId: z.string().min(1),
  status: z.literal('pending'),
  createdAt: z.string(),
});
export type TaskAccepted = z.infer<typeof TaskAccepted>;

export const LayoutDeal = z.object({
  contact_id: z.number().int(),
  shows_id: z.number().int(),
  contact_created: z.boolean(),
});
export type LayoutDeal = z.infer<typeof LayoutDeal>;

export const OksFailure = z.object({
  detail: z.string(),
  api_error: z.string(),
});
export type OksFailure = z.infer<typeof OksFailure>;

export const TaskStatusResponse = z.discriminatedUnion('status', [
  z.object({ taskId: z.string(), status: z.literal('pending'), createdAt: z.string(), result: z.null().optional() }),
  z.object({ taskId: z.string(), status: z.literal('processing'), createdAt: z.string(), result: z.null().optional() }),
  z.object({ taskId: z.string(), status: z.literal('completed'), createdAt: z.string(), result: LayoutDeal }),
  z.object({ taskId: z.string(), status: z.literal('failed'), createdAt: z.string(), result: OksFailure }),
]);
export type TaskStatusResponse = z.infer<typeof TaskStatusResponse>;
export type FinishedTask = Extract<TaskStatusResponse, { status: 'completed' | 'failed' }>;

export const UnbookRequest = z.object({
  contact_id: z.number().int(),
  shows_id: z.number().int(),
});
export type UnbookRequest = z.infer<typeof UnbookRequest>;

/** The seed's answer when a deal can no longer be released. */
export const DEAL_NOT_BOOKED = 'Сделка не в брони';
export const UNBOOK_FAILED_DETAIL = 'Failed to remove reservation';

/** oks's error answers: `{detail, api_error}`, or FastAPI's `{detail}` (string or field list). */
export function readOksRefusal(_status: number, body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return typeof body === 'string' && body ? body : undefined;
  const { detail, api_error: apiError } = body as { detail?: unknown; api_error?: unknown };
  if (typeof apiError === 'string') return apiError;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: { loc?: unknown[]; msg?: unknown }) => `${Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body').join('.') : '?'}: ${String(d.msg)}`)
      .join('; ');
  }
  return undefined;
}
