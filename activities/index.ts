/**
 * Every provider's activities, built from injected clients so tests and
 * production differ only in configuration. A provider without an endpoint
 * gets no activities (tests start workers for one provider at a time).
 */
import type { Logger } from 'pino';
import type { Provider } from '../workflows/booking';
import type { ProviderEndpoint } from './http';
import { createOksActivities } from './oks/activities';
import { OksClient } from './oks/client';

/** Providers whose workflows and activities exist; the worker needs an endpoint for each. */
export const IMPLEMENTED_PROVIDERS = ['oks'] as const satisfies readonly Provider[];
export type ImplementedProvider = (typeof IMPLEMENTED_PROVIDERS)[number];

export interface ActivityDeps {
  logger: Logger;
  providers: Partial<Record<ImplementedProvider, ProviderEndpoint>>;
}

export function createActivities({ logger, providers }: ActivityDeps) {
  return {
    ...(providers.oks && createOksActivities({ oks: new OksClient(providers.oks, logger), logger })),
  };
}
