/** The workflows the worker registers: one lifecycle per provider, and the trip that combines them. */
export { oksLayoutBooking } from './oks';
export { chronoAgendaBooking } from './chrono';
export { brusnikaBooking } from './brusnika';
export { qticketsSeatBooking } from './qtickets';
export { hotels24HotelBooking } from './hotels24';
/** A booking across several providers, all or nothing: its legs are the workflows above. */
export { trip } from './trip';
