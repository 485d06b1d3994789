/**
 * hotels24's answers checked without zod, for the workflow: an answer sent as
 * a signal from the Temporal UI or CLI (or an update from a client other than
 * the API) is checked there again. zod stays out of the workflow bundle, which
 * the worker evaluates for every booking it starts or replays (zod made it 3x
 * larger and cost a fifth of the workflow thread). The rules are request.ts's:
 * the predicates below are shared with its zod schemas, and
 * test/hotels24-checks.test.ts holds the two to the same verdicts.
 */
import type { AcceptAnswer, BookingFields, RejectAnswer, Requisites } from './request';

export function isCalendarDate(value: string): boolean {
  const at = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
}
export const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
export const PHONE = /^\+?[\d\s()-]{7,20}$/;
/** zod's `z.email()` pattern (request.ts uses z.email, whose format the OpenAPI document names; the test holds them equal). */
export const EMAIL = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
export const NOTE_MAX = 500;

export const MESSAGES = {
  dateShape: 'a date is yyyy-mm-dd',
  notInCalendar: 'not a date in the calendar',
  email: 'email must be an email address',
  phone: 'phone is 7 to 20 digits, with an optional +, spaces, () and -',
  recoveryAmount: 'amount is 1 to 9 days or 10 to 100 percent',
  livingPerRoom: 'at most one living person per room',
  departureAfterArrival: 'departure_date must be after arrival_date',
  oneBlock: 'at least one block',
} as const;

/** The seed: "1-9 - days, 10-100 - percent". */
export const recoveryAmountFits = (r: { unit: string; amount: number }): boolean => (r.unit === 'day' ? r.amount >= 1 && r.amount <= 9 : r.amount >= 10 && r.amount <= 100);

/** An answer's verdict: its value as hotels24 takes it (strings trimmed), or every problem as `field: message`. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string };

type Path = readonly (string | number)[];
type Fields = Record<string, unknown>;

/** Walks one value, collecting problems field by field. */
class Checker {
  readonly problems: string[] = [];

  fail(path: Path, message: string): undefined {
    this.problems.push(`${path.join('.') || '(body)'}: ${message}`);
    return undefined;
  }

  /** A plain object with no keys but `keys`; the present ones handed to `read`, whose result keeps only defined fields. */
  object<T>(value: unknown, path: Path, keys: readonly string[], read: (fields: Fields) => T): T | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, 'expected an object');
    const unknown = Object.keys(value).filter((key) => !keys.includes(key));
    if (unknown.length > 0) this.fail(path, `unrecognized keys: ${unknown.join(', ')}`);
    const fields = read(value as Fields);
    return Object.fromEntries(Object.entries(fields as Fields).filter(([, field]) => field !== undefined)) as T;
  }

  text(value: unknown, path: Path, rules: { trim?: boolean; required?: string; max?: number; pattern?: readonly [RegExp, string] } = {}): string | undefined {
    if (typeof value !== 'string') return this.fail(path, 'expected a string');
    const text = rules.trim ? value.trim() : value;
    if (rules.required !== undefined && text.length === 0) return this.fail(path, rules.required);
    if (rules.max !== undefined && text.length > rules.max) return this.fail(path, `at most ${rules.max} characters`);
    if (rules.pattern && !rules.pattern[0].test(text)) return this.fail(path, rules.pattern[1]);
    return text;
  }

  integer(value: unknown, path: Path, min?: number): number | undefined {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return this.fail(path, 'expected an integer');
    if (min !== undefined && value < min) return this.fail(path, `at least ${min}`);
    return value;
  }

  list<T>(value: unknown, path: Path, item: (value: unknown, path: Path) => T | undefined, minMessage?: string): T[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, 'expected an array');
    if (minMessage !== undefined && value.length === 0) this.fail(path, minMessage);
    return value.map((entry, i) => item(entry, [...path, i]) as T);
  }

  optional<T>(value: unknown, read: (value: unknown) => T | undefined): T | undefined {
    return value === undefined ? undefined : read(value);
  }

  date(value: unknown, path: Path): string | undefined {
    const date = this.text(value, path, { pattern: [DATE_SHAPE, MESSAGES.dateShape] });
    if (date !== undefined && !isCalendarDate(date)) return this.fail(path, MESSAGES.notInCalendar);
    return date;
  }

  requisites(value: unknown, path: Path): Requisites | undefined {
    return this.object(value, path, ['first_name', 'last_name', 'email', 'phone'], (r) => ({
      first_name: this.text(r.first_name, [...path, 'first_name'], { trim: true, required: 'first_name is required' }) as string,
      last_name: this.text(r.last_name, [...path, 'last_name'], { trim: true, required: 'last_name is required' }) as string,
      email: this.text(r.email, [...path, 'email'], { pattern: [EMAIL, MESSAGES.email] }) as string,
      phone: this.text(r.phone, [...path, 'phone'], { pattern: [PHONE, MESSAGES.phone] }) as string,
    }));
  }

  block(value: unknown, path: Path): BookingFields['blocks'][number] | undefined {
    const at = (...key: (string | number)[]): Path => [...path, ...key];
    return this.object(value, path, ['tariff', 'conditions', 'recovery', 'total_cost', 'quantity', 'living'], (b) => {
      const quantity = this.integer(b.quantity, at('quantity'), 1);
      const living = this.optional(b.living, (list) =>
        this.list(list, at('living'), (person, where) =>
          this.object(person, where, ['first_name', 'last_name'], (p) => ({
            first_name: this.text(p.first_name, [...where, 'first_name'], { trim: true, required: 'first_name is required' }) as string,
            last_name: this.optional(p.last_name, (name) => this.text(name, [...where, 'last_name'], { trim: true, required: 'at least 1 character' })),
          })),
        ),
      );
      if (living && quantity !== undefined && living.length > quantity) this.fail(at('living'), MESSAGES.livingPerRoom);
      return {
        tariff: this.text(b.tariff, at('tariff'), { trim: true, required: 'tariff is required' }) as string,
        conditions: this.optional(b.conditions, (conditions) =>
          this.object(conditions, at('conditions'), ['cancellation', 'booking_method'], (c) => ({
            cancellation: this.optional(c.cancellation, (cancellation) => (cancellation === false ? false : this.integer(cancellation, at('conditions', 'cancellation'), 0))),
            booking_method: this.optional(c.booking_method, (method) => this.integer(method, at('conditions', 'booking_method'))),
          })),
        ),
        recovery: this.optional(b.recovery, (recovery) =>
          this.object(recovery, at('recovery'), ['unit', 'amount', 'sum'], (r) => {
            const unit = r.unit === 'percent' || r.unit === 'day' ? r.unit : this.fail(at('recovery', 'unit'), 'percent or day');
            const amount = this.integer(r.amount, at('recovery', 'amount'));
            if (unit !== undefined && amount !== undefined && !recoveryAmountFits({ unit, amount })) this.fail(at('recovery', 'amount'), MESSAGES.recoveryAmount);
            return { unit: unit as 'percent' | 'day', amount: amount as number, sum: this.integer(r.sum, at('recovery', 'sum'), 0) as number };
          }),
        ),
        total_cost: this.integer(b.total_cost, at('total_cost'), 0) as number,
        quantity: quantity as number,
        living: living as { first_name: string; last_name?: string }[] | undefined,
      };
    });
  }

  blocks(value: unknown, path: Path): BookingFields['blocks'] | undefined {
    return this.list(value, path, (block, where) => this.block(block, where), MESSAGES.oneBlock);
  }

  verdict<T>(value: T | undefined): Checked<T> {
    return this.problems.length === 0 ? { ok: true, value: value as T } : { ok: false, problems: this.problems.join('; ') };
  }
}

/** `accept`, optionally with corrected data: whole fields replacing the ones sent before. */
export function checkAccept(answer: unknown): Checked<AcceptAnswer> {
  const c = new Checker();
  const value = c.object(answer, [], ['arrival_date', 'departure_date', 'blocks', 'requisites', 'note'], (a) => ({
    arrival_date: c.optional(a.arrival_date, (date) => c.date(date, ['arrival_date'])),
    departure_date: c.optional(a.departure_date, (date) => c.date(date, ['departure_date'])),
    blocks: c.optional(a.blocks, (blocks) => c.blocks(blocks, ['blocks'])),
    requisites: c.optional(a.requisites, (requisites) => c.requisites(requisites, ['requisites'])),
    note: c.optional(a.note, (note) => c.text(note, ['note'], { max: NOTE_MAX })),
  }));
  return c.verdict(value);
}

export function checkReject(answer: unknown): Checked<RejectAnswer> {
  const c = new Checker();
  const value = c.object(answer, [], ['reason'], (r) => ({ reason: c.optional(r.reason, (reason) => c.text(reason, ['reason'], { max: NOTE_MAX })) }));
  return c.verdict(value);
}

export function checkRequisites(answer: unknown): Checked<Requisites> {
  const c = new Checker();
  return c.verdict(c.requisites(answer, []));
}

/** The booking's fields as a whole (after corrections): what hotels24 is asked to check from the start. */
export function checkBookingFields(fields: unknown): Checked<BookingFields> {
  const c = new Checker();
  const value = c.object(fields, [], ['arrival_date', 'departure_date', 'blocks', 'requisites'], (f) => {
    const arrival = c.date(f.arrival_date, ['arrival_date']);
    const departure = c.date(f.departure_date, ['departure_date']);
    if (arrival !== undefined && departure !== undefined && departure <= arrival) c.fail(['departure_date'], MESSAGES.departureAfterArrival);
    return {
      arrival_date: arrival as string,
      departure_date: departure as string,
      blocks: c.blocks(f.blocks, ['blocks']) as BookingFields['blocks'],
      requisites: c.optional(f.requisites, (requisites) => c.requisites(requisites, ['requisites'])),
    };
  });
  return c.verdict(value);
}
