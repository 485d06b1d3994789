/**
 * The workflow bundle the worker evaluates for every booking it starts or
 * replays (the one global setup built, as the worker builds it) holds no zod:
 * the lint's fences stop a direct import, this stops one through any module.
 */
import fs from 'node:fs';

test('the workflow bundle holds no zod', () => {
  const code = fs.readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8');
  expect(code).toContain('./workflows/index.ts');
  expect(code).not.toMatch(/node_modules\/zod\//);
});
