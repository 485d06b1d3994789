/**
 * Every provider's activities, built from injected clients so tests and
 * production differ only in configuration. A provider without an endpoint
 * gets no activities (tests start workers for one provider at a time).
 */
import type { Logger } from 'pino';
import type { Provider } from '../workflows/booking';
import type { ProviderEndpoint } from './http';
import { createOksActivities } from './oks/activities';
import { createBrusnikaActivities } from './brusnika/activities';
import { BrusnikaClient } from './brusnika/client';
import { OksClient } from './oks/client';
import { createChronoActivities } from './chrono/activities';
import { ChronoClient } from './chrono/client';
import { createQticketsActivities } from './qtickets/activities';
import { QticketsClient } from './qtickets/client';
import { createHotels24Activities } from './hotels24/activities';
import { Hotels24Client } from './hotels24/client';

/** Providers whose workflows and activities exist; the worker needs an endpoint for each. */
export const IMPLEMENTED_PROVIDERS = ['oks', 'chrono', 'brusnika', 'qtickets', 'hotels24'] as const satisfies readonly Provider[];
export type ImplementedProvider = (typeof IMPLEMENTED_PROVIDERS)[number];

export interface ActivityDeps {
  logger: Logger;
  providers: Partial<Record<ImplementedProvider, ProviderEndpoint>>;
}

export function createActivities({ logger, providers }: ActivityDeps) {
  return {
    ...(providers.oks && createOksActivities({ oks: new OksClient(providers.oks, logger), logger })),
    ...(providers.brusnika && createBrusnikaActivities({ brusnika: new BrusnikaClient(providers.brusnika, logger), logger })),
    ...(providers.chrono && createChronoActivities({ chrono: new ChronoClient(providers.chrono, logger), logger })),
    ...(providers.qtickets && createQticketsActivities({ qtickets: new QticketsClient(providers.qtickets, logger), logger })),
    ...(providers.hotels24 && createHotels24Activities({ hotels24: new Hotels24Client(providers.hotels24, logger), logger })),
  };
}
