/** Typed client of Brusnika's CRM; errors classified by the shared HTTP helper, prices read exactly. */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ProviderHttpClient, type ProviderEndpoint } from '../http';
import { FailureType } from '../../common/failure-types';
import { type ReleaseOutcome, released } from '../../common/release';
import {
  AgenciesPage,
  AgencyAnswer,
  type Booking,
  BookingAnswer,
  BookingsPage,
  type BookingsQuery,
  BrusnikaCode,
  BuildingsPage,
  type BuildingsQuery,
  CitiesPage,
  type CitiesQuery,
  ClientAnswer,
  ClientsPage,
  type CreateAgencyRequest,
  type CreateBookingRequest,
  type CreateClientRequest,
  type CreateVisitRequest,
  LeadsPage,
  type LeadsQuery,
  MAX_PER_PAGE,
  type Premise,
  PremisesPage,
  type PremisesQuery,
  ProjectsPage,
  type ProjectsQuery,
  SectionsPage,
  type SectionsQuery,
  TimeSlotAnswer,
  TimeSlotsPage,
  type TimeSlotsQuery,
  type Visit,
  VisitAnswer,
  VisitsPage,
  type VisitsQuery,
  brusnikaErrorCode,
  isBrusnikaCredentialsRejection,
  parseBrusnikaJson,
  readBrusnikaRefusal,
} from './contract';

export type { ReleaseOutcome };

/** A list the CRM does not serve (404 on the path itself): the caller falls back to what the seed offers. */
export class ListNotServed extends Error {}

type Query = Record<string, string | number | boolean | undefined>;

/** Lists travel as `a,b`. */
function toQuery(filters: Record<string, string | number | boolean | readonly (string | number)[] | undefined>): Query {
  return Object.fromEntries(Object.entries(filters).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value])) as Query;
}

/** A cancel's answer that proves it: the record, now `fail`. */
const CancelledAnswer = z.looseObject({ data: z.looseObject({ status: z.literal('fail') }) });

/** The last page of a list: empty, shorter than a full page, or the last by `meta`. */
function lastPage(answer: { data: unknown[]; meta?: { per_page: number; total: number } }, page: number): boolean {
  if (answer.data.length === 0) return true;
  if (answer.meta) return page * answer.meta.per_page >= answer.meta.total;
  return answer.data.length < MAX_PER_PAGE;
}

/** The HTTP status of a refusal. */
function refusalStatus(err: unknown): number | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== FailureType.ProviderRefused) return undefined;
  const [details] = (err.details ?? []) as { status?: unknown }[];
  return typeof details?.status === 'number' ? details.status : undefined;
}

/** Brusnika's refusal code, when `err` is a refusal that carries one. */
export function refusalCode(err: unknown): string | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== FailureType.ProviderRefused) return undefined;
  const [details] = (err.details ?? []) as { body?: unknown }[];
  return brusnikaErrorCode(details?.body);
}

export class BrusnikaClient {
  private readonly http: ProviderHttpClient;

  constructor(endpoint: ProviderEndpoint, logger: Logger) {
    this.http = new ProviderHttpClient(endpoint, logger, readBrusnikaRefusal, {
      parseJson: parseBrusnikaJson,
      isCredentialsRejection: isBrusnikaCredentialsRejection,
    });
  }

  // Reference lists.

  cities(query: CitiesQuery, logger?: Logger) {
    return this.http.request({ method: 'GET', path: '/cities', query: toQuery(query), schema: CitiesPage }, logger);
  }

  projects(query: ProjectsQuery, logger?: Logger) {
    return this.http.request({ method: 'GET', path: '/projects', query: toQuery(query), schema: ProjectsPage }, logger);
  }

  buildings(query: BuildingsQuery, logger?: Logger) {
    return this.http.request({ method: 'GET', path: '/buildings', query: toQuery(query), schema: BuildingsPage }, logger);
  }

  sections(query: SectionsQuery, logger?: Logger) {
    return this.http.request({ method: 'GET', path: '/sections', query: toQuery(query), schema: SectionsPage }, logger);
  }

  premises(query: PremisesQuery, logger?: Logger) {
    return this.http.request({ method: 'GET', path: '/premises', query: toQuery(query), schema: PremisesPage }, logger);
  }

  leads(query: LeadsQuery, logger?: Logger) {
    return this.http.request({ method: 'GET', path: '/leads', query: toQuery(query), schema: LeadsPage }, logger);
  }

  freeTimeSlots(query: TimeSlotsQuery, logger?: Logger) {
    return this.http.request({ method: 'GET', path: '/time-slots', query: toQuery(query), schema: TimeSlotsPage }, logger);
  }

  /** The list has no id filter: pages are read until the premise turns up. */
  async findPremise(premiseId: number, logger?: Logger): Promise<Premise | undefined> {
    for (let page = 1; ; page += 1) {
      const answer = await this.premises({ page, per_page: MAX_PER_PAGE }, logger);
      const found = answer.data.find((p) => p.id === premiseId);
      if (found) return found;
      if (lastPage(answer, page)) return undefined;
    }
  }

  /** Every item of a list, page by page. */
  private async all<T>(read: (page: number) => Promise<{ data: T[]; meta?: { per_page: number; total: number } }>): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page += 1) {
      const answer = await read(page);
      items.push(...answer.data);
      if (lastPage(answer, page)) return items;
    }
  }

  /** The client's leads on the premise. */
  leadsOf(clientId: number, premiseId: number, logger?: Logger) {
    return this.all((page) => this.leads({ client_id: clientId, premise_id: premiseId, page, per_page: MAX_PER_PAGE }, logger));
  }

  /** Whether the slot is among the free ones. */
  async isSlotFree(slotId: number, logger?: Logger): Promise<boolean> {
    const free = await this.all((page) => this.freeTimeSlots({ page, per_page: MAX_PER_PAGE }, logger));
    return free.some((slot) => slot.id === slotId);
  }

  /** Bookings by their fields (see the contract); ListNotServed when the CRM has no such list. */
  bookingsOf(query: Omit<BookingsQuery, 'page' | 'per_page'>, logger?: Logger): Promise<Booking[]> {
    return this.listOrNotServed('/bookings', (page) =>
      this.http.request({ method: 'GET', path: '/bookings', query: toQuery({ ...query, page, per_page: MAX_PER_PAGE }), schema: BookingsPage }, logger),
    );
  }

  /** Visits by their fields (see the contract); ListNotServed when the CRM has no such list. */
  visitsOf(query: Omit<VisitsQuery, 'page' | 'per_page'>, logger?: Logger): Promise<Visit[]> {
    return this.listOrNotServed('/visits', (page) =>
      this.http.request({ method: 'GET', path: '/visits', query: toQuery({ ...query, page, per_page: MAX_PER_PAGE }), schema: VisitsPage }, logger),
    );
  }

  private async listOrNotServed<T>(path: string, read: (page: number) => Promise<{ data: T[]; meta?: { per_page: number; total: number } }>): Promise<T[]> {
    try {
      return await this.all(read);
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === FailureType.ProviderRefused && refusalStatus(err) === 404) throw new ListNotServed(`the CRM does not list ${path}`);
      throw err;
    }
  }

  // Agencies and clients.

  async searchAgencyByInn(inn: string, logger?: Logger) {
    return (await this.http.request({ method: 'GET', path: '/agencies/search', query: { inn }, schema: AgenciesPage }, logger)).data;
  }

  async createAgency(agency: CreateAgencyRequest, logger?: Logger) {
    return (await this.http.request({ method: 'POST', path: '/agencies', body: agency, schema: AgencyAnswer }, logger)).data;
  }

  async searchClientsByPhone(phone: string, logger?: Logger) {
    return (await this.http.request({ method: 'GET', path: '/clients/search', query: { phone_number: phone }, schema: ClientsPage }, logger)).data;
  }

  async createClient(client: CreateClientRequest, logger?: Logger) {
    return (await this.http.request({ method: 'POST', path: '/clients', body: client, schema: ClientAnswer }, logger)).data;
  }

  // Bookings, visits, time slots.

  async createBooking(booking: CreateBookingRequest, logger?: Logger): Promise<Booking> {
    return (await this.http.request({ method: 'POST', path: '/bookings', body: booking, schema: BookingAnswer }, logger)).data;
  }

  async booking(id: number, logger?: Logger): Promise<Booking> {
    return (await this.http.request({ method: 'GET', path: `/bookings/${id}`, schema: BookingAnswer }, logger)).data;
  }

  /**
   * Cancels a booking, on positive evidence only: the CRM's answer showing it `fail`,
   * or its documented "not active" (409, released already) or "not found" (404). Any
   * other 2xx proves nothing: the call fails retryably and the next attempt asks again.
   */
  async cancelBooking(id: number, logger?: Logger): Promise<ReleaseOutcome> {
    return this.cancel(`/bookings/${id}/cancel`, `booking ${id}`, BrusnikaCode.BookingNotActive, logger);
  }

  async createVisit(visit: CreateVisitRequest, logger?: Logger): Promise<Visit> {
    return (await this.http.request({ method: 'POST', path: '/visits', body: visit, schema: VisitAnswer }, logger)).data;
  }

  async visit(id: number, logger?: Logger): Promise<Visit> {
    return (await this.http.request({ method: 'GET', path: `/visits/${id}`, schema: VisitAnswer }, logger)).data;
  }

  /** Cancelling a visit frees its time slot in the CRM; evidence as for a booking. */
  async cancelVisit(id: number, logger?: Logger): Promise<ReleaseOutcome> {
    return this.cancel(`/visits/${id}/cancel`, `visit ${id}`, BrusnikaCode.VisitNotActive, logger);
  }

  private async cancel(path: string, what: string, notActive: string, logger?: Logger): Promise<ReleaseOutcome> {
    let answer: unknown;
    try {
      answer = await this.http.request({ method: 'POST', path, schema: z.unknown() }, logger);
    } catch (err) {
      if (refusalCode(err) === notActive) return released(`the CRM: ${what} is not active (cancelled or declined already)`);
      if (refusalStatus(err) === 404 && refusalCode(err) === BrusnikaCode.NotFound) return released(`the CRM: ${what} does not exist`);
      throw err;
    }
    const cancelled = CancelledAnswer.safeParse(answer);
    if (cancelled.success) return released(`the CRM cancelled ${what} (status fail)`);
    throw ApplicationFailure.retryable(
      `the CRM answered the cancel of ${what} with 2xx and a body that does not show it cancelled (${JSON.stringify(answer ?? null).slice(0, 120)}); asking again until it does`,
      FailureType.ProviderUnavailable,
    );
  }

  async bookTimeSlot(slotId: number, holder: { agent_id: number; client_id: number }, logger?: Logger) {
    return (await this.http.request({ method: 'POST', path: `/time-slots/${slotId}/book`, body: holder, schema: TimeSlotAnswer }, logger)).data;
  }
}
