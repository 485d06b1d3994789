/**
 * What the API knows of each provider: the request it accepts, the workflow
 * that serves it, the durations configured for it, and the answers (updates)
 * people may give a booking of it. Adding a provider is adding an entry here.
 */
import { z } from 'zod';
import { BookLayoutRequest } from '../activities/oks/contract';
import { DurationMs, parse } from '../config/env';
import type { CancelRequest, Provider } from '../workflows/booking';
import { cancelUpdate } from '../workflows/booking';
import { completeUpdate, type OksTiming } from '../workflows/oks';
import type { Role } from './auth';

export interface ActionBinding {
  /** The update's name, taken from its shared definition. */
  update: string;
  /** Schema of the request body handed to the update; none means no body. */
  body?: z.ZodType;
  roles: readonly Role[];
  summary: string;
}

export interface ProviderBinding {
  provider: Provider;
  workflowType: string;
  request: z.ZodType;
  /** Durations overriding the workflow's defaults, from configuration. */
  timing: Record<string, number>;
  actions: Record<string, ActionBinding>;
}

export const CancelBody = z.object({ reason: z.string().max(500).optional() }).strict() satisfies z.ZodType<CancelRequest>;

const cancelAction: ActionBinding = {
  update: cancelUpdate.name,
  body: CancelBody,
  roles: ['app', 'approver'],
  summary: 'Cancel the booking; whatever is held at the provider is released.',
};

/** `OKS_TASK_POLL_INITIAL=500ms` and the like: every oks duration can be shortened. */
const OksTimingEnv = z.object({
  OKS_TASK_POLL_INITIAL: DurationMs.optional(),
  OKS_TASK_POLL_MAX: DurationMs.optional(),
  OKS_TASK_DEADLINE: DurationMs.optional(),
  OKS_HOLD_TERM: DurationMs.optional(),
  OKS_RELEASE_ESCALATION: DurationMs.optional(),
});

export function oksTimingFrom(env: Record<string, string | undefined>): Partial<OksTiming> {
  const t = parse(OksTimingEnv, env);
  const timing: Partial<OksTiming> = {
    taskPollInitialMs: t.OKS_TASK_POLL_INITIAL,
    taskPollMaxMs: t.OKS_TASK_POLL_MAX,
    taskDeadlineMs: t.OKS_TASK_DEADLINE,
    holdTermMs: t.OKS_HOLD_TERM,
    releaseEscalationMs: t.OKS_RELEASE_ESCALATION,
  };
  return Object.fromEntries(Object.entries(timing).filter(([, v]) => v !== undefined));
}

export function oksBinding(timing: Partial<OksTiming> = {}): ProviderBinding {
  return {
    provider: 'oks',
    workflowType: 'oksLayoutBooking',
    request: BookLayoutRequest,
    timing,
    actions: {
      cancel: cancelAction,
      complete: {
        update: completeUpdate.name,
        roles: ['app', 'approver'],
        summary: 'The deal went ahead: the held layout stays with the client and the booking completes.',
      },
    },
  };
}

export type ProviderBindings = Partial<Record<Provider, ProviderBinding>>;

export function providerBindingsFrom(env: Record<string, string | undefined>): ProviderBindings {
  return { oks: oksBinding(oksTimingFrom(env)) };
}
