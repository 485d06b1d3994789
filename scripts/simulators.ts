/**
 * Starts every provider's simulator, for `npm start`, docker-compose and manual
 * exploration. Each listens on `<P>_SIMULATOR_PORT` (default: its port in
 * config/providers.ts) of SIMULATORS_HOST (default 127.0.0.1) and accepts the
 * token `<P>_TOKEN`; /__control on each port sets faults and scenarios and
 * shows the inventory.
 */
import { providerDefinitions } from '../config/providers';
import { PROVIDERS } from '../workflows/booking';

async function main(): Promise<void> {
  const host = process.env.SIMULATORS_HOST ?? '127.0.0.1';
  const running = await Promise.all(
    PROVIDERS.map(async (provider) => {
      const { simulator } = providerDefinitions[provider];
      const P = provider.toUpperCase();
      const port = Number(process.env[`${P}_SIMULATOR_PORT`] ?? simulator.port);
      const token = process.env[`${P}_TOKEN`] ?? `dev-${provider}-token`;
      const sim = await (await simulator.start())({ port, host, token });
      process.stdout.write(`${provider} simulator on ${sim.url} (token ${token}; control: ${sim.url}/__control/state)\n`);
      return sim;
    }),
  );
  const stop = (): void => {
    void Promise.all(running.map((sim) => sim.close())).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
