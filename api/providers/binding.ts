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


/** A provider route as the OpenAPI document shows it (path relative to the mount path, `{param}` style). */
interface RouteDoc {
  method: 'get' | 'post';
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
}

interface ProviderRoutes {
  mountPath: string;
  router: (service: BookingService, binding: ProviderBinding) => Router;
  /** The routes, for the OpenAPI document. */
  docs: RouteDoc[];
  /** Errors in the provider's own shape (auth failures included), for routes that mimic its API. */
  errorHandler?: ErrorRequestHandler;
}
