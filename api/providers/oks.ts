/** oks in the API: layout requests, the `complete` answer, durations from OKS_* variables, and oks's own endpoints. */
import { z } from 'zod';
import { BookLayoutRequest } from '../../activities/oks/contract';
import { DurationMs, parse } from '../../config/env';
import { completeUpdate, type OksTiming } from '../../workflows/oks';
import { cancelAction, type ProviderBinding } from './binding';
import { oksFacadeErrors, oksFacadeRoutes } from './oks-facade';

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
    routes: (service, binding) => [
      { mountPath: '/api/v1/service/projects/layouts', router: oksFacadeRoutes(service, binding), errorHandler: oksFacadeErrors },
    ],
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

