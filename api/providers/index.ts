/** The providers the API serves: adding a provider is adding its binding here. */
import type { Provider } from '../../workflows/booking';
import type { ProviderBinding } from './binding';
import { oksBinding, oksTimingFrom } from './oks';
import { brusnikaBinding, brusnikaTimingFrom } from './brusnika';
import { chronoBinding, chronoTimingFrom } from './chrono';
import { providerEndpointFrom } from '../../config/env';
import { qticketsBinding, qticketsTimingFrom } from './qtickets';
import { hotels24Binding, hotels24TimingFrom } from './hotels24';

export type { ActionBinding, ProviderBinding } from './binding';
export type ProviderBindings = Partial<Record<Provider, ProviderBinding>>;

/** Every provider the API serves, configured from the environment. */
export function providerBindingsFrom(env: Record<string, string | undefined>): ProviderBindings {
  return {
    oks: oksBinding(oksTimingFrom(env)),
    brusnika: brusnikaBinding({ endpoint: providerEndpointFrom(env, 'brusnika'), timing: brusnikaTimingFrom(env) }),
    chrono: chronoBinding({ endpoint: providerEndpointFrom(env, 'chrono'), timing: chronoTimingFrom(env) }),
    qtickets: qticketsBinding({ endpoint: providerEndpointFrom(env, 'qtickets'), timing: qticketsTimingFrom(env) }),
    hotels24: hotels24Binding(hotels24TimingFrom(env)),
  };
}
