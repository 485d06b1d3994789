/**
 * The dependency fences of eslint.config.mjs, proved: a wrong-way import or an
 * import loop fails the lint that `npm test` runs, a right-way import passes.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..');

const wrongWay: [string, string, RegExp][] = [
  ['activities/oks/activities.ts', "import { statusQuery } from '../../workflows/booking';\nexport const q = statusQuery;\n", /Activities depend on their contracts/],
  ['activities/oks/activities.ts', "import { QticketsClient } from '../qtickets/client';\nexport const c = QticketsClient;\n", /never reach into another provider/],
  ['simulators/oks.ts', "import { BookLayoutRequest } from '../activities/oks/contract';\nexport const r = BookLayoutRequest;\n", /Simulators import nothing/],
  ['workflows/oks.ts', "import fs from 'node:fs';\nexport const f = fs;\n", /deterministic/],
  ['workflows/oks.ts', "import { createOksActivities } from '../activities/oks/activities';\nexport const a = createOksActivities;\n", /proxyActivities/],
  ['workflows/hotels24.ts', "import { z } from 'zod';\nexport const s = z.string();\n", /zod stays out of the workflow bundle/],
  ['workflows/hotels24.ts', "import { Requisites } from '../activities/hotels24/request';\nexport const r = Requisites;\n", /zod stays out of the workflow bundle/],
  ['api/bookings.ts', "import { createOksActivities } from '../activities/oks/activities';\nexport const a = createOksActivities;\n", /never run activities/],
  ['common/release.ts', "import { statusQuery } from '../workflows/booking';\nexport const q = statusQuery;\n", /neutral vocabulary/],
  // kit.ts imports booking-record.ts: this would close a loop.
  ['workflows/booking-record.ts', "import { cancel } from './kit';\nexport const c = cancel;\n", /Dependency cycle/],
];
const rightWay: [string, string][] = [
  ['activities/oks/activities.ts', "import { released } from '../../common/release';\nexport const r = released;\n"],
  ['workflows/oks.ts', "import type { OksActivities } from '../activities/oks/activities';\nexport type A = OksActivities;\n"],
  ['workflows/hotels24.ts', "import type { Requisites } from '../activities/hotels24/request';\nexport type R = Requisites;\n"],
  ['api/providers/qtickets.ts', "import { QticketsClient } from '../../activities/qtickets/client';\nexport const c = QticketsClient;\n"],
];

// ESLint loads its (ESM) config with a dynamic import that jest's sandbox refuses: it runs in a node of its own, once for every case.
const linted: string[][] = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '-e',
      `const { ESLint } = require('eslint');
       const cases = JSON.parse(process.argv[1]);
       const eslint = new ESLint({ cwd: ${JSON.stringify(root)} });
       Promise.all(cases.map(([file, code]) => eslint.lintText(code, { filePath: require('path').join(${JSON.stringify(root)}, file) })))
         .then((results) => process.stdout.write(JSON.stringify(results.map(([r]) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'import-x/no-cycle').map((m) => m.message)))));`,
      JSON.stringify([...wrongWay, ...rightWay].map(([file, code]) => [file, code])),
    ],
    { cwd: root, encoding: 'utf8' },
  ),
);

test.each(wrongWay.map(([file, , message], i) => [file, message, i] as const))('a wrong-way import in %s fails the lint (%s)', (_file, message, i) => {
  expect(linted[i]).toEqual([expect.stringMatching(message)]);
});

test.each(rightWay.map(([file], i) => [file, wrongWay.length + i] as const))('a right-way import in %s passes', (_file, i) => {
  expect(linted[i]).toEqual([]);
});
