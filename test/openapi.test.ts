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
