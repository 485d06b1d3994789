/** The providers the API serves: adding a provider is adding its binding here. */
import { ConfigError, providerEndpointsFrom } from '../../config/env';
import type { Provider } from '../../workflows/booking';
import type { ProviderBinding } from './binding';
import { brusnikaBinding, brusnikaTimingFrom } from './brusnika';
import { chronoBinding, chronoTimingFrom } from './chrono';
import { hotels24Binding, hotels24TimingFrom } from './hotels24';
import { oksBinding, oksTimingFrom } from './oks';
import { qticketsBinding, qticketsTimingFrom } from './qtickets';

export type { ActionBinding, ProviderBinding } from './binding';
export type ProviderBindings = Partial<Record<Provider, ProviderBinding>>;

/**
 * Every provider the API serves, configured from the environment. The API
 * reads through to qtickets, chrono and brusnika for their catalogues, so it
 * needs their endpoints too. Every problem is reported at once.
 */
export function providerBindingsFrom(env: Record<string, string | undefined>): ProviderBindings {
  const problems: string[] = [];
  const read = <T>(load: () => T): T => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined as T;
    }
  };
  const endpoints = read(() => providerEndpointsFrom(env, ['qtickets', 'chrono', 'brusnika']));
  const timing = {
    oks: read(() => oksTimingFrom(env)),
    qtickets: read(() => qticketsTimingFrom(env)),
    hotels24: read(() => hotels24TimingFrom(env)),
    chrono: read(() => chronoTimingFrom(env)),
    brusnika: read(() => brusnikaTimingFrom(env)),
  };
  if (problems.length) throw new ConfigError(problems);
  return {
    oks: oksBinding(timing.oks),
    qtickets: qticketsBinding({ endpoint: endpoints.qtickets, timing: timing.qtickets }),
    hotels24: hotels24Binding(timing.hotels24),
    chrono: chronoBinding({ endpoint: endpoints.chrono, timing: timing.chrono }),
    brusnika: brusnikaBinding({ endpoint: endpoints.brusnika, timing: timing.brusnika }),
  };
}
