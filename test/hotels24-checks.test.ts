/**
 * The workflow's zod-free checks of hotels24's answers (activities/hotels24/checks.ts)
 * give the API's zod schemas' verdicts: the same answers pass, with the same
 * values (strings trimmed), and the same ones are refused.
 */
import { z } from 'zod';
import { EMAIL, checkAccept, checkBookingFields, checkReject, checkRequisites } from '../activities/hotels24/checks';
import { AcceptAnswer, BookingFields, RejectAnswer, Requisites } from '../activities/hotels24/request';

const requisites = { first_name: ' Mega ', last_name: 'Booker', email: 'mega.booker@example.com', phone: '+7 (701) 123-45-67' };
const block = { tariff: 'LUX', total_cost: 1800, quantity: 2 };
const fields = { arrival_date: '2026-09-01', departure_date: '2026-09-03', blocks: [block] };

const blocks: unknown[] = [
  block,
  { ...block, tariff: '  ' },
  { ...block, quantity: 0 },
  { ...block, quantity: 1.5 },
  { ...block, total_cost: -1 },
  { ...block, total_cost: '1800' },
  { ...block, extra: true },
  { ...block, living: [{ first_name: ' Ann ' }, { first_name: 'Bob', last_name: ' B ' }] },
  { ...block, living: [{ first_name: 'Ann' }, { first_name: 'Bob' }, { first_name: 'Cy' }] },
  { ...block, living: [{ first_name: '' }] },
  { ...block, living: [{ first_name: 'Ann', last_name: ' ' }] },
  { ...block, living: [{ first_name: 'Ann', age: 3 }] },
  { ...block, conditions: { cancellation: false, booking_method: 2 } },
  { ...block, conditions: { cancellation: 3 } },
  { ...block, conditions: { cancellation: true } },
  { ...block, conditions: { cancellation: -1 } },
  { ...block, conditions: { refundable: true } },
  { ...block, recovery: { unit: 'day', amount: 3, sum: 100 } },
  { ...block, recovery: { unit: 'day', amount: 30, sum: 100 } },
  { ...block, recovery: { unit: 'percent', amount: 50, sum: 0 } },
  { ...block, recovery: { unit: 'percent', amount: 5, sum: 0 } },
  { ...block, recovery: { unit: 'week', amount: 1, sum: 0 } },
  { ...block, recovery: { unit: 'day', amount: 1, sum: -5 } },
  null,
  'LUX',
];

const requisitesCases: unknown[] = [
  requisites,
  { ...requisites, first_name: '   ' },
  { ...requisites, last_name: undefined },
  { ...requisites, email: 'not-an-email' },
  { ...requisites, email: 'a..b@example.com' },
  { ...requisites, phone: '12' },
  { ...requisites, phone: 'call me maybe' },
  { ...requisites, fax: '123' },
  {},
  null,
  [],
  'requisites',
];

const acceptCases: unknown[] = [
  {},
  { note: 'the suite instead' },
  { note: 'x'.repeat(501) },
  { note: 5 },
  { arrival_date: '2026-09-02' },
  { arrival_date: '2026-02-30' },
  { departure_date: '1 Sept' },
  { blocks: [] },
  ...blocks.map((b) => ({ blocks: [b] })),
  ...requisitesCases.map((r) => ({ requisites: r })),
  { refund: true },
  null,
  'yes',
];

const fieldsCases: unknown[] = [
  fields,
  { ...fields, departure_date: '2026-09-01' },
  { ...fields, departure_date: '2026-08-30' },
  { ...fields, arrival_date: '2026-13-01' },
  { ...fields, blocks: [] },
  { ...fields, requisites },
  { ...fields, requisites: { ...requisites, email: 'nope' } },
  { ...fields, autoConfirm: true },
  ...blocks.map((b) => ({ ...fields, blocks: [b] })),
  { arrival_date: '2026-09-01' },
];

type Check = (value: unknown) => { ok: true; value: unknown } | { ok: false; problems: string };

test.each([
  ['accept', AcceptAnswer, checkAccept, acceptCases],
  ['reject', RejectAnswer, checkReject, [{}, { reason: 'not this hotel' }, { reason: 'x'.repeat(501) }, { reason: 1 }, { why: 'no' }, null]],
  ['requisites', Requisites, checkRequisites, requisitesCases],
  ['the booking fields', BookingFields, checkBookingFields, fieldsCases],
] as [string, z.ZodType, Check, unknown[]][])('%s: the same verdicts and values as the zod schema', (_name, schema, check, cases) => {
  for (const answer of cases) {
    const byZod = schema.safeParse(answer);
    const checked = check(answer);
    expect({ answer, ok: checked.ok, value: checked.ok ? checked.value : undefined }).toEqual({ answer, ok: byZod.success, value: byZod.data });
  }
});

test('a refusal names every field, in the words the API uses', () => {
  expect(checkRequisites({ first_name: 'Booker', email: 'not-an-email', phone: '12' })).toEqual({
    ok: false,
    problems: 'last_name: expected a string; email: email must be an email address; phone: phone is 7 to 20 digits, with an optional +, spaces, () and -',
  });
  expect(checkBookingFields({ ...fields, departure_date: '2026-08-30' })).toEqual({ ok: false, problems: 'departure_date: departure_date must be after arrival_date' });
});

test("the email pattern takes what zod's z.email() takes", () => {
  const emails = ['a@b.cc', 'mega.booker@example.com', "o'brien+tag@mail.example.org", 'a..b@example.com', '.a@example.com', 'a.@example.com', 'a@b', 'a@-b.com', 'a@b.c', 'a b@c.com', ''];
  for (const email of emails) expect({ email, ok: EMAIL.test(email) }).toEqual({ email, ok: z.email().safeParse(email).success });
});
