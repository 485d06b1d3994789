/**
 * Starts every provider simulator, for `npm start` and manual exploration.
 * Each listens on `<P>_SIMULATOR_PORT` and accepts the token `<P>_TOKEN`;
 * /__control on each port sets faults and scenarios and shows the inventory.
 */
import { startBrusnikaSimulator } from './brusnika';
import { startChronoSimulator } from './chrono';
import type { SimulatorOptions } from './harness';
import { startHotels24Simulator } from './hotels24';
import { startOksSimulator } from './oks';
import { startQticketsSimulator } from './qtickets';

type Start = (options: Omit<SimulatorOptions, 'name'> & { port: number; host: string }) => Promise<{ url: string; close(): Promise<void> }>;

const simulators: Record<string, { start: Start; defaultPort: number }> = {
  oks: { start: startOksSimulator, defaultPort: 4101 },
  qtickets: { start: startQticketsSimulator, defaultPort: 4102 },
  hotels24: { start: startHotels24Simulator, defaultPort: 4103 },
  chrono: { start: startChronoSimulator, defaultPort: 4104 },
  brusnika: { start: startBrusnikaSimulator, defaultPort: 4105 },
};

async function main(): Promise<void> {
  const host = process.env.SIMULATORS_HOST ?? '127.0.0.1';
  const running = await Promise.all(
    Object.entries(simulators).map(async ([provider, { start, defaultPort }]) => {
      const P = provider.toUpperCase();
      const port = Number(process.env[`${P}_SIMULATOR_PORT`] ?? defaultPort);
      const token = process.env[`${P}_TOKEN`] ?? `dev-${provider}-token`;
      const sim = await start({ port, host, token });
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
