/** Every provider's activities, built from injected clients so tests and production differ only in configuration. */
import type { Logger } from 'pino';
import { OksClient } from './oks/client';
import { createOksActivities } from './oks/activities';
import type { ProviderEndpoint } from './http';

export interface ActivityDeps {
  logger: Logger;
  providers: {
    oks: ProviderEndpoint;
  };
}

export function createActivities({ logger, providers }: ActivityDeps) {
  return {
    ...createOksActivities({ oks: new OksClient(providers.oks, logger), logger }),
  };
}

export type BookingActivities = ReturnType<typeof createActivities>;
