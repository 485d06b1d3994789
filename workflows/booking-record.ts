/**
 * The booking view kept by a workflow, and what operators see of it: every
 * change of status is mirrored to the search attributes and the memo summary,
 * and written to the timeline. One mechanism for every provider's workflow.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { log, patched, setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  type BookingError,
  type BookingStatus,
  type BookingView,
  type Provider,
  type Waiting,
  isTerminal,
} from './booking';
import { BookingAttention, BookingDeadline, BookingReference, BookingStatus as BookingStatusKey, BookingWaitingOn } from './search-attributes';
import { tellTrip } from './trip-leg';

/** Why an operator must look: a release that keeps failing, an outcome no one can find out, or something else to check. */
export type AttentionKind = 'release_failing' | 'outcome_unknown' | 'check';

/** Bookings started since their attention is a search attribute operators filter on. */
const SEARCHABLE_ATTENTION = 'searchable-attention';

/**
 * Bookings started since write what changed of their search attributes once a workflow task, in one upsert (each
 * upsert is a history event and a visibility write); their summary is the workflow's current details (the UI's
 * workflow page, no event) instead of the memo; and they have every earlier patch's behaviour without its marker
 * (a marker and its TemporalChangeVersion upsert are two more events).
 */
const LEAN_HISTORY = 'lean-history';

/** Timelines stay short: a booking's history lives in Temporal, the view is for reading. */
const TIMELINE_LIMIT = 50;

export class BookingRecord {
  private readonly data: BookingView;
  private attentionKind: AttentionKind | undefined;
  /** Read once at the start: a booking keeps the behaviour it started with for its whole life. */
  private readonly lean = patched(LEAN_HISTORY);
  /** Search attributes changed and not yet written, by name (lean bookings). */
  private readonly unwritten = new Map<string, SearchAttributeUpdatePair>();

  constructor(bookingId: string, provider: Provider, client: string, createdAt = workflowInfo().startTime.toISOString()) {
    const now = new Date().toISOString();
    this.data = {
      bookingId,
      provider,
      client,
      status: 'pending',
      stage: 'received',
      createdAt,
      updatedAt: now,
      waitingFor: null,
      references: {},
      result: null,
      error: null,
      attention: null,
      cancellable: true,
      revision: 1,
      timeline: [{ at: now, status: 'pending', stage: 'received', note: 'booking received' }],
    };
  }

  /** A copy, so a query never hands out the live object (the workflow sandbox has no structuredClone). */
  get view(): BookingView {
    return JSON.parse(JSON.stringify(this.data)) as BookingView;
  }

  get status(): BookingStatus {
    return this.data.status;
  }

  get stage(): string {
    return this.data.stage;
  }

  get isTerminal(): boolean {
    return isTerminal(this.data.status);
  }

  /** Whether the booking has `patch`'s behaviour: lean bookings have every earlier patch's without recording it. */
  hasPatch(patch: string): boolean {
    return this.lean || patched(patch);
  }

  /** Moves the booking on; the status reaches search attributes and memo at once. */
  moveTo(status: BookingStatus, stage: string, note: string, waitingFor: Waiting | null = null): void {
    const statusChanged = status !== this.data.status;
    const waitChanged = waitingFor?.on !== this.data.waitingFor?.on || waitingFor?.deadline !== this.data.waitingFor?.deadline;
    this.data.status = status;
    this.data.stage = stage;
    this.data.waitingFor = waitingFor;
    if (isTerminal(status)) this.data.cancellable = false;
    this.record(note);
    if (statusChanged) this.upsert({ key: BookingStatusKey, value: status });
    // Who it waits for and until when: the approvals inbox lists by them (lean bookings: earlier ones never said).
    if (waitChanged && this.lean) {
      this.upsert({ key: BookingWaitingOn, value: waitingFor?.on ?? null });
      this.upsert({ key: BookingDeadline, value: waitingFor?.deadline ? new Date(waitingFor.deadline) : null });
    }
    this.publishSummary();
    log.info('booking moved', { bookingId: this.data.bookingId, status, stage });
  }

  /** Provider identifiers; they become searchable as `provider:name:value`. Those a provider left out are skipped. */
  addReferences(references: Record<string, string | number | null | undefined>): void {
    const before = JSON.stringify(this.data.references);
    for (const [name, value] of Object.entries(references)) if (value !== undefined && value !== null) this.data.references[name] = value;
    if (this.lean && JSON.stringify(this.data.references) === before) return;
    this.upsert({ key: BookingReference, value: Object.entries(this.data.references).map(([name, value]) => `${this.data.provider}:${name}:${value}`) });
  }

  setResult(result: Record<string, unknown>): void {
    this.data.result = result;
    this.touch();
  }

  setError(error: BookingError): void {
    this.data.error = error;
    this.touch();
  }

  /** Whether an app may cancel; a reason given when it may not is shown in the view and recorded. */
  setCancellable(cancellable: boolean, reason?: string): void {
    this.data.cancellable = cancellable;
    if (!cancellable && reason) this.data.notCancellableReason = reason;
    else delete this.data.notCancellableReason;
    if (reason) this.record(reason);
    else this.touch();
  }

  /** Something an operator must look at; shown in the view and the memo, and searchable by its kind. */
  flag(attention: string | null, kind: AttentionKind = 'check'): void {
    const changed = (attention === null) !== (this.data.attention === null) || (attention !== null && kind !== this.attentionKind);
    this.data.attention = attention;
    this.attentionKind = attention === null ? undefined : kind;
    if (changed && this.hasPatch(SEARCHABLE_ATTENTION)) this.upsert({ key: BookingAttention, value: attention === null ? null : kind });
    if (attention) {
      this.record(`attention: ${attention}`);
      log.warn('booking needs attention', { bookingId: this.data.bookingId, attention });
    } else {
      this.touch();
    }
    this.publishSummary();
  }

  /** A note in the timeline without a change of status (an answer given, by whom; a signal that was ignored). */
  note(note: string, by?: string): void {
    this.record(note, by);
  }

  private record(note: string, by?: string): void {
    const at = new Date().toISOString();
    this.data.updatedAt = at;
    this.data.revision += 1;
    this.data.timeline.push({ at, status: this.data.status, stage: this.data.stage, note, ...(by ? { by } : {}) });
    if (this.data.timeline.length > TIMELINE_LIMIT) this.data.timeline.splice(1, this.data.timeline.length - TIMELINE_LIMIT);
  }

  private touch(): void {
    this.data.updatedAt = new Date().toISOString();
    this.data.revision += 1;
  }

  /** One line for operators: provider, status, stage, and any alarm. No personal data. */
  private publishSummary(): void {
    const parts = [`${this.data.provider} ${this.data.status} (${this.data.stage})`];
    if (this.data.waitingFor?.deadline) parts.push(`waits for ${this.data.waitingFor.actions.join('/')} until ${this.data.waitingFor.deadline}`);
    if (this.data.attention) parts.push(`ATTENTION: ${this.data.attention}`);
    if (this.lean) setCurrentDetails(parts.join('; '));
    else upsertMemo({ summary: parts.join('; ') });
    tellTrip(this.data);
  }

  private upsert(pair: SearchAttributeUpdatePair): void {
    if (!this.lean) return upsertSearchAttributes([pair]);
    // The first change of a workflow task queues the write: it runs once the task's code has moved on to its next wait.
    if (this.unwritten.size === 0) void Promise.resolve().then(() => this.write());
    this.unwritten.set(pair.key.name, pair);
  }

  /** Writes the search attributes changed since the last write, in one upsert (lean bookings; others wrote at each change). */
  write(): void {
    if (this.unwritten.size === 0) return;
    upsertSearchAttributes([...this.unwritten.values()]);
    this.unwritten.clear();
  }
}
