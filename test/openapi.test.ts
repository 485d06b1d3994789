/** The OpenAPI document covers every provider: requests, answers and their own routes. */
import { openApiDocument } from '../api/openapi';
import { apiBindingsFrom } from '../config/providers';

const env: Record<string, string> = {};
for (const p of ['QTICKETS', 'CHRONO', 'BRUSNIKA']) {
  env[`${p}_URL`] = 'http://127.0.0.1:9';
  env[`${p}_TOKEN`] = 'token';
}
const bindings = apiBindingsFrom(env);
const doc = openApiDocument(bindings);
const paths = Object.keys(doc.paths ?? {});

test("every provider's answers and routes are in the document", () => {
  for (const binding of Object.values(bindings)) {
    for (const action of Object.keys(binding.actions)) expect(paths).toContain(`/api/v1/bookings/{bookingId}/${action}`);
    for (const { mountPath, docs } of binding.routes ?? []) {
      for (const route of docs) expect(paths).toContain(`${mountPath}${route.path}`);
    }
  }
  expect(paths).toEqual(expect.arrayContaining(['/api/v1/providers/qtickets/events', '/api/v1/providers/brusnika/premises', '/api/v1/providers/chrono/bookings']));
});

test('a booking request is one of the providers\' requests', () => {
  const body = (doc.paths?.['/api/v1/bookings']?.post?.requestBody as { content: Record<string, { schema: { anyOf: { properties: { provider: { enum: string[] } } }[] } }> })
    .content['application/json']!.schema;
  expect(body.anyOf.map((s) => s.properties.provider.enum[0]).sort()).toEqual(['brusnika', 'chrono', 'hotels24', 'oks', 'qtickets']);
});

type Operation = { description?: string; parameters?: { name: string; in: string; schema: Record<string, unknown> }[]; requestBody?: { required?: boolean; content: Record<string, { schema: any }> }; responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: any }> }> };
const op = (path: string, method: string): Operation => (doc.paths as Record<string, Record<string, Operation>>)[path]![method]!;
const requestOf = (provider: string): any =>
  (op('/api/v1/bookings', 'post').requestBody!.content['application/json']!.schema.anyOf as any[]).find((s) => s.properties.provider.enum[0] === provider).properties.request;

test('an answer route documents the 503 of a worker that does not answer, with Retry-After, and every error it can give', () => {
  for (const path of paths.filter((p) => /^\/api\/v1\/bookings\/\{bookingId\}\/\w+$/.test(p))) {
    const { responses } = op(path, 'post');
    expect(Object.keys(responses).sort()).toEqual(expect.arrayContaining(['200', '202', '400', '401', '403', '404', '409', '503']));
    expect(responses['503']!.headers).toHaveProperty('Retry-After');
  }
});

test("oks's own routes document oks's shapes: {detail} for 401 and 404, FastAPI's field list for 422", () => {
  const status = op('/api/v1/service/projects/layouts/book/status/{task_id}', 'get').responses;
  expect(status['401']!.content!['application/json']!.schema.properties).toEqual({ detail: { type: 'string' } });
  expect(status['404']!.content!['application/json']!.schema.properties).toEqual({ detail: { type: 'string' } });
  const book = op('/api/v1/service/projects/layouts/book', 'post');
  expect(book.requestBody!.required).toBe(true);
  expect(JSON.stringify(book.responses['422']!.content!['application/json']!.schema)).toContain('"loc"');
  expect(Object.keys(op('/api/v1/service/projects/layouts/unbook', 'post').responses)).toEqual(expect.arrayContaining(['200', '400', '401', '422']));
});

test('request schemas say what the API takes: safe integers, phone formats, calendar dates, required bodies', () => {
  const premise = requestOf('brusnika').oneOf.find((s: any) => s.properties.kind.enum[0] === 'premise');
  expect(premise.properties.premise_id).toMatchObject({ type: 'integer', maximum: Number.MAX_SAFE_INTEGER });
  const phone = new RegExp(premise.properties.client.properties.phone_number.pattern);
  for (const valid of ['+7 (912) 001-00-01', '89120010001', '9120010001']) expect(phone.test(valid)).toBe(true);
  for (const invalid of ['+1 912 001 00 01 2', '912001', '99120010001']) expect(phone.test(invalid)).toBe(false);
  const dateStart = op('/api/v1/providers/chrono/bookings', 'get').parameters!.find((p) => p.name === 'date_start')!.schema;
  expect(new RegExp(dateStart.pattern as string).test('2021-02-30')).toBe(false);
  expect(new RegExp(dateStart.pattern as string).test('2024-02-29')).toBe(true);
  expect(op('/api/v1/bookings/{bookingId}/resize', 'post').requestBody!.required).toBe(true);
  expect(op('/api/v1/bookings/{bookingId}/cancel', 'post').requestBody!.required).toBe(false);
  // JavaScript's \d is ASCII; the document's patterns say so to tools that read \d as Unicode.
  expect(JSON.stringify(doc)).not.toMatch(/\\\\[dw]/);
});

test('every path says which methods it takes; another one answers 405 with Allow', () => {
  for (const path of paths) expect((doc.paths as Record<string, { description?: string }>)[path]!.description).toMatch(/any other method answers 405 with `Allow: [A-Z, ]+`/);
});

test("the service's own routes are documented, without a token: health, metrics, this document", () => {
  for (const path of ['/health', '/metrics', '/api/v1/openapi.json']) {
    expect(op(path, 'get')).not.toHaveProperty('security');
    expect((doc.paths as Record<string, { description?: string }>)[path]!.description).toContain('Allow: GET');
  }
  expect(op('/health', 'get').responses['503']!.headers).toHaveProperty('Retry-After');
  expect(Object.keys(op('/metrics', 'get').responses['200']!.content!)).toEqual(['text/plain']);
});
