/** Configuration mistakes stop a process at start-up with one line per variable. */
import { ApiTokens } from '../api/auth';
import { oksTimingFrom } from '../api/providers/oks';
import { ConfigError, DurationMs, TemporalConfig, parse, providerEndpointsFrom } from '../config/env';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

test('every missing or malformed provider variable is named at once', () => {
  expect(problemsOf(() => providerEndpointsFrom({ OKS_URL: 'not a url', OKS_TIMEOUT: 'soon' }, ['oks']))).toEqual([
    'OKS_URL: must be a URL such as http://127.0.0.1:4101 (is it set?)',
    'OKS_TOKEN: is required',
    'OKS_TIMEOUT: "soon" is not a duration (e.g. 500ms, 2s, 10m, 1h, 1d)',
  ]);
  expect(providerEndpointsFrom({ OKS_URL: 'http://oks.example:8080', OKS_TOKEN: 't', OKS_TIMEOUT: '2s' }, ['oks'])).toEqual({
    oks: { provider: 'oks', baseUrl: 'http://oks.example:8080', token: 't', timeoutMs: 2_000, encoding: 'json' },
  });
});

test('Temporal settings default to a local dev server and refuse empty values', () => {
  expect(parse(TemporalConfig, {})).toEqual({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'bookings' });
  expect(problemsOf(() => parse(TemporalConfig, { TEMPORAL_NAMESPACE: '' }))).toEqual(['TEMPORAL_NAMESPACE: Too small: expected string to have >=1 characters']);
});

test('API tokens name their client and role; a bad entry is named without echoing the token', () => {
  const tokens = ApiTokens.parse('app-token-123:shop:app,approver-token-1:desk:approver,plain-token-1:kiosk');
  expect([...tokens.entries()]).toEqual([
    ['app-token-123', { client: 'shop', role: 'app' }],
    ['approver-token-1', { client: 'desk', role: 'approver' }],
    ['plain-token-1', { client: 'kiosk', role: 'app' }],
  ]);
  const result = ApiTokens.safeParse('short:shop,long-enough-token:desk:admin');
  expect(result.success).toBe(false);
  const messages = result.error!.issues.map((i) => i.message);
  expect(messages).toEqual([
    'entry "shop": a token is at least 8 characters (expected token:client[:role])',
    'entry "desk": Invalid input (expected token:client[:role])',
  ]);
  expect(messages.join(' ')).not.toContain('long-enough-token');
});

test('durations read as people write them', () => {
  expect(['500ms', '2s', '10m', '1h', '1d', '1500', 250].map((d) => DurationMs.parse(d))).toEqual([500, 2_000, 600_000, 3_600_000, 86_400_000, 1_500, 250]);
  expect(DurationMs.safeParse('-1s').success).toBe(false);
});

test("a provider's durations come from its variables; those left unset keep the workflow's defaults", () => {
  expect(oksTimingFrom({ OKS_HOLD_TERM: '2h', OKS_TASK_POLL_INITIAL: '250ms' })).toEqual({ holdTermMs: 7_200_000, taskPollInitialMs: 250 });
  expect(oksTimingFrom({})).toEqual({});
  expect(problemsOf(() => oksTimingFrom({ OKS_HOLD_TERM: 'tomorrow' }))).toEqual(['OKS_HOLD_TERM: "tomorrow" is not a duration (e.g. 500ms, 2s, 10m, 1h, 1d)']);
});
