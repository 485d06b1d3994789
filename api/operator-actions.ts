/**
 * The answers an operator gives any booking whose release keeps failing
 * (`waitingFor.on` is `operator`): retry it now, or mark it released by hand
 * with the reason, which the booking records.
 */
import { z } from 'zod';
import { type MarkReleasedRequest, markReleased, retryRelease } from '../workflows/kit';
import type { ActionBinding, ProviderBinding } from './providers/binding';

const MarkReleasedBody = z.strictObject({
  reason: z.string().trim().min(1, 'reason is required: what was done by hand').max(500, 'reason is at most 500 characters'),
}) satisfies z.ZodType<MarkReleasedRequest>;

const operatorActions: Record<string, ActionBinding> = {
  retryRelease: {
    update: retryRelease.update.name,
    roles: ['approver'],
    summary: 'A release keeps failing: try it again now rather than at the end of the pause.',
  },
  markReleased: {
    update: markReleased.update.name,
    body: MarkReleasedBody,
    roles: ['approver'],
    summary: 'A release keeps failing and was done by hand at the provider: count it done, with the reason (recorded).',
  },
};

/** A provider's binding with the operator's answers every booking takes. */
export const withOperatorActions = (binding: ProviderBinding): ProviderBinding => ({ ...binding, actions: { ...binding.actions, ...operatorActions } });
