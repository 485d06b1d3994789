/** chrono activities: one HTTP call each, on a booking of a chrono agenda. */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { activityLogger } from '../logging';
import type { CancelOutcome, ChronoClient } from './client';
import { type ChronoBookingRequest, ORCHESTRATOR_KEY, type PresenceRequest } from './contract';

/** What the workflow keeps of fillslot's answer: no personal data. */
export interface FilledSlot {
  booking_id: number;
  in_waiting_list: boolean;
  /** chrono's local times, as it wrote them. */
  datetime: string;
  end_datetime: string;
  /** The same as instants (ISO, UTC), read in the request's time zone. */
  startsAt: string;
  endsAt: string;
  agenda: { slug: string; label: string };
  /** Bookings an earlier, unanswered attempt left at chrono, cancelled before booking again. */
  replacedEarlierAttempts: number[];
}

export interface ChronoDeps {
  chrono: ChronoClient;
  logger: Logger;
}

export function createChronoActivities({ chrono, logger }: ChronoDeps) {
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
      const replacedEarlierAttempts: number[] = [];
      if (Context.current().info.attempt > 1) {
        const earlier = await chrono.userBookings({ user_external_id: request.user_external_id, agenda: request.agenda }, log);
        for (const booking of earlier.filter((b) => b.extra_data?.[ORCHESTRATOR_KEY] === bookingId)) {
          await chrono.cancel(booking.id, log);
          replacedEarlierAttempts.push(booking.id);
        }
      }
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
      return {
        booking_id: answer.booking_id,
        in_waiting_list: answer.in_waiting_list,
        datetime: answer.datetime,
        end_datetime: answer.end_datetime,
        startsAt: instantOf(answer.datetime, request.timezone),
        endsAt: instantOf(answer.end_datetime, request.timezone),
        agenda: { slug: answer.agenda?.slug ?? request.agenda, label: answer.agenda?.label ?? request.agenda },
        replacedEarlierAttempts,
      };
    },

    async acceptChronoBooking(chronoBookingId: number): Promise<{ overbooked_places: number }> {
      const answer = await chrono.accept(chronoBookingId, activityLogger(logger));
      return { overbooked_places: answer.overbooked_places };
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

    /** "Already cancelled" and "not found" count as done: nothing is held any more. */
    async cancelChronoBooking(chronoBookingId: number): Promise<CancelOutcome> {
      return chrono.cancel(chronoBookingId, activityLogger(logger));
    },

    async anonymizeChronoBooking(chronoBookingId: number): Promise<void> {
      await chrono.anonymize(chronoBookingId, activityLogger(logger));
    },

    async deleteChronoBooking(chronoBookingId: number): Promise<void> {
      await chrono.delete(chronoBookingId, activityLogger(logger));
    },
  };
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
