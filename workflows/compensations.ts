/**
 * The compensation stack every booking workflow uses: a release is pushed right
 * after the step that holds something at a provider, and on failure, cancel or
 * expiry the releases run newest first. Unlike the saga sample, a release is
 * never given up on: it runs shielded from cancellation, retries until it
 * succeeds, and after a while flags the booking so an operator sees it.
 */
import { ActivityFailure, CancellationScope, sleep } from '@temporalio/workflow';
import type { BookingRecord } from './booking-record';
import { describeFailure } from './failures';

interface Release<A> {
  what: string;
  run: (activities: A) => Promise<unknown>;
}

export interface CompensationOptions<A> {
  /**
   * The activities that release; their retries should stop after the
   * escalation period (scheduleToCloseTimeout), when the booking is flagged
   * and a new round begins.
   */
  activities: A;
  /** Pause between rounds once the activity's own retries gave up. */
  pauseBetweenRoundsMs: number;
}

export class CompensationStack<A> {
  private readonly releases: Release<A>[] = [];

  constructor(
    private readonly record: BookingRecord,
    private readonly options: CompensationOptions<A>,
  ) {}

  get size(): number {
    return this.releases.length;
  }

  /** Pushed right after the step that holds something, before the next step. */
  push(what: string, run: (activities: A) => Promise<unknown>): void {
    this.releases.push({ what, run });
  }

  /** Runs every release, newest first. Returns once all of them succeeded. */
  async unwind(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (let release = this.releases.pop(); release; release = this.releases.pop()) {
        await this.runUntilDone(release);
      }
    });
  }

  private async runUntilDone(release: Release<A>): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        await release.run(this.options.activities);
        if (round > 1) this.record.flag(null);
        this.record.note(`released: ${release.what}`);
        return;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        this.record.flag(`release "${release.what}" keeps failing (round ${round}): ${describeFailure(err).message}; retrying until it succeeds`);
        await sleep(this.options.pauseBetweenRoundsMs);
      }
    }
  }
}
