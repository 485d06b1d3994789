/** Typed client of Brusnika's CRM; errors classified by the shared HTTP helper, prices read exactly. */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { ProviderHttpClient, type ProviderEndpoint } from '../http';
import { FailureType } from '../../common/failure-types';
import {
  AgenciesPage,
  AgencyAnswer,
  type Booking,
  BookingAnswer,
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
  brusnikaErrorCode,
  isBrusnikaCredentialsRejection,
  parseBrusnikaJson,
  readBrusnikaRefusal,
} from './contract';

export type ReleaseOutcome = 'released' | 'already_released';

type Query = Record<string, string | number | boolean | undefined>;

/** Lists travel as `a,b`. */
function toQuery(filters: Record<string, string | number | boolean | readonly (string | number)[] | undefined>): Query {
  return Object.fromEntries(Object.entries(filters).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value])) as Query;
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
      if (answer.data.length === 0 || page * answer.meta.per_page >= answer.meta.total) return undefined;
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

  /** A booking that is `fail` already (decided, or cancelled before) holds nothing: released. */
  async cancelBooking(id: number, logger?: Logger): Promise<ReleaseOutcome> {
    try {
      await this.http.request({ method: 'POST', path: `/bookings/${id}/cancel`, schema: BookingAnswer }, logger);
      return 'released';
    } catch (err) {
      if (refusalCode(err) === BrusnikaCode.BookingNotActive) return 'already_released';
      throw err;
    }
  }

  async createVisit(visit: CreateVisitRequest, logger?: Logger): Promise<Visit> {
    return (await this.http.request({ method: 'POST', path: '/visits', body: visit, schema: VisitAnswer }, logger)).data;
  }

  async visit(id: number, logger?: Logger): Promise<Visit> {
    return (await this.http.request({ method: 'GET', path: `/visits/${id}`, schema: VisitAnswer }, logger)).data;
  }

  /** Cancelling a visit frees its time slot in the CRM. */
  async cancelVisit(id: number, logger?: Logger): Promise<ReleaseOutcome> {
    try {
      await this.http.request({ method: 'POST', path: `/visits/${id}/cancel`, schema: VisitAnswer }, logger);
      return 'released';
    } catch (err) {
      if (refusalCode(err) === BrusnikaCode.VisitNotActive) return 'already_released';
      throw err;
    }
  }

  async bookTimeSlot(slotId: number, holder: { agent_id: number; client_id: number }, logger?: Logger) {
    return (await this.http.request({ method: 'POST', path: `/time-slots/${slotId}/book`, body: holder, schema: TimeSlotAnswer }, logger)).data;
  }
}
