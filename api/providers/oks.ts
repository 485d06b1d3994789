/** oks in the API: layout requests, the `complete` answer, durations from OKS_* variables, and oks's own endpoints. */
import { durationsFrom } from '../../config/env';
import { complete, type OksTiming, oksLayoutBooking } from '../../workflows/oks';
import { cancelAction, type ProviderBinding, refuseOtherMethods } from './binding';
import { DocumentedBookLayoutRequest, OKS_FACADE_DOCS, oksFacadeErrors, oksFacadeRoutes } from './oks-facade';

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
    request: DocumentedBookLayoutRequest,
    timing,
    routes: [
      {
        mountPath: '/api/v1/service/projects/layouts',
        router: (service, binding) => refuseOtherMethods(oksFacadeRoutes(service, binding), OKS_FACADE_DOCS),
        errorHandler: oksFacadeErrors,
        docs: OKS_FACADE_DOCS,
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

