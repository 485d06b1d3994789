/** chrono activities: one HTTP call each, on a booking of a chrono agenda. */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { FailureType } from '../../common/failure-types';
import { type ReleaseOutcome, released } from '../../common/release';
import { activityLogger } from '../logging';
import type { ChronoClient } from './client';
import { type ChronoBookingRequest, LocalDateTime, ORCHESTRATOR_KEY, type PresenceRequest, isTaggedWith } from './contract';

/** What the workflow keeps of fillslot's answer: no personal data. */
export interface FilledSlot {
  booking_id: number;
  in_waiting_list: boolean;
  /** chrono's local times, as it wrote them; null when its answer did not say (the seed never promises them). */
  datetime: string | null;
  end_datetime: string | null;
  /** The same as instants (ISO, UTC), read in the request's time zone; null when unknown. */
  startsAt: string | null;
  endsAt: string | null;
  agenda: { slug: string; label: string };
  /** Bookings an earlier, unanswered attempt left at chrono, cancelled before booking again. */
  replacedEarlierAttempts: number[];
}

/** Where the bookings made for one of our bookings are found: the user's list on the agenda. */
export interface ChronoTagged {
  user_external_id: string;
  agenda: string;
}

export interface ChronoDeps {
  chrono: ChronoClient;
  logger: Logger;
}

export function createChronoActivities({ chrono, logger }: ChronoDeps) {
  /** Cancels every booking of the user's list on the agenda that carries our bookingId's tag; returns their ids. */
  const cancelTagged = async (bookingId: string, where: ChronoTagged, log: Logger): Promise<number[]> => {
    const list = await chrono.userBookings({ user_external_id: where.user_external_id, agenda: where.agenda }, log);
    const tagged = list.filter((b) => isTaggedWith(b, bookingId)).map((b) => b.id);
    for (const id of tagged) await chrono.cancel(id, log);
    return tagged;
  };

  return {
    /**
     * Books places with fillslot. chrono has no idempotency key, so the booking
     * carries ours in `extra_data`: a retry after an unanswered attempt finds
     * what that attempt booked in the user's list and cancels it first, so the
     * user never ends up with two bookings. (The list has no event times, so
     * the earlier booking cannot simply be adopted.)
     */
    async fillChronoSlot(bookingId: string, request: ChronoBookingRequest): Promise<FilledSlot> {
      const log = activityLogger(logger);
      const replacedEarlierAttempts = Context.current().info.attempt > 1 ? await cancelTagged(bookingId, request, log) : [];
      const answer = await chrono.fillslot(
        request.agenda,
        String(request.slot),
        {
          user_external_id: request.user_external_id,
          user_first_name: request.user_first_name,
          user_last_name: request.user_last_name,
          user_email: request.user_email,
          user_phone_number: request.user_phone_number,
          label: request.label,
          count: request.count,
          exclude_user: request.exclude_user,
          [ORCHESTRATOR_KEY]: bookingId,
        },
        log,
      );
      // Not in the answer: the booking itself says which list it is on (a failure here retries, the retry replaces it).
      const inWaitingList = answer.in_waiting_list ?? (await chrono.read(answer.booking_id, log)).in_waiting_list;
      const datetime = localTime(answer.datetime);
      const endDatetime = localTime(answer.end_datetime);
      const agenda = answer.agenda as { slug?: unknown; label?: unknown } | null | undefined;
      return {
        booking_id: answer.booking_id,
        in_waiting_list: inWaitingList,
        datetime,
        end_datetime: endDatetime,
        startsAt: datetime && instantOf(datetime, request.timezone),
        endsAt: endDatetime && instantOf(endDatetime, request.timezone),
        agenda: {
          slug: typeof agenda?.slug === 'string' ? agenda.slug : request.agenda,
          label: typeof agenda?.label === 'string' ? agenda.label : request.agenda,
        },
        replacedEarlierAttempts,
      };
    },

    /**
     * The release of a fillslot, known before the call: whatever chrono booking
     * carries our bookingId's tag is cancelled (found in the user's list), and
     * the one fillslot named, if it did. Nothing found is nothing held.
     * Counted only on chrono's word: `err: 0`, or its "already cancelled".
     */
    async releaseChronoSlot(bookingId: string, where: ChronoTagged, knownChronoId?: number): Promise<ReleaseOutcome> {
      const log = activityLogger(logger);
      return onlyOnEvidence(async () => {
        const cancelled = knownChronoId === undefined ? [] : [knownChronoId];
        if (knownChronoId !== undefined) await chrono.cancel(knownChronoId, log);
        for (const id of await cancelTagged(bookingId, where, log)) if (!cancelled.includes(id)) cancelled.push(id);
        return released(
          cancelled.length > 0
            ? `chrono booking(s) ${cancelled.join(', ')} cancelled (or already cancelled)`
            : 'no chrono booking carries this booking\'s tag: nothing was held',
        );
      });
    },

    async acceptChronoBooking(chronoBookingId: number): Promise<{ overbooked_places: number | null }> {
      const answer = await chrono.accept(chronoBookingId, activityLogger(logger));
      return { overbooked_places: answer.overbooked_places ?? null };
    },

    async suspendChronoBooking(chronoBookingId: number): Promise<void> {
      await chrono.suspend(chronoBookingId, activityLogger(logger));
    },

    async resizeChronoBooking(chronoBookingId: number, count: number): Promise<void> {
      await chrono.resize(chronoBookingId, count, activityLogger(logger));
    },

    async markChronoPresence(chronoBookingId: number, presence: PresenceRequest): Promise<void> {
      await chrono.markPresence(chronoBookingId, presence, activityLogger(logger));
    },

    /** The release of bookings started before releaseChronoSlot: one booking, by id. "Already cancelled" and "not found" count as done. */
    async cancelChronoBooking(chronoBookingId: number): Promise<ReleaseOutcome> {
      return onlyOnEvidence(async () => released(`chrono booking ${chronoBookingId} ${await chrono.cancel(chronoBookingId, activityLogger(logger))}`));
    },

    async anonymizeChronoBooking(chronoBookingId: number): Promise<void> {
      await chrono.anonymize(chronoBookingId, activityLogger(logger));
    },

    async deleteChronoBooking(chronoBookingId: number): Promise<void> {
      await chrono.delete(chronoBookingId, activityLogger(logger));
    },
  };
}

/** A release answered with something chrono does not document is no evidence: it is asked again. */
async function onlyOnEvidence(release: () => Promise<ReleaseOutcome>): Promise<ReleaseOutcome> {
  try {
    return await release();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FailureType.ProviderContractViolation) {
      throw ApplicationFailure.retryable(`no evidence of the release: ${err.message}`, FailureType.ProviderUnavailable);
    }
    throw err;
  }
}

/** A local time chrono wrote in its documented shape, or null (missing, or a shape the workflow cannot read). */
function localTime(value: unknown): string | null {
  return LocalDateTime.safeParse(value).success ? (value as string) : null;
}

export type ChronoActivities = ReturnType<typeof createChronoActivities>;

/** chrono's "YYYY-MM-DD HH:MM[:SS]" wall-clock time in `timeZone`, as an ISO instant. */
export function instantOf(local: string, timeZone: string): string {
  const [date, time] = local.split(' ');
  const asIfUtc = Date.parse(`${date}T${time!.length === 5 ? `${time}:00` : time}Z`);
  // The zone's offset at that moment; asked twice so a time next to a DST change lands right.
  let instant = asIfUtc - offsetOf(asIfUtc, timeZone);
  instant = asIfUtc - offsetOf(instant, timeZone);
  return new Date(instant).toISOString();
}

function offsetOf(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wallClock = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wallClock - Math.floor(instant / 1000) * 1000;
}
