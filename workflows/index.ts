/** The workflows the worker registers: one lifecycle per provider. */
export { oksLayoutBooking } from './oks';
export { chronoAgendaBooking } from './chrono';
export { brusnikaBooking } from './brusnika';
export { qticketsSeatBooking } from './qtickets';
export { hotels24HotelBooking } from './hotels24';
