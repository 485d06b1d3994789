/**
 * Configuration from the environment, validated with zod at start-up. A
 * process that is misconfigured stops before doing anything, with one line
 * per variable saying what is wrong with it.
 */
import ms from 'ms';
import { z } from 'zod';
import { KEY_BYTES, type PayloadKey } from '../common/payload-codec';
import type { Provider } from '../workflows/booking';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `500ms`, `2s`, `10m`, `1h`, `1d`, or a number of milliseconds. */
export const DurationMs = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : ms(value.trim() as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (e.g. 500ms, 2s, 10m, 1h, 1d)` });
      return z.NEVER;
    }
    return Math.round(parsed);
  });

const Url = z.url({ error: 'must be a URL such as http://127.0.0.1:4101 (is it set?)' });
const Secret = z.string({ error: 'is required' }).min(1, 'is required');

export const TemporalConfig = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('bookings'),
});

const GENERATE_KEY_HINT = 'generate a key with: openssl rand -base64 32';

/**
 * `PAYLOAD_KEYS`: comma-separated `keyId:base64Key` (32-byte AES-256 keys). The first seals
 * new payloads; every one opens what it sealed, so a key is rotated by putting a new one
 * first and keeping the old ones for as long as bookings sealed with them are kept.
 */
export const PayloadKeys = z
  .string({ error: `is required: comma-separated keyId:base64Key, the first one sealing (${GENERATE_KEY_HINT})` })
  .min(1, `is required: comma-separated keyId:base64Key, the first one sealing (${GENERATE_KEY_HINT})`)
  .transform((value, ctx): PayloadKey[] => {
    const keys: PayloadKey[] = [];
    let wrong = false;
    for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      const encoded = colon > 0 ? entry.slice(colon + 1) : '';
      if (!/^[\w.-]{1,64}$/.test(id)) {
        ctx.addIssue({ code: 'custom', message: `an entry has no key id (expected keyId:base64Key; an id is letters, digits, . _ -)` });
        wrong = true;
        continue;
      }
      const key = Buffer.from(encoded, 'base64');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== KEY_BYTES) {
        ctx.addIssue({ code: 'custom', message: `key "${id}" must be ${KEY_BYTES} bytes in base64 (${GENERATE_KEY_HINT})` });
        wrong = true;
        continue;
      }
      if (keys.some((k) => k.id === id)) {
        ctx.addIssue({ code: 'custom', message: `key id "${id}" is given twice` });
        wrong = true;
        continue;
      }
      keys.push({ id, key });
    }
    if (!keys.length && !wrong) ctx.addIssue({ code: 'custom', message: `holds no key (${GENERATE_KEY_HINT})` });
    return keys;
  });

export const PayloadConfig = z.object({ PAYLOAD_KEYS: PayloadKeys });

export const LogConfig = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** `<PROVIDER>_URL`, `<PROVIDER>_TOKEN`, `<PROVIDER>_TIMEOUT`, `<PROVIDER>_ENCODING` (json|form) for each provider; every problem is reported at once. */
export function providerEndpointsFrom<P extends Provider>(env: Record<string, string | undefined>, providers: readonly P[]) {
  const problems: string[] = [];
  const endpoints: Partial<Record<P, { provider: P; baseUrl: string; token: string; timeoutMs: number; encoding: 'json' | 'form' }>> = {};
  for (const provider of providers) {
    const prefix = provider.toUpperCase();
    const schema = z.object({
      [`${prefix}_URL`]: Url,
      [`${prefix}_TOKEN`]: Secret,
      [`${prefix}_TIMEOUT`]: DurationMs.default(10_000),
      [`${prefix}_ENCODING`]: z.enum(['json', 'form'], { error: 'must be json or form' }).default('json'),
    });
    const result = schema.safeParse(env);
    if (!result.success) {
      problems.push(...result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
      continue;
    }
    const parsed = result.data as Record<string, string | number>;
    endpoints[provider] = {
      provider,
      baseUrl: String(parsed[`${prefix}_URL`]),
      token: String(parsed[`${prefix}_TOKEN`]),
      timeoutMs: Number(parsed[`${prefix}_TIMEOUT`]),
      encoding: parsed[`${prefix}_ENCODING`] === 'form' ? 'form' : 'json',
    };
  }
  if (problems.length) throw new ConfigError(problems);
  return endpoints as Record<P, { provider: P; baseUrl: string; token: string; timeoutMs: number; encoding: 'json' | 'form' }>;
}


/**
 * A provider's durations from the environment: `{ holdTermMs: 'OKS_HOLD_TERM' }`
 * reads OKS_HOLD_TERM (`2s`, `10m`, `1d`...) into `holdTermMs`, for the variables set.
 */
export function durationsFrom<K extends string>(env: Record<string, string | undefined>, variables: Record<K, string>): Partial<Record<K, number>> {
  const entries = Object.entries(variables) as [K, string][];
  const parsed = parse(z.object(Object.fromEntries(entries.map(([, name]) => [name, DurationMs.optional()]))), env) as Record<string, number | undefined>;
  const durations: Partial<Record<K, number>> = {};
  for (const [key, name] of entries) {
    const value = parsed[name];
    if (value !== undefined) durations[key] = value;
  }
  return durations;
}

export function parse<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  return result.data;
}

