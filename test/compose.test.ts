/**
 * docker-compose.yml runs what `npm run stack` runs (it cannot be run here: no Docker
 * engine): the same versions, the same variables for the server and the apps, the same
 * dynamic config file and the same search attributes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { appEnv, stackConfig, temporalServerEnv } from '../scripts/stack';
import { projectRoot } from '../scripts/temporal-cli';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../scripts/temporal-server';
import { bookingSearchAttributeCliArgs } from '../workflows/search-attributes';

interface Service {
  image?: string;
  environment?: Record<string, string>;
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { file?: string; content?: string }>;
  'x-temporal-db': Record<string, string>;
  'x-app-env': Record<string, string>;
}

const compose = parse(fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
/** `${NAME:-default}` as compose reads it with NAME unset. */
const withDefaults = (value: string): string => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
const config = stackConfig({});

test('the same Temporal server, admin tools and UI versions', () => {
  const images = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, withDefaults(s.image ?? '')]));
  expect(images).toMatchObject({
    temporal: `temporalio/server:${TEMPORAL_SERVER_VERSION}`,
    'temporal-schema': `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
    'temporal-setup': `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
    'temporal-ui': `temporalio/ui:${TEMPORAL_UI_VERSION}`,
  });
});

test('the server reads the same variables and the same dynamic config file', () => {
  const server = temporalServerEnv(config);
  const composed = { ...compose['x-temporal-db'], ...compose.services.temporal!.environment };
  for (const name of Object.keys(composed)) expect([name, server[name] !== undefined]).toEqual([name, true]);
  expect(withDefaults(composed.DB!)).toBe(server.DB);
  expect(compose.configs['temporal-dynamic-config']!.file).toBe('./config/dynamicconfig.yaml');
  expect(path.relative(projectRoot, server.DYNAMIC_CONFIG_FILE_PATH!)).toBe(path.join('config', 'dynamicconfig.yaml'));
});

test('the same search attributes are registered', () => {
  const registered = /for attribute in ([^;]+);/.exec(compose.configs['temporal-setup']!.content ?? '')?.[1];
  expect(registered?.trim().split(/\s+/).map((a) => a.replace(':', '=')).sort()).toEqual([...bookingSearchAttributeCliArgs].sort());
});

test('the API, the workers and the simulators get the variables the stack gives them', () => {
  const stack = appEnv(config, {});
  for (const name of Object.keys(compose['x-app-env'])) expect([name, stack[name] !== undefined]).toEqual([name, true]);
  const apiEnv = { ...compose['x-app-env'], ...compose.services.api!.environment };
  for (const name of ['API_TOKENS', 'PORT', 'HOST']) expect(Object.keys(apiEnv)).toContain(name);
  expect(withDefaults(apiEnv.API_TOKENS!)).toBe(stack.API_TOKENS);
  // Sealing is not optional: compose refuses to start without keys.
  expect(compose['x-app-env'].PAYLOAD_KEYS).toMatch(/^\$\{PAYLOAD_KEYS:\?/);
});

test('the UI decodes through the API\'s codec server, which lets the UI\'s page call it with credentials', () => {
  const ui = compose.services['temporal-ui']!.environment!;
  const apiEnv = compose.services.api!.environment!;
  const apiPublished = /\$\{STACK_API_PORT:-(\d+)\}:3000/.exec(JSON.stringify(compose.services.api))?.[1];
  expect(withDefaults(ui.TEMPORAL_CODEC_ENDPOINT!)).toBe(`http://localhost:${apiPublished}/codec`);
  expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
  expect(withDefaults(apiEnv.CODEC_ALLOWED_ORIGINS!).split(',')).toContain(withDefaults(apiEnv.TEMPORAL_UI_URL!));
  const stack = appEnv(config, {});
  expect(stack.CODEC_ALLOWED_ORIGINS!.split(',')).toContain(stack.TEMPORAL_UI_URL);
});
