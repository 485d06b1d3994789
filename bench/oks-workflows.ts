/**
 * A bench-only bundle of the product's oks workflow alone (BENCH_WORKFLOWS=bench/oks-workflows.ts): what
 * oks bookings cost when the bundle does not also evaluate the other providers' modules (hotels24's zod
 * schemas) at every workflow's start.
 */
export { oksLayoutBooking } from '../workflows/oks';
