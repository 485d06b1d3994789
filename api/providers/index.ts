/** The providers the API serves: adding a provider is adding its binding here. */
import type { Provider } from '../../workflows/booking';
import type { ProviderBinding } from './binding';
import { oksBinding, oksTimingFrom } from './oks';

export type { ActionBinding, ProviderBinding } from './binding';
export type ProviderBindings = Partial<Record<Provider, ProviderBinding>>;

/** Every provider the API serves, configured from the environment. */
export function providerBindingsFrom(env: Record<string, string | undefined>): ProviderBindings {
  return {
    oks: oksBinding(oksTimingFrom(env)),
  };
}
