/** The workflows the worker registers: one lifecycle per provider. */
export { oksLayoutBooking } from './oks';
