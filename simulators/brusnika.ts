/**
 * Simulator of Brusnika's CRM as Kontur sees it (its seed: the Kontur–Brusnika integration document):
 * reference lists (cities, projects, buildings, sections, premises, leads, free time
 * slots), agencies and clients (search and create), bookings and visits (create, read,
 * cancel) and the booking of a calendar time slot.
 *
 * The seed names entities, fields and methods but no paths; the project fixes the REST
 * paths, JSON, the seed's field names and Bearer auth (see activities/brusnika/contract.ts).
 *
 * Assumptions where the seed is silent:
 * - Errors: `{"error": {"code": "...", "message": "..."}}`, messages in Russian (the CRM's language), codes in English:
 *   400 validation_error, 401 unauthorized, 403 user_blocked | booking_limit_exceeded, 404 not_found,
 *   409 premise_booked | premise_sold | time_slot_taken | booking_not_active | visit_not_active | client_exists | agency_exists,
 *   422 <entity>_not_found for an unknown id in a body (agent, client, premise, project, city), purchase_option_not_available, time_slot_not_found.
 * - Auth is one integration token (Bearer) for the Kontur system; the acting user is the body's `agent_id` (bookings and visits carry it).
 * - Lists answer `{"data": [...], "meta": {"page", "per_page", "total"}}` (page from 1, per_page default 20, max 100), ordered by id; single entities answer `{"data": {...}}`.
 * - Creates answer 201, cancels and time-slot booking 200; no idempotency key exists, so a repeated booking create meets `premise_booked`.
 * - `price` is a JSON integer literal of any size (never a string, never rounded); `price_min`/`price_max` filters are parsed as exact integers.
 * - Premises carry no project id (seed: `---`); `project_id` filters premises through their building. Buildings carry `project_id`, projects `city_id`, premises `section_id`.
 * - Sections and time slots have no fields in the seed: section {id, building_id, name, number, number_of_floors}; time slot {id, project_id, date, time, is_free, agent_id, client_id, visit_id, reserved_until}.
 * - Premise `feature` (seed name kept, singular) is an array of the sign_* values; premise `purchase_option` is the array of allowed options, a booking's is one of them.
 * - `is_booked` means what its name says (true = booked), despite the BT label "свободно для бронирования".
 * - Building free counts (`total_*`, strings as in the seed) are computed live from premises neither booked nor sold.
 * - A booking is `open` while the CRM decides, then `success` or `fail` (with `reason`) after `bookingDecisionMs`; the premise is held (is_booked) while open or success.
 * - Cancelling a booking or a visit sets status `fail` with reason "Отменено агентом" (the seed's enum has no "cancelled"); cancelling one already `fail` is 409.
 * - A booking takes one of the agent's `remaining_user_creation_limit` ("Количество оставшихся бронирований"); a failed or cancelled booking gives it back.
 * - A blocked user is refused for every create (client, booking, visit, time slot); roles are not checked.
 * - Creating a booking opens (or moves) the client's lead on that premise to `бронь`; a failed booking moves it to `слетевшая бронь`, a cancelled one to `отмененная бронь`.
 * - A visit ("заявка на показ") needs the time slot of its project at its date and time: a free slot is taken, a slot held by the same agent and client is used; it goes `open` -> `success`/`fail` after `visitDecisionMs`.
 * - A time slot booked without a visit is held for `timeSlotHoldMs`, then freed; GET /time-slots lists free slots only ("Свободные слоты").
 * - Bookings and visits are listed by their own fields like every other entity: GET /bookings?client_id&premise_id&agent_id,
 *   GET /visits?client_id&project_id&agent_id (the seed names no list for them; the project assumes one, see activities/brusnika/contract.ts).
 * - Seed-minimal mode (`faults.seedMinimal`): answers carry exactly the fields the seed lists (SEED_FIELDS): no `section_id`,
 *   `city_id`, `project_id` of a building, `reason`, `status_updated_at`; a premise's `feature` and `purchase_option` as one
 *   enum value each (the seed types `feature` `enum` and leaves `purchase_option`'s type blank).
 * - "date" fields are "YYYY-MM-DD", "date (timestamp)" fields ISO 8601 date-times; a booking's date and time default to now in Asia/Yekaterinburg.
 * - New clients start with fixing_type `проверка лида` and no expiration_date; phones are compared by digits (8XXXXXXXXXX = 7XXXXXXXXXX).
 */
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorContext,
  type SimulatorDefinition,
  type SimulatorOptions,
} from './harness';

// ---------------------------------------------------------------------------
// The seed's enums, spelled as the seed spells them.

export const PremiseType = z.enum(['apartment', 'storeroom', 'parking', 'commercial']);
export type PremiseType = z.infer<typeof PremiseType>;

export const PremiseFeature = z.enum([
  'sign_exchange_rf',
  'sign_floor_to_ceiling',
  'sign_window_in_the_corridor',
  'sign_window_in_the_bathroom',
  'sign_no_finishing',
  'sign_two_level',
  'sign_separate_entrance',
  'sign_open_plan',
  'sign_balcony',
  'sign_summer_kitchen_on_the_roof',
  'sign_loggia',
  'sign_terrace',
  'sign_roof_terrace',
  'sign_terrace_with_access_to_the_roof',
  'sign_second_bathroom',
  'sign_dressing_room_in_the_bedroom',
  'sign_dressing_room',
  'sign_storage_room',
  'sign_laundry_room',
  'sign_master_bedroom',
  'sign_secondary_apartment',
  'sign_ground_parking',
]);
export type PremiseFeature = z.infer<typeof PremiseFeature>;

/** Spelled `mortage` in the seed; kept. */
export const PurchaseOption = z.enum(['mortage', 'installment', 'bill', 'full_payment']);
export type PurchaseOption = z.infer<typeof PurchaseOption>;

export const LeadState = z.enum(['Активные', 'На паузе', 'Проиграна', 'Выиграна']);
export type LeadState = z.infer<typeof LeadState>;

export const LeadStatus = z.enum([
  'открыта',
  'интерес к покупке',
  'презентация',
  'бронь',
  'заявка на договор',
  'договор зарегистрирован',
  'выиграна',
  'отмененная бронь',
  'слетевшая бронь',
  'на паузе',
  'проверка лида',
  'проиграна',
]);
export type LeadStatus = z.infer<typeof LeadStatus>;

export const UserStatus = z.enum(['active', 'blocked']);
export type UserStatus = z.infer<typeof UserStatus>;

export const UserRole = z.enum(['ADMIN', 'AGENT', 'MANAGER', 'NEW_MEMBER', 'HEAD_OF_AGENCY', 'OZK_MANAGER', 'AFFILIATE_MANAGER']);
export type UserRole = z.infer<typeof UserRole>;

export const FixingType = z.enum(['проверка лида', 'отказ в закреплении', 'слабое закрепление', 'сильное закрепление']);
export type FixingType = z.infer<typeof FixingType>;

/** Shared by bookings and visits. */
export const RequestStatus = z.enum(['open', 'success', 'fail']);
export type RequestStatus = z.infer<typeof RequestStatus>;

// ---------------------------------------------------------------------------
// State: the CRM's records. Fields after the seed's are the simulator's own
// bookkeeping (when a decision falls due, who holds a slot) and are not served.

export interface City {
  id: number;
  name: string;
  long: string;
  lat: string;
}

export interface Project {
  id: number;
  city_id: number;
  name: string;
  brief_description: string;
  detailed_description: string;
  end_date: string;
  photo: string;
  link: string;
  description: string;
}

export interface Building {
  id: number;
  project_id: number;
  address: string;
  number_of_floors: number;
  brief_description: string;
  detailed_description: string;
}

export interface Section {
  id: number;
  building_id: number;
  name: string;
  number: number;
  number_of_floors: number;
}

export interface Premise {
  id: number;
  building_id: number;
  section_id: number;
  type: PremiseType;
  rooms: number;
  size: number;
  /** Kept as bigint: the seed's type, and prices above 2^53 must survive exactly. */
  price: bigint;
  floor: number;
  feature: PremiseFeature[];
  photos: string[];
  is_booked: boolean;
  is_sold: boolean;
  purchase_option: PurchaseOption[];
}

export interface Lead {
  id: number;
  client_id: number;
  premise_id: number;
  state: LeadState;
  current_status: LeadStatus;
  sign_nps_passed: boolean;
  fee: number;
  start_date: string;
  status_updated_at: string;
  agent_id: number;
  manager_id: number;
}

export interface User {
  id: number;
  lastName: string;
  firstName: string;
  phone: string;
  email: string;
  status: UserStatus;
  role: UserRole;
  temporary_role: UserRole | null;
  city_id: number;
  birthDate: string;
  agency_id: number | null;
  workStartDate: string;
  avatar: string;
  remaining_user_creation_limit: number;
}

export interface Agency {
  id: number;
  title: string;
  city_id: number;
  legalName: string | null;
  inn: string;
  phone: string | null;
  email: string | null;
  ownerFullName: string | null;
  ownerPhone: string | null;
}

export interface Client {
  id: number;
  fullname: string;
  phone_number: string;
  comment: string | null;
  actived_date: string;
  fixing_type_updated_at: string;
  expiration_date: string | null;
  fixing_type: FixingType;
  agent_id: number;
}

export interface Booking {
  id: number;
  premise_id: number;
  client_id: number;
  agent_id: number;
  date: string;
  time: string;
  purchase_option: PurchaseOption;
  status: RequestStatus;
  reason: string | null;
  status_updated_at: string;
  /** Epoch ms at which the CRM decides an open booking. */
  decide_at: number;
}

export interface Visit {
  id: number;
  project_id: number;
  agent_id: number;
  client_id: number;
  date: string;
  time: string;
  request_date: string;
  request_time: string;
  status: RequestStatus;
  reason: string | null;
  status_updated_at: string;
  time_slot_id: number;
  decide_at: number;
}

export interface TimeSlot {
  id: number;
  project_id: number;
  date: string;
  time: string;
  agent_id: number | null;
  client_id: number | null;
  visit_id: number | null;
  /** Epoch ms when a hold without a visit lapses; null when free, used by a visit, or taken for good. */
  held_until: number | null;
  /** Taken by someone outside Kontur (another channel of the CRM): never freed. */
  taken_elsewhere: boolean;
}

/** How the CRM decides an open booking or visit. */
export const Outcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success') }),
  z.object({ status: z.literal('fail'), reason: z.string().min(1) }),
]);
export type Outcome = z.infer<typeof Outcome>;

export interface BrusnikaTiming {
  /** How long the CRM takes to decide a booking (open -> success|fail). */
  bookingDecisionMs: number;
  /** How long a manager takes to answer a visit request (open -> success|fail). */
  visitDecisionMs: number;
  /** How long a time slot booked without a visit stays held. */
  timeSlotHoldMs: number;
}

export interface BrusnikaState {
  timing: BrusnikaTiming;
  cities: City[];
  projects: Project[];
  buildings: Building[];
  sections: Section[];
  premises: Premise[];
  leads: Lead[];
  users: User[];
  agencies: Agency[];
  clients: Client[];
  bookings: Booking[];
  visits: Visit[];
  timeSlots: TimeSlot[];
  scenarios: {
    /** Keyed by premise id; a premise without one gets `success`. */
    bookingOutcomes: Record<string, Outcome>;
    /** Keyed by project id; a project without one gets `success`. */
    visitOutcomes: Record<string, Outcome>;
    /** False: the CRM serves no list of bookings or visits (404), as a CRM keeping to the seed's methods would. */
    recordListsServed: boolean;
  };
}

export const DEFAULT_TIMING: BrusnikaTiming = {
  bookingDecisionMs: 60_000,
  visitDecisionMs: 120_000,
  timeSlotHoldMs: 15 * 60_000,
};

/** A premise priced above Number.MAX_SAFE_INTEGER, to prove prices travel exactly. */
export const HUGE_PRICE_PREMISE_ID = 3105;
export const HUGE_PRICE = 9007199254740993n;

export const CANCELLED_REASON = 'Отменено агентом';

// ---------------------------------------------------------------------------
// Time helpers. The CRM works in Yekaterinburg time.

const CRM_TIME_ZONE = 'Asia/Yekaterinburg';
const DAY_MS = 24 * 60 * 60_000;

const dateFormat = new Intl.DateTimeFormat('en-CA', { timeZone: CRM_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: CRM_TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

function crmDate(ms: number): string {
  return dateFormat.format(new Date(ms));
}
function crmTime(ms: number): string {
  return timeFormat.format(new Date(ms));
}
function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------
// Fixtures: Brusnika's Ural and Siberian cities, a few projects with premises of
// every type, agents in every situation the tests need.

const MEDIA = 'https://brusnika.ru/media';

function fixtures(now: number, timing: BrusnikaTiming): BrusnikaState {
  const cities: City[] = [
    { id: 1, name: 'Екатеринбург', long: '60.597474', lat: '56.838011' },
    { id: 2, name: 'Тюмень', long: '65.534328', lat: '57.153033' },
    { id: 3, name: 'Новосибирск', long: '82.920430', lat: '55.030199' },
    { id: 4, name: 'Сургут', long: '73.396221', lat: '61.254035' },
  ];

  const projects: Project[] = [
    {
      id: 11,
      city_id: 1,
      name: 'Квартал «Северный берег»',
      brief_description: 'Квартал у городского пруда в 10 минутах от центра',
      detailed_description: 'Пять домов переменной этажности, закрытые дворы без машин, детский сад и школа в квартале.',
      end_date: '2026-12-31',
      photo: `${MEDIA}/projects/11/cover.jpg`,
      link: 'https://brusnika.ru/ekaterinburg/severnyj-bereg',
      description: 'Квартал для семей: дворы без машин, набережная, собственная инфраструктура.',
    },
    {
      id: 12,
      city_id: 1,
      name: 'ЖК «Академический парк»',
      brief_description: 'Дома у парка в Академическом районе',
      detailed_description: 'Кирпичные дома с террасами на последних этажах, подземный паркинг, кладовые на первом этаже.',
      end_date: '2027-06-30',
      photo: `${MEDIA}/projects/12/cover.jpg`,
      link: 'https://brusnika.ru/ekaterinburg/akademicheskij-park',
      description: 'Спокойный район у парка с развитой инфраструктурой.',
    },
    {
      id: 21,
      city_id: 2,
      name: 'Квартал «Речной»',
      brief_description: 'Квартал на берегу Туры',
      detailed_description: 'Три дома с коммерческими помещениями на первых этажах и прогулочной набережной.',
      end_date: '2025-12-31',
      photo: `${MEDIA}/projects/21/cover.jpg`,
      link: 'https://brusnika.ru/tyumen/rechnoj',
      description: 'Жизнь у реки в пяти минутах от исторического центра.',
    },
    {
      id: 31,
      city_id: 3,
      name: 'ЖК «Европейский берег»',
      brief_description: 'Район на берегу Оби',
      detailed_description: 'Большой район с парком, школами и бизнес-центром; дома бизнес-класса.',
      end_date: '2028-03-31',
      photo: `${MEDIA}/projects/31/cover.jpg`,
      link: 'https://brusnika.ru/novosibirsk/evropejskij-bereg',
      description: 'Новый центр Новосибирска на левом берегу Оби.',
    },
  ];

  const buildings: Building[] = [
    { id: 111, project_id: 11, address: 'г. Екатеринбург, ул. Прибрежная, 5', number_of_floors: 12, brief_description: 'Дом 1 у пруда', detailed_description: 'Двухсекционный дом с видом на пруд, кладовые в подвале.' },
    { id: 112, project_id: 11, address: 'г. Екатеринбург, ул. Прибрежная, 7', number_of_floors: 9, brief_description: 'Дом 2 во дворе', detailed_description: 'Односекционный дом с подземным паркингом.' },
    { id: 121, project_id: 12, address: 'г. Екатеринбург, ул. Академика Сахарова, 31', number_of_floors: 16, brief_description: 'Дом у парка', detailed_description: 'Дом с террасами на 16 этаже и коммерцией на первом.' },
    { id: 211, project_id: 21, address: 'г. Тюмень, ул. Береговая, 12', number_of_floors: 10, brief_description: 'Дом на набережной', detailed_description: 'Дом с коммерческими помещениями и паркингом.' },
    { id: 311, project_id: 31, address: 'г. Новосибирск, ул. Владимира Заровного, 20', number_of_floors: 24, brief_description: 'Башня у реки', detailed_description: 'Дом бизнес-класса с коммерческими помещениями и видом на Обь.' },
  ];

  const sections: Section[] = [
    { id: 1111, building_id: 111, name: 'Секция 1', number: 1, number_of_floors: 12 },
    { id: 1112, building_id: 111, name: 'Секция 2', number: 2, number_of_floors: 12 },
    { id: 1121, building_id: 112, name: 'Секция 1', number: 1, number_of_floors: 9 },
    { id: 1211, building_id: 121, name: 'Секция 1', number: 1, number_of_floors: 16 },
    { id: 2111, building_id: 211, name: 'Секция 1', number: 1, number_of_floors: 10 },
    { id: 3111, building_id: 311, name: 'Секция А', number: 1, number_of_floors: 24 },
  ];

  const photos = (id: number): string[] => [`${MEDIA}/premises/${id}/plan.jpg`, `${MEDIA}/premises/${id}/floor.jpg`];
  const all: PurchaseOption[] = ['mortage', 'installment', 'bill', 'full_payment'];
  const noMortgage: PurchaseOption[] = ['installment', 'bill', 'full_payment'];
  const premise = (p: Omit<Premise, 'photos' | 'is_booked' | 'is_sold'> & Partial<Pick<Premise, 'is_booked' | 'is_sold'>>): Premise => ({
    ...p,
    photos: photos(p.id),
    is_booked: p.is_booked ?? false,
    is_sold: p.is_sold ?? false,
  });

  const premises: Premise[] = [
    premise({ id: 1001, building_id: 111, section_id: 1111, type: 'apartment', rooms: 1, size: 38.4, price: 5_890_000n, floor: 3, feature: ['sign_balcony', 'sign_window_in_the_bathroom'], purchase_option: all }),
    premise({ id: 1002, building_id: 111, section_id: 1111, type: 'apartment', rooms: 2, size: 56.2, price: 8_340_000n, floor: 5, feature: ['sign_loggia', 'sign_dressing_room', 'sign_floor_to_ceiling'], purchase_option: all }),
    premise({ id: 1003, building_id: 111, section_id: 1112, type: 'apartment', rooms: 3, size: 78.9, price: 11_750_000n, floor: 8, feature: ['sign_second_bathroom', 'sign_master_bedroom', 'sign_laundry_room'], purchase_option: all, is_booked: true }),
    premise({ id: 1004, building_id: 111, section_id: 1112, type: 'apartment', rooms: 2, size: 61.0, price: 9_120_000n, floor: 11, feature: ['sign_no_finishing', 'sign_open_plan'], purchase_option: all, is_sold: true }),
    premise({ id: 1005, building_id: 111, section_id: 1111, type: 'storeroom', rooms: 0, size: 4.2, price: 420_000n, floor: -1, feature: [], purchase_option: noMortgage }),
    premise({ id: 1006, building_id: 112, section_id: 1121, type: 'apartment', rooms: 1, size: 41.7, price: 6_250_000n, floor: 2, feature: ['sign_separate_entrance', 'sign_terrace'], purchase_option: all }),
    premise({ id: 1007, building_id: 112, section_id: 1121, type: 'parking', rooms: 0, size: 13.5, price: 1_150_000n, floor: -1, feature: [], purchase_option: noMortgage }),
    premise({ id: 1008, building_id: 112, section_id: 1121, type: 'parking', rooms: 0, size: 14.1, price: 1_200_000n, floor: -1, feature: [], purchase_option: noMortgage, is_booked: true }),
    premise({ id: 2001, building_id: 121, section_id: 1211, type: 'apartment', rooms: 4, size: 112.6, price: 19_800_000n, floor: 16, feature: ['sign_roof_terrace', 'sign_two_level', 'sign_summer_kitchen_on_the_roof'], purchase_option: all }),
    premise({ id: 2002, building_id: 121, section_id: 1211, type: 'apartment', rooms: 0, size: 24.8, price: 4_100_000n, floor: 4, feature: ['sign_window_in_the_corridor'], purchase_option: all }),
    premise({ id: 2003, building_id: 121, section_id: 1211, type: 'commercial', rooms: 0, size: 86.3, price: 23_400_000n, floor: 1, feature: ['sign_separate_entrance', 'sign_floor_to_ceiling'], purchase_option: ['bill', 'full_payment'] }),
    premise({ id: 2004, building_id: 121, section_id: 1211, type: 'storeroom', rooms: 0, size: 5.1, price: 510_000n, floor: 1, feature: [], purchase_option: noMortgage }),
    premise({ id: 3001, building_id: 211, section_id: 2111, type: 'apartment', rooms: 2, size: 58.3, price: 6_700_000n, floor: 6, feature: ['sign_exchange_rf', 'sign_balcony'], purchase_option: all }),
    premise({ id: 3002, building_id: 211, section_id: 2111, type: 'apartment', rooms: 3, size: 81.2, price: 9_450_000n, floor: 9, feature: ['sign_secondary_apartment', 'sign_dressing_room_in_the_bedroom'], purchase_option: all }),
    premise({ id: 3003, building_id: 211, section_id: 2111, type: 'parking', rooms: 0, size: 15.0, price: 950_000n, floor: -1, feature: ['sign_ground_parking'], purchase_option: noMortgage }),
    premise({ id: 3101, building_id: 311, section_id: 3111, type: 'apartment', rooms: 2, size: 64.5, price: 10_300_000n, floor: 14, feature: ['sign_terrace_with_access_to_the_roof', 'sign_storage_room'], purchase_option: all }),
    premise({ id: 3102, building_id: 311, section_id: 3111, type: 'apartment', rooms: 3, size: 92.0, price: 15_600_000n, floor: 22, feature: ['sign_floor_to_ceiling', 'sign_second_bathroom'], purchase_option: all }),
    premise({ id: 3103, building_id: 311, section_id: 3111, type: 'storeroom', rooms: 0, size: 3.8, price: 380_000n, floor: -2, feature: [], purchase_option: noMortgage }),
    premise({ id: 3104, building_id: 311, section_id: 3111, type: 'commercial', rooms: 0, size: 143.7, price: 41_900_000n, floor: 1, feature: ['sign_separate_entrance'], purchase_option: ['bill', 'full_payment'] }),
    premise({ id: HUGE_PRICE_PREMISE_ID, building_id: 311, section_id: 3111, type: 'commercial', rooms: 0, size: 2150.0, price: HUGE_PRICE, floor: 1, feature: ['sign_separate_entrance', 'sign_floor_to_ceiling'], purchase_option: ['bill'] }),
  ];

  const users: User[] = [
    { id: 501, lastName: 'Соколова', firstName: 'Анна', phone: '+79122345601', email: 'a.sokolova@an-kvartal.ru', status: 'active', role: 'AGENT', temporary_role: null, city_id: 1, birthDate: '1991-04-17', agency_id: 701, workStartDate: '2019-02-01', avatar: `${MEDIA}/users/501.jpg`, remaining_user_creation_limit: 5 },
    { id: 502, lastName: 'Петров', firstName: 'Игорь', phone: '+79122345602', email: 'i.petrov@an-kvartal.ru', status: 'blocked', role: 'AGENT', temporary_role: null, city_id: 1, birthDate: '1987-11-03', agency_id: 701, workStartDate: '2020-06-15', avatar: `${MEDIA}/users/502.jpg`, remaining_user_creation_limit: 3 },
    { id: 503, lastName: 'Кузнецова', firstName: 'Мария', phone: '+79044567803', email: 'm.kuznetsova@etazhi-tmn.ru', status: 'active', role: 'AGENT', temporary_role: null, city_id: 2, birthDate: '1995-08-22', agency_id: 702, workStartDate: '2022-09-01', avatar: `${MEDIA}/users/503.jpg`, remaining_user_creation_limit: 0 },
    { id: 504, lastName: 'Волков', firstName: 'Сергей', phone: '+79135678904', email: 's.volkov@sibdom.ru', status: 'active', role: 'HEAD_OF_AGENCY', temporary_role: null, city_id: 3, birthDate: '1982-01-30', agency_id: 703, workStartDate: '2015-03-10', avatar: `${MEDIA}/users/504.jpg`, remaining_user_creation_limit: 10 },
    { id: 505, lastName: 'Морозова', firstName: 'Екатерина', phone: '+73432000505', email: 'e.morozova@brusnika.ru', status: 'active', role: 'MANAGER', temporary_role: null, city_id: 1, birthDate: '1990-05-12', agency_id: null, workStartDate: '2018-01-09', avatar: `${MEDIA}/users/505.jpg`, remaining_user_creation_limit: 0 },
    { id: 506, lastName: 'Лебедев', firstName: 'Артём', phone: '+79122345606', email: 'a.lebedev@an-kvartal.ru', status: 'active', role: 'NEW_MEMBER', temporary_role: 'AGENT', city_id: 1, birthDate: '1999-12-01', agency_id: 701, workStartDate: '2025-04-01', avatar: `${MEDIA}/users/506.jpg`, remaining_user_creation_limit: 2 },
  ];

  const agencies: Agency[] = [
    { id: 701, title: 'АН «Квартал»', city_id: 1, legalName: 'ООО «Квартал-Недвижимость»', inn: '6671234567', phone: '+73432100701', email: 'office@an-kvartal.ru', ownerFullName: 'Григорьев Олег Викторович', ownerPhone: '+79122100701' },
    { id: 702, title: 'Этажи Тюмень', city_id: 2, legalName: 'ООО «Этажи-Т»', inn: '7203456789', phone: '+73452200702', email: 'info@etazhi-tmn.ru', ownerFullName: 'Никитина Ольга Сергеевна', ownerPhone: '+79044200702' },
    { id: 703, title: 'СибДом', city_id: 3, legalName: 'ИП Волков Сергей Андреевич', inn: '540123456789', phone: '+73832300703', email: 'hello@sibdom.ru', ownerFullName: 'Волков Сергей Андреевич', ownerPhone: '+79135678904' },
  ];

  const clients: Client[] = [
    { id: 801, fullname: 'Смирнов Алексей Дмитриевич', phone_number: '+79120010001', comment: 'Интересует двушка до 9 млн, ипотека', actived_date: '2025-03-04T07:15:00.000Z', fixing_type_updated_at: '2025-03-05T09:00:00.000Z', expiration_date: '2025-09-05T09:00:00.000Z', fixing_type: 'сильное закрепление', agent_id: 501 },
    { id: 802, fullname: 'Орлова Наталья Игоревна', phone_number: '+79120010002', comment: null, actived_date: '2025-04-10T11:40:00.000Z', fixing_type_updated_at: '2025-04-11T06:30:00.000Z', expiration_date: '2025-05-11T06:30:00.000Z', fixing_type: 'слабое закрепление', agent_id: 501 },
    { id: 803, fullname: 'Захаров Дмитрий Павлович', phone_number: '+79044560003', comment: 'Паркинг и кладовая', actived_date: '2025-05-20T04:05:00.000Z', fixing_type_updated_at: '2025-05-20T04:05:00.000Z', expiration_date: null, fixing_type: 'проверка лида', agent_id: 503 },
    { id: 804, fullname: 'Фёдорова Ирина Олеговна', phone_number: '+79135670004', comment: 'Коммерция под кофейню', actived_date: '2025-02-14T08:20:00.000Z', fixing_type_updated_at: '2025-02-15T03:10:00.000Z', expiration_date: '2025-02-15T03:10:00.000Z', fixing_type: 'отказ в закреплении', agent_id: 504 },
  ];

  const leads: Lead[] = [
    { id: 901, client_id: 801, premise_id: 1003, state: 'Активные', current_status: 'бронь', sign_nps_passed: false, fee: 176250, start_date: '2025-03-05', status_updated_at: '2025-06-02', agent_id: 501, manager_id: 505 },
    { id: 902, client_id: 802, premise_id: 1008, state: 'Активные', current_status: 'бронь', sign_nps_passed: false, fee: 18000, start_date: '2025-04-11', status_updated_at: crmDate(now), agent_id: 501, manager_id: 505 },
    { id: 903, client_id: 801, premise_id: 1004, state: 'Выиграна', current_status: 'договор зарегистрирован', sign_nps_passed: true, fee: 136800, start_date: '2024-11-20', status_updated_at: '2025-01-28', agent_id: 501, manager_id: 505 },
    { id: 904, client_id: 803, premise_id: 3003, state: 'Проиграна', current_status: 'слетевшая бронь', sign_nps_passed: false, fee: 0, start_date: '2025-05-20', status_updated_at: '2025-05-27', agent_id: 503, manager_id: 505 },
    { id: 905, client_id: 804, premise_id: 2003, state: 'На паузе', current_status: 'на паузе', sign_nps_passed: false, fee: 0, start_date: '2025-02-15', status_updated_at: '2025-03-01', agent_id: 504, manager_id: 505 },
  ];

  // One booking in each state: success (premise 1003 held), open (1008 held,
  // decided after bookingDecisionMs), fail (3003 released).
  const bookings: Booking[] = [
    { id: 601, premise_id: 1003, client_id: 801, agent_id: 501, date: '2025-06-02', time: '14:30', purchase_option: 'mortage', status: 'success', reason: null, status_updated_at: '2025-06-02T09:31:00.000Z', decide_at: Date.parse('2025-06-02T09:31:00.000Z') },
    { id: 602, premise_id: 1008, client_id: 802, agent_id: 501, date: crmDate(now), time: crmTime(now), purchase_option: 'full_payment', status: 'open', reason: null, status_updated_at: timestamp(now), decide_at: now + timing.bookingDecisionMs },
    { id: 603, premise_id: 3003, client_id: 803, agent_id: 503, date: '2025-05-26', time: '11:05', purchase_option: 'installment', status: 'fail', reason: 'Клиент закреплён за другим агентом', status_updated_at: '2025-05-27T05:00:00.000Z', decide_at: Date.parse('2025-05-27T05:00:00.000Z') },
  ];

  // Free calendar slots for the next three days, three a day, in two projects.
  const timeSlots: TimeSlot[] = [];
  for (const project_id of [11, 21]) {
    for (let day = 1; day <= 3; day += 1) {
      for (const time of ['10:00', '13:00', '16:00']) {
        timeSlots.push({
          id: timeSlots.length + 1,
          project_id,
          date: crmDate(now + day * DAY_MS),
          time,
          agent_id: null,
          client_id: null,
          visit_id: null,
          held_until: null,
          taken_elsewhere: false,
        });
      }
    }
  }
  // Slot 9 (project 11, third day, 16:00) holds the fixture visit 401.
  const visitSlot = timeSlots[8];
  Object.assign(visitSlot, { agent_id: 501, client_id: 801, visit_id: 401 });

  const visits: Visit[] = [
    { id: 401, project_id: 11, agent_id: 501, client_id: 801, date: visitSlot.date, time: visitSlot.time, request_date: timestamp(now - DAY_MS), request_time: timestamp(now - DAY_MS), status: 'success', reason: null, status_updated_at: timestamp(now - DAY_MS / 2), time_slot_id: visitSlot.id, decide_at: now - DAY_MS / 2 },
  ];

  return {
    timing,
    cities,
    projects,
    buildings,
    sections,
    premises,
    leads,
    users,
    agencies,
    clients,
    bookings,
    visits,
    timeSlots,
    scenarios: { bookingOutcomes: {}, visitOutcomes: {}, recordListsServed: true },
  };
}

// ---------------------------------------------------------------------------
// JSON with exact big integers. JSON.stringify cannot write a bigint, and a
// Number would round 9007199254740993 to ...992, so bigints are written as
// integer literals by hand.

export function stringifyJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : stringifyJson(item))).join(',')}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stringifyJson(v)}`).join(',')}}`;
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(stringifyJson(body));
}

// ---------------------------------------------------------------------------
// Errors.

export class BrusnikaError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'запрос'}: ${issue.message}`).join('; ');
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new BrusnikaError(400, 'validation_error', `Некорректный запрос: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

// ---------------------------------------------------------------------------
// Request schemas.

const PathId = z.coerce.number().int().positive();
const BodyId = z.number().int().positive();
const DateString = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'ожидается дата YYYY-MM-DD');
const TimeString = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'ожидается время HH:mm');
const IdQuery = z.coerce.number().int().positive();
/** Exact integer of any size: a price filter must not lose digits on the way in. */
const BigIntQuery = z
  .string()
  .regex(/^\d+$/, 'ожидается целое неотрицательное число')
  .transform((s) => BigInt(s));
const BoolQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** `a,b` or repeated parameters. */
function listQuery<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (Array.isArray(v) ? v : [v]).flatMap((s) => (typeof s === 'string' ? s.split(',') : [s])).filter((s) => s !== ''),
    z.array(item).min(1),
  );
}
const Paging = {
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
};

const CitiesQuery = z.object({ ...Paging });
const ProjectsQuery = z.object({ ...Paging, city_id: IdQuery.optional() });
const BuildingsQuery = z.object({ ...Paging, project_id: IdQuery.optional() });
const SectionsQuery = z.object({ ...Paging, project_id: IdQuery.optional(), building_id: IdQuery.optional() });
const PremisesQuery = z.object({
  ...Paging,
  project_id: IdQuery.optional(),
  building_id: IdQuery.optional(),
  section_id: IdQuery.optional(),
  type: listQuery(PremiseType).optional(),
  rooms: listQuery(z.coerce.number().int().min(0)).optional(),
  price_min: BigIntQuery.optional(),
  price_max: BigIntQuery.optional(),
  size_min: z.coerce.number().min(0).optional(),
  size_max: z.coerce.number().min(0).optional(),
  floor_min: z.coerce.number().int().optional(),
  floor_max: z.coerce.number().int().optional(),
  feature: listQuery(PremiseFeature).optional(),
  purchase_option: PurchaseOption.optional(),
  free_only: BoolQuery.optional(),
});
const LeadsQuery = z.object({
  ...Paging,
  client_id: IdQuery.optional(),
  premise_id: IdQuery.optional(),
  agent_id: IdQuery.optional(),
  manager_id: IdQuery.optional(),
  state: LeadState.optional(),
  current_status: LeadStatus.optional(),
});
const TimeSlotsQuery = z.object({ ...Paging, project_id: IdQuery.optional(), date: DateString.optional() });
const BookingsQuery = z.object({ ...Paging, client_id: IdQuery.optional(), premise_id: IdQuery.optional(), agent_id: IdQuery.optional() });
const VisitsQuery = z.object({ ...Paging, client_id: IdQuery.optional(), project_id: IdQuery.optional(), agent_id: IdQuery.optional() });

const AgencySearchQuery = z
  .object({ ...Paging, inn: z.string().min(1).optional(), title: z.string().min(1).optional() })
  .refine((q) => q.inn !== undefined || q.title !== undefined, { message: 'укажите inn или title' });
const ClientSearchQuery = z.object({ ...Paging, phone_number: z.string().min(1) });

const Inn = z.string().regex(/^(\d{10}|\d{12})$/, 'ИНН состоит из 10 или 12 цифр');
const Phone = z.string().refine((s) => normalizePhone(s) !== undefined, 'некорректный номер телефона');

export const CreateAgencyRequest = z.object({
  title: z.string().trim().min(1),
  city_id: BodyId,
  legalName: z.string().min(1).nullish(),
  inn: Inn,
  phone: Phone.nullish(),
  email: z.email().nullish(),
  ownerFullName: z.string().min(1).nullish(),
  ownerPhone: Phone.nullish(),
});

export const CreateClientRequest = z.object({
  fullname: z.string().trim().min(1),
  phone_number: Phone,
  comment: z.string().nullish(),
  agent_id: BodyId,
});

export const CreateBookingRequest = z.object({
  premise_id: BodyId,
  client_id: BodyId,
  agent_id: BodyId,
  date: DateString.optional(),
  time: TimeString.optional(),
  purchase_option: PurchaseOption,
});

export const CreateVisitRequest = z.object({
  project_id: BodyId,
  agent_id: BodyId,
  client_id: BodyId,
  date: DateString,
  time: TimeString,
});

export const BookTimeSlotRequest = z.object({
  agent_id: BodyId,
  client_id: BodyId,
});

// ---------------------------------------------------------------------------
// Views: what the API serves (the seed's fields, no bookkeeping).

function paged<T>(items: T[], query: { page: number; per_page: number }) {
  const start = (query.page - 1) * query.per_page;
  return { data: items.slice(start, start + query.per_page), meta: { page: query.page, per_page: query.per_page, total: items.length } };
}

function isFree(premise: Premise): boolean {
  return !premise.is_booked && !premise.is_sold;
}

export function buildingView(state: BrusnikaState, building: Building, shape: Shape = { seedMinimal: false }) {
  const free = (type: PremiseType) =>
    String(state.premises.filter((p) => p.building_id === building.id && p.type === type && isFree(p)).length);
  const view = {
    ...building,
    total_apartment: free('apartment'),
    total_parking_space: free('parking'),
    total_storage: free('storeroom'),
    total_commercial: free('commercial'),
  };
  return shape.seedMinimal ? pick(view, SEED_FIELDS.building) : view;
}

/**
 * The fields the seed lists for each entity, for the seed-minimal mode (`faults.seedMinimal`):
 * answers then carry exactly these. Sections and time slots have no fields in the seed:
 * they keep the few the project assumes a caller needs.
 */
export const SEED_FIELDS = {
  project: ['id', 'name', 'brief_description', 'detailed_description', 'end_date', 'photo', 'link', 'description'],
  building: ['id', 'address', 'number_of_floors', 'brief_description', 'detailed_description', 'total_apartment', 'total_parking_space', 'total_storage', 'total_commercial'],
  section: ['id', 'building_id'],
  premise: ['id', 'building_id', 'type', 'rooms', 'size', 'price', 'floor', 'feature', 'photos', 'is_booked', 'purchase_option', 'is_sold'],
  booking: ['id', 'premise_id', 'client_id', 'agent_id', 'date', 'time', 'purchase_option', 'status'],
  visit: ['id', 'project_id', 'agent_id', 'client_id', 'date', 'time', 'request_date', 'request_time', 'status'],
  timeSlot: ['id', 'project_id', 'date', 'time'],
} as const satisfies Record<string, readonly string[]>;

function pick<T extends object>(entity: T, fields: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(entity).filter(([key]) => fields.includes(key))) as Partial<T>;
}

/** How an answer is shaped: the simulator's full record, or the seed's fields only. */
interface Shape {
  seedMinimal: boolean;
}

function projectView(project: Project, shape: Shape) {
  return shape.seedMinimal ? pick(project, SEED_FIELDS.project) : project;
}

function sectionView(section: Section, shape: Shape) {
  return shape.seedMinimal ? pick(section, SEED_FIELDS.section) : section;
}

/** Seed-minimal: `feature` and `purchase_option` as the seed types them, one enum value each (the first; null when none). */
function premiseView(premise: Premise, shape: Shape) {
  if (!shape.seedMinimal) return premise;
  return { ...pick(premise, SEED_FIELDS.premise), feature: premise.feature[0] ?? null, purchase_option: premise.purchase_option[0] ?? null };
}

function bookingView(booking: Booking, shape: Shape = { seedMinimal: false }) {
  const { decide_at: _decideAt, ...view } = booking;
  return shape.seedMinimal ? pick(view, SEED_FIELDS.booking) : view;
}

function visitView(visit: Visit, shape: Shape = { seedMinimal: false }) {
  const { decide_at: _decideAt, ...view } = visit;
  return shape.seedMinimal ? pick(view, SEED_FIELDS.visit) : view;
}

function timeSlotView(slot: TimeSlot, shape: Shape = { seedMinimal: false }) {
  const view = fullTimeSlotView(slot);
  return shape.seedMinimal ? pick(view, SEED_FIELDS.timeSlot) : view;
}

function fullTimeSlotView(slot: TimeSlot) {
  const taken = slot.taken_elsewhere || slot.agent_id !== null;
  return {
    id: slot.id,
    project_id: slot.project_id,
    date: slot.date,
    time: slot.time,
    is_free: !taken,
    agent_id: slot.agent_id,
    client_id: slot.client_id,
    visit_id: slot.visit_id,
    reserved_until: slot.held_until === null ? null : timestamp(slot.held_until),
  };
}

// ---------------------------------------------------------------------------
// Lookups and rules.

/** Digits of a Russian phone, 8XXXXXXXXXX and XXXXXXXXXX read as 7XXXXXXXXXX. */
export function normalizePhone(phone: string): string | undefined {
  const digits = phone.replace(/\D/g, '');
  if (digits.length === 10) return `7${digits}`;
  if (digits.length === 11 && (digits.startsWith('7') || digits.startsWith('8'))) return `7${digits.slice(1)}`;
  return undefined;
}

function findOr<T extends { id: number }>(items: T[], id: number, error: () => BrusnikaError): T {
  const found = items.find((item) => item.id === id);
  if (!found) throw error();
  return found;
}

function requireReference<T extends { id: number }>(items: T[], id: number, entity: string, message: string): T {
  return findOr(items, id, () => new BrusnikaError(422, `${entity}_not_found`, message));
}

/** The acting user: must exist and be active. */
function actingAgent(state: BrusnikaState, agentId: number): User {
  const agent = requireReference(state.users, agentId, 'agent', `Агент с id ${agentId} не найден`);
  if (agent.status === 'blocked') throw new BrusnikaError(403, 'user_blocked', 'Пользователь заблокирован');
  return agent;
}

function touchLead(state: BrusnikaState, booking: Booking, status: LeadStatus, now: number): void {
  const lead = state.leads.find((l) => l.client_id === booking.client_id && l.premise_id === booking.premise_id);
  if (lead) {
    lead.current_status = status;
    lead.state = 'Активные';
    lead.status_updated_at = crmDate(now);
    return;
  }
  state.leads.push({
    id: nextId(state.leads),
    client_id: booking.client_id,
    premise_id: booking.premise_id,
    state: 'Активные',
    current_status: status,
    sign_nps_passed: false,
    fee: 0,
    start_date: crmDate(now),
    status_updated_at: crmDate(now),
    agent_id: booking.agent_id,
    manager_id: 505,
  });
}

function nextId(items: { id: number }[]): number {
  return items.reduce((max, item) => Math.max(max, item.id), 0) + 1;
}

/** Ends a booking as failed: the premise and the agent's booking come back. */
function failBooking(state: BrusnikaState, booking: Booking, reason: string, leadStatus: LeadStatus, now: number): void {
  booking.status = 'fail';
  booking.reason = reason;
  booking.status_updated_at = timestamp(now);
  const premise = state.premises.find((p) => p.id === booking.premise_id);
  if (premise) premise.is_booked = false;
  const agent = state.users.find((u) => u.id === booking.agent_id);
  if (agent) agent.remaining_user_creation_limit += 1;
  touchLead(state, booking, leadStatus, now);
}

function releaseSlot(state: BrusnikaState, slotId: number): void {
  const slot = state.timeSlots.find((s) => s.id === slotId);
  if (!slot || slot.taken_elsewhere) return;
  Object.assign(slot, { agent_id: null, client_id: null, visit_id: null, held_until: null });
}

function failVisit(state: BrusnikaState, visit: Visit, reason: string, now: number): void {
  visit.status = 'fail';
  visit.reason = reason;
  visit.status_updated_at = timestamp(now);
  releaseSlot(state, visit.time_slot_id);
}

/**
 * Applies what the CRM has decided by `now`: open bookings and visits whose time
 * has come, and slot holds that lapsed. Called before every request, so time-based
 * transitions need no timers.
 */
export function settle(state: BrusnikaState, now: number): void {
  for (const booking of state.bookings) {
    if (booking.status !== 'open' || booking.decide_at > now) continue;
    const outcome = state.scenarios.bookingOutcomes[String(booking.premise_id)] ?? { status: 'success' };
    if (outcome.status === 'fail') {
      failBooking(state, booking, outcome.reason, 'слетевшая бронь', booking.decide_at);
    } else {
      booking.status = 'success';
      booking.status_updated_at = timestamp(booking.decide_at);
    }
  }
  for (const visit of state.visits) {
    if (visit.status !== 'open' || visit.decide_at > now) continue;
    const outcome = state.scenarios.visitOutcomes[String(visit.project_id)] ?? { status: 'success' };
    if (outcome.status === 'fail') {
      failVisit(state, visit, outcome.reason, visit.decide_at);
    } else {
      visit.status = 'success';
      visit.status_updated_at = timestamp(visit.decide_at);
    }
  }
  for (const slot of state.timeSlots) {
    if (slot.held_until !== null && slot.visit_id === null && slot.held_until <= now) releaseSlot(state, slot.id);
  }
}

// ---------------------------------------------------------------------------
// Operations (one per documented method).

function createAgency(state: BrusnikaState, body: z.infer<typeof CreateAgencyRequest>): Agency {
  requireReference(state.cities, body.city_id, 'city', `Город с id ${body.city_id} не найден`);
  if (state.agencies.some((a) => a.inn === body.inn)) {
    throw new BrusnikaError(409, 'agency_exists', 'Агентство с таким ИНН уже существует');
  }
  const agency: Agency = {
    id: nextId(state.agencies),
    title: body.title,
    city_id: body.city_id,
    legalName: body.legalName ?? null,
    inn: body.inn,
    phone: body.phone ?? null,
    email: body.email ?? null,
    ownerFullName: body.ownerFullName ?? null,
    ownerPhone: body.ownerPhone ?? null,
  };
  state.agencies.push(agency);
  return agency;
}

function createClient(state: BrusnikaState, body: z.infer<typeof CreateClientRequest>, now: number): Client {
  actingAgent(state, body.agent_id);
  const phone = normalizePhone(body.phone_number);
  if (state.clients.some((c) => normalizePhone(c.phone_number) === phone)) {
    throw new BrusnikaError(409, 'client_exists', 'Клиент с таким номером телефона уже существует');
  }
  const client: Client = {
    id: nextId(state.clients),
    fullname: body.fullname,
    phone_number: body.phone_number,
    comment: body.comment ?? null,
    actived_date: timestamp(now),
    fixing_type_updated_at: timestamp(now),
    expiration_date: null,
    fixing_type: 'проверка лида',
    agent_id: body.agent_id,
  };
  state.clients.push(client);
  return client;
}

function createBooking(state: BrusnikaState, body: z.infer<typeof CreateBookingRequest>, now: number): Booking {
  const agent = actingAgent(state, body.agent_id);
  if (agent.remaining_user_creation_limit <= 0) {
    throw new BrusnikaError(403, 'booking_limit_exceeded', 'Лимит бронирований исчерпан');
  }
  requireReference(state.clients, body.client_id, 'client', `Клиент с id ${body.client_id} не найден`);
  const premise = requireReference(state.premises, body.premise_id, 'premise', `Помещение с id ${body.premise_id} не найдено`);
  if (premise.is_sold) throw new BrusnikaError(409, 'premise_sold', 'Помещение уже продано');
  if (premise.is_booked) throw new BrusnikaError(409, 'premise_booked', 'Помещение уже забронировано');
  if (!premise.purchase_option.includes(body.purchase_option)) {
    throw new BrusnikaError(422, 'purchase_option_not_available', `Вариант покупки ${body.purchase_option} недоступен для этого помещения`);
  }

  const booking: Booking = {
    id: nextId(state.bookings),
    premise_id: premise.id,
    client_id: body.client_id,
    agent_id: agent.id,
    date: body.date ?? crmDate(now),
    time: body.time ?? crmTime(now),
    purchase_option: body.purchase_option,
    status: 'open',
    reason: null,
    status_updated_at: timestamp(now),
    decide_at: now + state.timing.bookingDecisionMs,
  };
  state.bookings.push(booking);
  premise.is_booked = true;
  agent.remaining_user_creation_limit -= 1;
  touchLead(state, booking, 'бронь', now);
  return booking;
}

function cancelBooking(state: BrusnikaState, id: number, now: number): Booking {
  const booking = findOr(state.bookings, id, () => new BrusnikaError(404, 'not_found', `Бронирование с id ${id} не найдено`));
  if (booking.status === 'fail') throw new BrusnikaError(409, 'booking_not_active', 'Бронирование уже отменено или отклонено');
  failBooking(state, booking, CANCELLED_REASON, 'отмененная бронь', now);
  return booking;
}

/** Takes the slot for agent and client, or finds it already theirs. */
function claimSlot(slot: TimeSlot, agentId: number, clientId: number): void {
  const theirs = slot.agent_id === agentId && slot.client_id === clientId && !slot.taken_elsewhere;
  const free = slot.agent_id === null && !slot.taken_elsewhere;
  if (!free && !(theirs && slot.visit_id === null)) {
    throw new BrusnikaError(409, 'time_slot_taken', 'Выбранное время уже занято');
  }
  slot.agent_id = agentId;
  slot.client_id = clientId;
}

function bookTimeSlot(state: BrusnikaState, id: number, body: z.infer<typeof BookTimeSlotRequest>, now: number): TimeSlot {
  const slot = findOr(state.timeSlots, id, () => new BrusnikaError(404, 'not_found', `Слот с id ${id} не найден`));
  actingAgent(state, body.agent_id);
  requireReference(state.clients, body.client_id, 'client', `Клиент с id ${body.client_id} не найден`);
  claimSlot(slot, body.agent_id, body.client_id);
  slot.held_until = now + state.timing.timeSlotHoldMs;
  return slot;
}

function createVisit(state: BrusnikaState, body: z.infer<typeof CreateVisitRequest>, now: number): Visit {
  actingAgent(state, body.agent_id);
  requireReference(state.clients, body.client_id, 'client', `Клиент с id ${body.client_id} не найден`);
  requireReference(state.projects, body.project_id, 'project', `Проект с id ${body.project_id} не найден`);
  const slot = state.timeSlots.find((s) => s.project_id === body.project_id && s.date === body.date && s.time === body.time);
  if (!slot) throw new BrusnikaError(422, 'time_slot_not_found', 'На это время нет слота для показа');
  claimSlot(slot, body.agent_id, body.client_id);

  const visit: Visit = {
    id: nextId(state.visits),
    project_id: body.project_id,
    agent_id: body.agent_id,
    client_id: body.client_id,
    date: body.date,
    time: body.time,
    request_date: timestamp(now),
    request_time: timestamp(now),
    status: 'open',
    reason: null,
    status_updated_at: timestamp(now),
    time_slot_id: slot.id,
    decide_at: now + state.timing.visitDecisionMs,
  };
  state.visits.push(visit);
  slot.visit_id = visit.id;
  slot.held_until = null;
  return visit;
}

function cancelVisit(state: BrusnikaState, id: number, now: number): Visit {
  const visit = findOr(state.visits, id, () => new BrusnikaError(404, 'not_found', `Показ с id ${id} не найден`));
  if (visit.status === 'fail') throw new BrusnikaError(409, 'visit_not_active', 'Показ уже отменён или отклонён');
  failVisit(state, visit, CANCELLED_REASON, now);
  return visit;
}

// ---------------------------------------------------------------------------
// Reference lists.

function listPremises(state: BrusnikaState, q: z.infer<typeof PremisesQuery>): Premise[] {
  const projectOf = (p: Premise) => state.buildings.find((b) => b.id === p.building_id)?.project_id;
  return state.premises.filter(
    (p) =>
      (q.project_id === undefined || projectOf(p) === q.project_id) &&
      (q.building_id === undefined || p.building_id === q.building_id) &&
      (q.section_id === undefined || p.section_id === q.section_id) &&
      (q.type === undefined || q.type.includes(p.type)) &&
      (q.rooms === undefined || q.rooms.includes(p.rooms)) &&
      (q.price_min === undefined || p.price >= q.price_min) &&
      (q.price_max === undefined || p.price <= q.price_max) &&
      (q.size_min === undefined || p.size >= q.size_min) &&
      (q.size_max === undefined || p.size <= q.size_max) &&
      (q.floor_min === undefined || p.floor >= q.floor_min) &&
      (q.floor_max === undefined || p.floor <= q.floor_max) &&
      (q.feature === undefined || q.feature.every((f) => p.feature.includes(f))) &&
      (q.purchase_option === undefined || p.purchase_option.includes(q.purchase_option)) &&
      (q.free_only !== true || isFree(p)),
  );
}

function listSections(state: BrusnikaState, q: z.infer<typeof SectionsQuery>): Section[] {
  const projectOf = (s: Section) => state.buildings.find((b) => b.id === s.building_id)?.project_id;
  return state.sections.filter(
    (s) => (q.building_id === undefined || s.building_id === q.building_id) && (q.project_id === undefined || projectOf(s) === q.project_id),
  );
}

function listLeads(state: BrusnikaState, q: z.infer<typeof LeadsQuery>): Lead[] {
  return state.leads.filter(
    (l) =>
      (q.client_id === undefined || l.client_id === q.client_id) &&
      (q.premise_id === undefined || l.premise_id === q.premise_id) &&
      (q.agent_id === undefined || l.agent_id === q.agent_id) &&
      (q.manager_id === undefined || l.manager_id === q.manager_id) &&
      (q.state === undefined || l.state === q.state) &&
      (q.current_status === undefined || l.current_status === q.current_status),
  );
}

function searchAgencies(state: BrusnikaState, q: z.infer<typeof AgencySearchQuery>): Agency[] {
  const title = q.title?.toLocaleLowerCase('ru');
  return state.agencies.filter(
    (a) => (q.inn === undefined || a.inn === q.inn) && (title === undefined || a.title.toLocaleLowerCase('ru').includes(title)),
  );
}

// ---------------------------------------------------------------------------
// Routes.

export interface BrusnikaConfig {
  timing?: Partial<BrusnikaTiming>;
  /** Epoch milliseconds; tests may pass a controllable clock. */
  clock?: () => number;
}

function providerRoutes(router: Router, ctx: SimulatorContext<BrusnikaState>, clock: () => number): void {
  router.use((req: Request, _res: Response, next: NextFunction) => {
    const token = ctx.bearerToken(req);
    if (token === undefined) throw new BrusnikaError(401, 'unauthorized', 'Требуется авторизация');
    if (token !== ctx.token) throw new BrusnikaError(401, 'unauthorized', 'Неверный токен авторизации');
    settle(ctx.state, clock());
    next();
  });

  const shape = (): Shape => ({ seedMinimal: ctx.faults.seedMinimal });

  router.get('/cities', (req, res) => send(res, 200, paged(ctx.state.cities, parse(CitiesQuery, req.query))));
  router.get('/projects', (req, res) => {
    const q = parse(ProjectsQuery, req.query);
    const projects = ctx.state.projects.filter((p) => q.city_id === undefined || p.city_id === q.city_id);
    send(res, 200, paged(projects.map((p) => projectView(p, shape())), q));
  });
  router.get('/buildings', (req, res) => {
    const q = parse(BuildingsQuery, req.query);
    const buildings = ctx.state.buildings.filter((b) => q.project_id === undefined || b.project_id === q.project_id);
    send(res, 200, paged(buildings.map((b) => buildingView(ctx.state, b, shape())), q));
  });
  router.get('/sections', (req, res) => {
    const q = parse(SectionsQuery, req.query);
    send(res, 200, paged(listSections(ctx.state, q).map((section) => sectionView(section, shape())), q));
  });
  router.get('/premises', (req, res) => {
    const q = parse(PremisesQuery, req.query);
    send(res, 200, paged(listPremises(ctx.state, q).map((p) => premiseView(p, shape())), q));
  });
  router.get('/leads', (req, res) => {
    const q = parse(LeadsQuery, req.query);
    send(res, 200, paged(listLeads(ctx.state, q), q));
  });
  router.get('/time-slots', (req, res) => {
    const q = parse(TimeSlotsQuery, req.query);
    const free = ctx.state.timeSlots
      .map(fullTimeSlotView)
      .filter((s) => s.is_free && (q.project_id === undefined || s.project_id === q.project_id) && (q.date === undefined || s.date === q.date));
    send(res, 200, paged(free.map((s) => (shape().seedMinimal ? pick(s, SEED_FIELDS.timeSlot) : s)), q));
  });
  router.post('/time-slots/:id/book', (req, res) => {
    const slot = bookTimeSlot(ctx.state, parse(PathId, req.params.id), parse(BookTimeSlotRequest, req.body), clock());
    send(res, 200, { data: timeSlotView(slot, shape()) });
  });

  router.get('/agencies/search', (req, res) => {
    const q = parse(AgencySearchQuery, req.query);
    send(res, 200, paged(searchAgencies(ctx.state, q), q));
  });
  router.post('/agencies', (req, res) => {
    send(res, 201, { data: createAgency(ctx.state, parse(CreateAgencyRequest, req.body)) });
  });

  router.get('/clients/search', (req, res) => {
    const q = parse(ClientSearchQuery, req.query);
    const phone = normalizePhone(q.phone_number);
    const found = phone === undefined ? [] : ctx.state.clients.filter((c) => normalizePhone(c.phone_number) === phone);
    send(res, 200, paged(found, q));
  });
  router.post('/clients', (req, res) => {
    send(res, 201, { data: createClient(ctx.state, parse(CreateClientRequest, req.body), clock()) });
  });

  const requireRecordLists = (req: Request): void => {
    if (!ctx.state.scenarios.recordListsServed) throw new BrusnikaError(404, 'not_found', `Метод ${req.method} ${req.path} не найден`);
  };

  router.get('/bookings', (req, res) => {
    requireRecordLists(req);
    const q = parse(BookingsQuery, req.query);
    const found = ctx.state.bookings.filter(
      (b) => (q.client_id === undefined || b.client_id === q.client_id) && (q.premise_id === undefined || b.premise_id === q.premise_id) && (q.agent_id === undefined || b.agent_id === q.agent_id),
    );
    send(res, 200, paged(found.map((b) => bookingView(b, shape())), q));
  });
  router.post('/bookings', (req, res) => {
    send(res, 201, { data: bookingView(createBooking(ctx.state, parse(CreateBookingRequest, req.body), clock()), shape()) });
  });
  router.get('/bookings/:id', (req, res) => {
    const id = parse(PathId, req.params.id);
    const booking = findOr(ctx.state.bookings, id, () => new BrusnikaError(404, 'not_found', `Бронирование с id ${id} не найдено`));
    send(res, 200, { data: bookingView(booking, shape()) });
  });
  router.post('/bookings/:id/cancel', (req, res) => {
    send(res, 200, { data: bookingView(cancelBooking(ctx.state, parse(PathId, req.params.id), clock()), shape()) });
  });

  router.get('/visits', (req, res) => {
    requireRecordLists(req);
    const q = parse(VisitsQuery, req.query);
    const found = ctx.state.visits.filter(
      (v) => (q.client_id === undefined || v.client_id === q.client_id) && (q.project_id === undefined || v.project_id === q.project_id) && (q.agent_id === undefined || v.agent_id === q.agent_id),
    );
    send(res, 200, paged(found.map((v) => visitView(v, shape())), q));
  });
  router.post('/visits', (req, res) => {
    send(res, 201, { data: visitView(createVisit(ctx.state, parse(CreateVisitRequest, req.body), clock()), shape()) });
  });
  router.get('/visits/:id', (req, res) => {
    const id = parse(PathId, req.params.id);
    const visit = findOr(ctx.state.visits, id, () => new BrusnikaError(404, 'not_found', `Показ с id ${id} не найден`));
    send(res, 200, { data: visitView(visit, shape()) });
  });
  router.post('/visits/:id/cancel', (req, res) => {
    send(res, 200, { data: visitView(cancelVisit(ctx.state, parse(PathId, req.params.id), clock()), shape()) });
  });

  router.use((req: Request) => {
    throw new BrusnikaError(404, 'not_found', `Метод ${req.method} ${req.path} не найден`);
  });
  router.use(errorHandler);
}

function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (err instanceof BrusnikaError) {
    send(res, err.status, { error: { code: err.code, message: err.message } });
    return;
  }
  send(res, 500, { error: { code: 'internal_error', message: 'Внутренняя ошибка сервера' } });
}

// ---------------------------------------------------------------------------
// Scenarios: what tests force. Each is a plain function on the state, and the
// same thing over HTTP under /__control.

/** The CRM's decision for bookings of this premise (applied when they fall due). */
export function setBookingOutcome(state: BrusnikaState, premiseId: number, outcome: Outcome): void {
  state.scenarios.bookingOutcomes[String(premiseId)] = outcome;
}

/** The manager's answer to visit requests in this project. */
export function setVisitOutcome(state: BrusnikaState, projectId: number, outcome: Outcome): void {
  state.scenarios.visitOutcomes[String(projectId)] = outcome;
}

/** Whether GET /bookings and GET /visits are served (true) or unknown methods (404). */
export function setRecordListsServed(state: BrusnikaState, served: boolean): void {
  state.scenarios.recordListsServed = served;
}

/** Someone else (another channel of the CRM) takes the slot for good. */
export function takeTimeSlot(state: BrusnikaState, slotId: number): TimeSlot {
  const slot = findOr(state.timeSlots, slotId, () => new BrusnikaError(404, 'not_found', `Слот с id ${slotId} не найден`));
  slot.taken_elsewhere = true;
  slot.held_until = null;
  return slot;
}

function findUser(state: BrusnikaState, userId: number): User {
  return findOr(state.users, userId, () => new BrusnikaError(404, 'not_found', `Пользователь с id ${userId} не найден`));
}

export function setUserStatus(state: BrusnikaState, userId: number, status: UserStatus): User {
  const user = findUser(state, userId);
  user.status = status;
  return user;
}

export function setRemainingBookings(state: BrusnikaState, userId: number, remaining: number): User {
  const user = findUser(state, userId);
  user.remaining_user_creation_limit = remaining;
  return user;
}

/** Marks a premise sold (or not), as a sale through another channel would. */
export function setPremiseSold(state: BrusnikaState, premiseId: number, isSold: boolean): Premise {
  const premise = findOr(state.premises, premiseId, () => new BrusnikaError(404, 'not_found', `Помещение с id ${premiseId} не найдено`));
  premise.is_sold = isSold;
  return premise;
}

/** The whole inventory, settled at `now`, as tests assert on it. */
export function stateView(state: BrusnikaState, now: number) {
  settle(state, now);
  return { ...state, buildings: state.buildings.map((b) => buildingView(state, b)) };
}

const BookingOutcomeControl = z.intersection(z.object({ premise_id: BodyId }), Outcome);
const VisitOutcomeControl = z.intersection(z.object({ project_id: BodyId }), Outcome);
const UserControl = z
  .object({ status: UserStatus.optional(), remaining_user_creation_limit: z.number().int().min(0).optional() })
  .refine((u) => u.status !== undefined || u.remaining_user_creation_limit !== undefined, { message: 'нечего менять' });
const PremiseControl = z.object({ is_sold: z.boolean() });
const TimingControl = z
  .object({
    bookingDecisionMs: z.number().int().min(0),
    visitDecisionMs: z.number().int().min(0),
    timeSlotHoldMs: z.number().int().min(0),
  })
  .partial();

/**
 * Under /__control (besides the harness's faults, calls and reset):
 *   GET  /state                      the whole inventory, settled, prices exact
 *   POST /scenarios/booking-outcome  {premise_id, status: "success"} | {premise_id, status: "fail", reason}
 *   POST /scenarios/visit-outcome    {project_id, status, reason?} (reason required for "fail")
 *   POST /scenarios/record-lists     {served: boolean}: whether GET /bookings and GET /visits exist
 *   POST /time-slots/:id/take        the slot is taken by someone else, for good
 *   POST /users/:id                  {status?: "active"|"blocked", remaining_user_creation_limit?: n}
 *   POST /premises/:id               {is_sold: boolean}
 *   POST /timing                     {bookingDecisionMs?, visitDecisionMs?, timeSlotHoldMs?} (for what is created next)
 */
function controlRoutes(router: Router, ctx: SimulatorContext<BrusnikaState>, clock: () => number): void {
  router.get('/state', (_req, res) => send(res, 200, stateView(ctx.state, clock())));
  router.post('/scenarios/booking-outcome', (req, res) => {
    const { premise_id, ...outcome } = parse(BookingOutcomeControl, req.body);
    setBookingOutcome(ctx.state, premise_id, outcome);
    send(res, 200, ctx.state.scenarios);
  });
  router.post('/scenarios/visit-outcome', (req, res) => {
    const { project_id, ...outcome } = parse(VisitOutcomeControl, req.body);
    setVisitOutcome(ctx.state, project_id, outcome);
    send(res, 200, ctx.state.scenarios);
  });
  router.post('/scenarios/record-lists', (req, res) => {
    setRecordListsServed(ctx.state, parse(z.object({ served: z.boolean() }), req.body).served);
    send(res, 200, ctx.state.scenarios);
  });
  router.post('/time-slots/:id/take', (req, res) => {
    settle(ctx.state, clock());
    send(res, 200, { data: timeSlotView(takeTimeSlot(ctx.state, parse(PathId, req.params.id))) });
  });
  router.post('/users/:id', (req, res) => {
    const id = parse(PathId, req.params.id);
    const change = parse(UserControl, req.body);
    let user = findUser(ctx.state, id);
    if (change.status !== undefined) user = setUserStatus(ctx.state, id, change.status);
    if (change.remaining_user_creation_limit !== undefined) user = setRemainingBookings(ctx.state, id, change.remaining_user_creation_limit);
    send(res, 200, { data: user });
  });
  router.post('/premises/:id', (req, res) => {
    const premise = setPremiseSold(ctx.state, parse(PathId, req.params.id), parse(PremiseControl, req.body).is_sold);
    send(res, 200, { data: premise });
  });
  router.post('/timing', (req, res) => {
    ctx.state.timing = { ...ctx.state.timing, ...parse(TimingControl, req.body) };
    send(res, 200, ctx.state.timing);
  });
  router.use(errorHandler);
}

// ---------------------------------------------------------------------------
// Definition and start-up.

export function createBrusnikaSimulator(config: BrusnikaConfig = {}): SimulatorDefinition<BrusnikaState> {
  const clock = config.clock ?? Date.now;
  const timing: BrusnikaTiming = { ...DEFAULT_TIMING, ...config.timing };
  return {
    initialState: () => fixtures(clock(), { ...timing }),
    routes: (router, ctx) => providerRoutes(router, ctx, clock),
    controlRoutes: (router, ctx) => controlRoutes(router, ctx, clock),
  };
}

export const brusnikaSimulator: SimulatorDefinition<BrusnikaState> = createBrusnikaSimulator();

export function startBrusnikaSimulator(
  options: Omit<SimulatorOptions, 'name'> & { port?: number; host?: string } & BrusnikaConfig,
): Promise<RunningSimulator<BrusnikaState>> {
  const { timing, clock, ...simulatorOptions } = options;
  return startSimulator(createBrusnikaSimulator({ timing, clock }), { ...simulatorOptions, name: 'brusnika' });
}
