/** The sample people and requests the test files book with: one place to read them, none of them real. */
import { randomUUID } from 'node:crypto';

/** The chrono user every test books for (what must never reach logs, search attributes or memo). */
export const CHRONO_PERSON = {
  user_first_name: 'Camille',
  user_last_name: 'Martin',
  user_email: 'camille.martin@example.fr',
  user_phone_number: '+33612345678',
};

/** A chrono booking of one place on `slot`, for a user of its own. */
export function chronoRequest(event: { agenda: string; slot: string }, extra: Record<string, unknown> = {}) {
  return { ...event, user_external_id: `usager-${randomUUID()}`, ...CHRONO_PERSON, count: 1, timezone: 'UTC', ...extra };
}
