/**
 * What the API knows of each provider: the request it accepts, the workflow
 * that serves it, the durations configured for it, and the answers (updates)
 * people may give a booking of it. The registry of providers is ./index.ts.
 */
import type { ErrorRequestHandler, Router } from 'express';
import { z } from 'zod';
import type { BookingStart, BookingView, CancelRequest, Provider } from '../../workflows/booking';
import { cancel } from '../../workflows/kit';
import type { Role } from '../auth';
import type { BookingService } from '../bookings';
import { methodNotAllowed } from '../errors';

export interface ActionBinding {
  /** The update's name, taken from its shared definition. */
  update: string;
  /**
   * The same answer's signal name where it differs from the action's (the name
   * a booking's `waitingFor.actions` shows); the API takes it as well.
   */
  signal?: string;
  /** Schema of the request body handed to the update; none means no body. */
  body?: z.ZodType;
  roles: readonly Role[];
  summary: string;
}

export interface ProviderBinding {
  provider: Provider;
  /** The provider's workflow function: the API starts it by its function, typed, never by a name. */
  workflow: BookingWorkflow;
  request: z.ZodType;
  /** Durations overriding the workflow's defaults, from configuration. */
  timing: Record<string, number>;
  actions: Record<string, ActionBinding>;
  /** Provider-specific routes (catalogues, the provider's own API shape), behind the same auth. */
  routes?: ProviderRoutes[];
}

/** A provider's booking workflow, as the API starts it (its request checked by the binding's schema first). */
type BookingWorkflow = (input: BookingStart<never, never>) => Promise<BookingView>;

/** The providers the API serves, by key. */
export type ProviderBindings = Partial<Record<Provider, ProviderBinding>>;

const CancelBody = z.object({ reason: z.string().max(500).optional() }).strict() satisfies z.ZodType<CancelRequest>;

export const cancelAction: ActionBinding = {
  update: cancel.update.name,
  body: CancelBody,
  roles: ['app', 'approver'],
  summary: 'Cancel the booking; whatever is held at the provider is released.',
};


/** One answer of a provider route: what it means and its JSON body (none: no body). */
export interface AnswerDoc {
  description: string;
  schema?: z.ZodType;
}

/** A provider route as the OpenAPI document shows it (path relative to the mount path, `{param}` style). */
export interface RouteDoc {
  method: 'get' | 'post';
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  /** Its JSON body; required unless `{}` is a valid one. */
  body?: z.ZodType;
  /**
   * Every status it answers. An error status without a schema has the API's
   * error shape (`{"error": {...}}`); a 503 carries Retry-After.
   */
  responses: Record<number, AnswerDoc>;
}

/**
 * A known path asked with another method: 405 with Allow naming the methods its
 * routes take (not a 404). Added after the routes, from their docs.
 */
export function refuseOtherMethods(router: Router, docs: readonly RouteDoc[]): Router {
  const byPath = new Map<string, string[]>();
  for (const doc of docs) byPath.set(doc.path, [...(byPath.get(doc.path) ?? []), doc.method.toUpperCase()]);
  for (const [path, methods] of byPath) {
    router.all(path.replace(/\{(\w+)\}/g, ':$1'), methodNotAllowed(methods.join(', ')));
  }
  return router;
}

interface ProviderRoutes {
  mountPath: string;
  router: (service: BookingService, binding: ProviderBinding) => Router;
  /** The routes, for the OpenAPI document. */
  docs: RouteDoc[];
  /** Errors in the provider's own shape (auth failures included), for routes that mimic its API. */
  errorHandler?: ErrorRequestHandler;
}
