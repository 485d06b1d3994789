/**
 * What every provider simulator shares: an Express app with the provider's
 * routes, fault injection (latency, random 5xx, forced failures of the next
 * requests), a call log the tests assert on, and a control surface under
 * `/__control` for people driving the simulator by hand.
 *
 * A simulator imports nothing from activities/: it is written from its seed,
 * so a mistake in a client cannot be copied into the thing that tests it.
 */
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { z } from 'zod';

const Faults = z.object({
  /** Added to every provider request, in milliseconds. */
  latencyMs: z.number().int().min(0).default(0),
  /** Share of provider requests answered with a 503 before they are handled (0..1). */
  errorRate: z.number().min(0).max(1).default(0),
  /** The next N provider requests fail with `failStatus`, whatever errorRate says. */
  failNext: z.number().int().min(0).default(0),
  failStatus: z.number().int().min(500).max(599).default(503),
  /** The next N provider requests are handled but answered only after `hangMs`. */
  hangNext: z.number().int().min(0).default(0),
  hangMs: z.number().int().min(0).default(0),
  /**
   * The next N provider requests are handled (the provider acts), then answered
   * with `garbleAs` instead of their answer: the shapes of an answer lost after
   * a create (a truncated body, an empty one, `{}`, a proxy's HTML 502 page).
   */
  garbleNext: z.number().int().min(0).default(0),
  garbleAs: z.enum(['truncated_json', 'empty', 'empty_object', 'html_502']).default('truncated_json'),
  /** When set, failNext, hangNext and garbleNext count only requests whose `METHOD path` matches this regular expression. */
  faultsOn: z.string().optional(),
  /** Not a fault but a mode: answers carry exactly the fields the provider's document lists, nothing more. */
  seedMinimal: z.boolean().default(false),
});
type Faults = z.infer<typeof Faults>;

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
  at: string;
}

export interface SimulatorOptions {
  /** Provider key, used in logs and the control surface. */
  name: string;
  /** Bearer token the provider routes require. */
  token: string;
  faults?: Partial<Faults>;
  /** Source of randomness for errorRate; tests may pass a seeded one. */
  random?: () => number;
}

export interface SimulatorDefinition<State> {
  /** Fresh provider state (fixtures); called at start and on reset. */
  initialState: () => State;
  /**
   * The provider's routes. Authentication is the provider's own business
   * (each seed answers a missing token differently), so `requireToken` is
   * handed over rather than applied blindly.
   */
  routes: (router: Router, ctx: SimulatorContext<State>) => void;
  /** Extra control routes (scenarios, inventory views) under /__control. */
  controlRoutes?: (router: Router, ctx: SimulatorContext<State>) => void;
}

export interface SimulatorContext<State> {
  readonly name: string;
  readonly token: string;
  state: State;
  faults: Faults;
  calls: RecordedCall[];
  /** The Bearer token of a request, or undefined. */
  bearerToken(req: Request): string | undefined;
}

export interface RunningSimulator<State> {
  url: string;
  ctx: SimulatorContext<State>;
  /** Calls whose path matches, in order. */
  callsTo(method: string, path: string | RegExp): RecordedCall[];
  setFaults(faults: Partial<Faults>): void;
  reset(): void;
  close(): Promise<void>;
}

function createSimulator<State>(
  definition: SimulatorDefinition<State>,
  options: SimulatorOptions,
): { app: Express; ctx: SimulatorContext<State> } {
  const random = options.random ?? Math.random;
  const ctx: SimulatorContext<State> = {
    name: options.name,
    token: options.token,
    state: definition.initialState(),
    faults: Faults.parse(options.faults ?? {}),
    calls: [],
    bearerToken(req) {
      const header = req.header('authorization');
      const match = header?.match(/^Bearer\s+(.+)$/i);
      return match?.[1];
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: true }));

  const control = express.Router();
  control.get('/faults', (_req, res) => {
    res.json(ctx.faults);
  });
  control.post('/faults', (req, res) => {
    const parsed = Faults.partial().safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid faults', issues: parsed.error.issues });
      return;
    }
    ctx.faults = { ...ctx.faults, ...parsed.data };
    res.json(ctx.faults);
  });
  control.get('/calls', (_req, res) => {
    res.json(ctx.calls);
  });
  control.post('/reset', (_req, res) => {
    ctx.state = definition.initialState();
    ctx.calls = [];
    ctx.faults = Faults.parse({});
    res.json({ reset: true });
  });
  definition.controlRoutes?.(control, ctx);
  app.use('/__control', control);

  const provider = express.Router();
  provider.use((req: Request, res: Response, next: NextFunction) => {
    const call: RecordedCall = {
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: req.body,
      status: 0,
      at: new Date().toISOString(),
    };
    ctx.calls.push(call);
    res.on('finish', () => {
      call.status = res.statusCode;
    });

    const targeted = ctx.faults.faultsOn === undefined || new RegExp(ctx.faults.faultsOn).test(`${req.method} ${req.path}`);
    const proceed = (): void => {
      if (targeted && ctx.faults.failNext > 0) {
        ctx.faults.failNext -= 1;
        res.status(ctx.faults.failStatus).json({ error: 'simulated provider failure' });
        return;
      }
      if (ctx.faults.errorRate > 0 && random() < ctx.faults.errorRate) {
        res.status(503).json({ error: 'simulated provider failure' });
        return;
      }
      if (targeted && ctx.faults.hangNext > 0) {
        ctx.faults.hangNext -= 1;
        // The provider does the work but the answer arrives late: the shape of an
        // ambiguous timeout, where the client cannot tell whether it happened.
        // Every answer (json, send) ends in res.end: delaying that one delays it once.
        const hangMs = ctx.faults.hangMs;
        const end = res.end.bind(res);
        res.end = ((...args: Parameters<typeof end>) => {
          setTimeout(() => end(...args), hangMs);
          return res;
        }) as typeof res.end;
      }
      if (targeted && ctx.faults.garbleNext > 0) {
        ctx.faults.garbleNext -= 1;
        garble(res, ctx.faults.garbleAs);
      }
      next();
    };
    if (ctx.faults.latencyMs > 0) setTimeout(proceed, ctx.faults.latencyMs);
    else proceed();
  });
  definition.routes(provider, ctx);
  app.use(provider);

  // Malformed JSON and the like: answered as JSON, never as an HTML page.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
    res.status(Number.isInteger(status) ? status : 500).json({ error: err instanceof Error ? err.message : String(err) });
  });

  return { app, ctx };
}

/** Lets the route act, then replaces its answer (headers are not sent before res.end). */
function garble(res: Response, as: Faults['garbleAs']): void {
  const end = res.end.bind(res);
  res.end = ((...args: unknown[]) => {
    const [chunk] = args;
    const original = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    let body = '';
    if (as === 'truncated_json') body = original.slice(0, Math.max(1, Math.floor(original.length / 2)));
    if (as === 'empty_object') body = '{}';
    if (as === 'html_502') {
      res.statusCode = 502;
      res.setHeader('content-type', 'text/html');
      body = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
    }
    res.setHeader('content-length', Buffer.byteLength(body));
    return end(body);
  }) as typeof res.end;
}

/** Starts a simulator on `port` (0 picks a free one) of 127.0.0.1. */
export async function startSimulator<State>(
  definition: SimulatorDefinition<State>,
  options: SimulatorOptions & { port?: number; host?: string },
): Promise<RunningSimulator<State>> {
  const { app, ctx } = createSimulator(definition, options);
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    ctx,
    callsTo(method, path) {
      return ctx.calls.filter(
        (c) => c.method === method.toUpperCase() && (typeof path === 'string' ? c.path === path : path.test(c.path)),
      );
    },
    setFaults(faults) {
      ctx.faults = { ...ctx.faults, ...faults };
    },
    reset() {
      ctx.state = definition.initialState();
      ctx.calls = [];
      ctx.faults = Faults.parse({});
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
