/** oks in the API: layout requests, the `complete` answer, durations from OKS_* variables, and oks's own endpoints. */
import { z } from 'zod';
import { BookLayoutRequest } from '../../activities/oks/contract';
import { durationsFrom } from '../../config/env';
import { complete, type OksTiming, oksLayoutBooking } from '../../workflows/oks';
import { cancelAction, type ProviderBinding } from './binding';
import { oksFacadeErrors, oksFacadeRoutes } from './oks-facade';

/** `OKS_TASK_POLL_INITIAL=500ms` and the like: every oks duration can be shortened. */
export const oksTimingFrom = (env: Record<string, string | undefined>): Partial<OksTiming> =>
  durationsFrom(env, {
    taskPollInitialMs: 'OKS_TASK_POLL_INITIAL',
    taskPollMaxMs: 'OKS_TASK_POLL_MAX',
    taskDeadlineMs: 'OKS_TASK_DEADLINE',
    holdTermMs: 'OKS_HOLD_TERM',
    releaseEscalationMs: 'OKS_RELEASE_ESCALATION',
  } satisfies Partial<Record<keyof OksTiming, string>>);

export function oksBinding(timing: Partial<OksTiming> = {}): ProviderBinding {
  return {
    provider: 'oks',
    workflow: oksLayoutBooking,
    request: BookLayoutRequest,
    timing,
    routes: [
      {
        mountPath: '/api/v1/service/projects/layouts',
        router: oksFacadeRoutes,
        errorHandler: oksFacadeErrors,
        docs: [
          { method: 'post', path: '/book', summary: "oks's own: book a layout (an async task; answers {taskId, status, createdAt})" },
          { method: 'get', path: '/book/status/{task_id}', summary: "oks's own: the task's status and result", params: z.object({ task_id: z.string() }) },
          { method: 'post', path: '/unbook', summary: "oks's own: release a held layout by contact_id and shows_id" },
        ],
      },
    ],
    actions: {
      cancel: cancelAction,
      complete: {
        update: complete.update.name,
        roles: ['app', 'approver'],
        summary: 'The deal went ahead: the held layout stays with the client and the booking completes.',
      },
    },
  };
}

