/**
 * The oks layout booking API, as zod schemas of its wire format. Field names
 * keep the provider's spelling. Answers are read tolerantly: only what the
 * document promises and a step uses is required, everything else is kept.
 *
 * Where the seed is silent, the project assumes (and the simulator follows):
 * - the service is FastAPI-like: a missing or wrong token answers 401
 *   `{"detail": "..."}`, invalid fields answer 422 `{"detail": [{loc, msg, type}]}`;
 * - a failed unbook answers HTTP 400 with the seed's `{detail, api_error}` body;
 *   "Сделка не в брони" (the deal is not booked) means it is already released;
 * - a booked unit is released by the provider itself after `reserveDays` days;
 * - a successful unbook answers 200 with an empty body (the document: "undefined
 *   or empty"); any other 200 body proves nothing, so the unbook is asked again
 *   until oks answers empty or "Сделка не в брони";
 * - a task status other than the four documented ones means oks is still at work.
 */
import { z } from 'zod';

/** Seed: "на данный момент поддерживается только значение 1". */
const SUPPORTED_RESERVE_DAYS = 1;

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

/** The book answer: only `taskId` is needed to follow the task. */
export const TaskAccepted = z.looseObject({
  taskId: z.string().min(1),
  status: z.string().optional(),
  createdAt: z.string().optional(),
});
export type TaskAccepted = z.infer<typeof TaskAccepted>;

/** A booked deal: its two ids are what unbook needs; `contact_created` and the rest are kept for the view. */
export const LayoutDeal = z.looseObject({
  contact_id: z.number().int(),
  shows_id: z.number().int(),
  contact_created: z.boolean().optional(),
});
export type LayoutDeal = z.infer<typeof LayoutDeal>;

/** Why a task failed; the document shows both fields, neither is needed to end the booking. */
const OksFailure = z.looseObject({
  detail: z.string().optional(),
  api_error: z.string().optional(),
});
type OksFailure = z.infer<typeof OksFailure>;

const finished = {
  completed: z.looseObject({ taskId: z.string().optional(), status: z.literal('completed'), createdAt: z.string().optional(), result: LayoutDeal }),
  failed: z.looseObject({ taskId: z.string().optional(), status: z.literal('failed'), createdAt: z.string().optional(), result: OksFailure.nullish().transform((r) => r ?? {}) }),
};
/** Any other status (the documented `pending`, `processing`, or one oks added since) means the task is still running. */
const running = z.looseObject({ taskId: z.string().optional(), status: z.string(), createdAt: z.string().optional() });

export const TaskStatusResponse = z.union([finished.completed, finished.failed, running]);
export type FinishedTask = z.infer<typeof finished.completed> | z.infer<typeof finished.failed>;
export type TaskStatusResponse = z.infer<typeof TaskStatusResponse>;
export const isFinished = (task: TaskStatusResponse): task is FinishedTask => task.status === 'completed' || task.status === 'failed';

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
