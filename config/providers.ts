/**
 * Every provider the product books with, each defined once. The worker (its
 * activities), the API (its bindings and OpenAPI document), the dev runner and
 * the simulators' launcher read this registry and nothing else.
 *
 * Adding a provider: its own files (activities/<p>/, workflows/<p>.ts with its
 * workflow exported from workflows/index.ts, simulators/<p>.ts,
 * api/providers/<p>.ts), its key in PROVIDERS, and its entry here: the
 * compiler names whatever is missing.
 */
import type { Logger } from 'pino';
import { ConfigError, providerEndpointsFrom } from './env';
import type { ProviderEndpoint } from '../activities/http';
import { createBrusnikaActivities } from '../activities/brusnika/activities';
import { BrusnikaClient } from '../activities/brusnika/client';
import { createChronoActivities } from '../activities/chrono/activities';
import { ChronoClient } from '../activities/chrono/client';
import { createHotels24Activities } from '../activities/hotels24/activities';
import { Hotels24Client } from '../activities/hotels24/client';
import { createOksActivities } from '../activities/oks/activities';
import { OksClient } from '../activities/oks/client';
import { createQticketsActivities } from '../activities/qtickets/activities';
import { QticketsClient } from '../activities/qtickets/client';
import { withOperatorActions } from '../api/operator-actions';
import type { ProviderBinding, ProviderBindings } from '../api/providers/binding';
import { brusnikaBinding, brusnikaTimingFrom } from '../api/providers/brusnika';
import { chronoBinding, chronoTimingFrom } from '../api/providers/chrono';
import { hotels24Binding, hotels24TimingFrom } from '../api/providers/hotels24';
import { oksBinding, oksTimingFrom } from '../api/providers/oks';
import { qticketsBinding, qticketsTimingFrom } from '../api/providers/qtickets';
import type { SimulatorOptions } from '../simulators/harness';
import { PROVIDERS, type Provider } from '../workflows/booking';

type Env = Record<string, string | undefined>;

/** An activity as the worker registers it. */
type ActivityFunction = (...args: never[]) => Promise<unknown>;

export interface ProviderDefinition {
  /**
   * What the API serves for the provider (request schema, workflow, answers,
   * its own routes), with durations from the provider's variables. `endpoint`
   * is given to providers whose catalogues the API reads through.
   */
  api: (env: Env, endpoint: ProviderEndpoint | undefined) => ProviderBinding;
  /** Whether the API reads through to the provider (catalogues) and so needs its endpoint. */
  apiReadsThrough: boolean;
  /** The provider's activities, over a client of its endpoint. */
  activities: (endpoint: ProviderEndpoint, logger: Logger) => Record<string, ActivityFunction>;
  /** Its simulator (loaded only by the processes that start one) and the simulator's port for `npm start`. */
  simulator: { port: number; start: () => Promise<StartSimulator> };
}

type StartSimulator = (options: Omit<SimulatorOptions, 'name'> & { port: number; host: string }) => Promise<{ url: string; close(): Promise<void> }>;

export const providerDefinitions = {
  oks: {
    api: (env) => oksBinding(oksTimingFrom(env)),
    apiReadsThrough: false,
    activities: (endpoint, logger) => createOksActivities({ oks: new OksClient(endpoint, logger), logger }),
    simulator: { port: 4101, start: async () => (await import('../simulators/oks')).startOksSimulator },
  },
  qtickets: {
    api: (env, endpoint) => qticketsBinding({ endpoint: endpoint!, timing: qticketsTimingFrom(env) }),
    apiReadsThrough: true,
    activities: (endpoint, logger) => createQticketsActivities({ qtickets: new QticketsClient(endpoint, logger), logger }),
    simulator: { port: 4102, start: async () => (await import('../simulators/qtickets')).startQticketsSimulator },
  },
  hotels24: {
    api: (env) => hotels24Binding(hotels24TimingFrom(env)),
    apiReadsThrough: false,
    activities: (endpoint, logger) => createHotels24Activities({ hotels24: new Hotels24Client(endpoint, logger), logger }),
    simulator: { port: 4103, start: async () => (await import('../simulators/hotels24')).startHotels24Simulator },
  },
  chrono: {
    api: (env, endpoint) => chronoBinding({ endpoint: endpoint!, timing: chronoTimingFrom(env) }),
    apiReadsThrough: true,
    activities: (endpoint, logger) => createChronoActivities({ chrono: new ChronoClient(endpoint, logger), logger }),
    simulator: { port: 4104, start: async () => (await import('../simulators/chrono')).startChronoSimulator },
  },
  brusnika: {
    api: (env, endpoint) => brusnikaBinding({ endpoint: endpoint!, timing: brusnikaTimingFrom(env) }),
    apiReadsThrough: true,
    activities: (endpoint, logger) => createBrusnikaActivities({ brusnika: new BrusnikaClient(endpoint, logger), logger }),
    simulator: { port: 4105, start: async () => (await import('../simulators/brusnika')).startBrusnikaSimulator },
  },
} satisfies Record<Provider, ProviderDefinition>;

export type ProviderEndpoints = Partial<Record<Provider, ProviderEndpoint>>;

/** The activities of every provider given an endpoint (tests start workers for one provider at a time). */
export function activitiesFor(endpoints: ProviderEndpoints, logger: Logger): Record<string, ActivityFunction> {
  return Object.assign({}, ...PROVIDERS.flatMap((p) => (endpoints[p] ? [providerDefinitions[p].activities(endpoints[p], logger)] : [])));
}

/** Every provider's endpoint, for the worker; every problem is reported at once. */
export const workerEndpointsFrom = (env: Env): ProviderEndpoints => providerEndpointsFrom(env, PROVIDERS);

/** Every provider the API serves, configured from the environment; every problem is reported at once. */
export function apiBindingsFrom(env: Env): ProviderBindings {
  const problems: string[] = [];
  const read = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const endpoints = read(() => providerEndpointsFrom(env, PROVIDERS.filter((p) => providerDefinitions[p].apiReadsThrough))) ?? {};
  const bindings: ProviderBindings = {};
  for (const provider of PROVIDERS) {
    if (providerDefinitions[provider].apiReadsThrough && !(endpoints as ProviderEndpoints)[provider]) continue;
    const binding = read(() => providerDefinitions[provider].api(env, (endpoints as ProviderEndpoints)[provider]));
    if (binding) bindings[provider] = withOperatorActions(binding);
  }
  if (problems.length) throw new ConfigError(problems);
  return bindings;
}
