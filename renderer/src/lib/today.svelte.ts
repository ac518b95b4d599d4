/** Today, as times recorded are shown against it (format.ts `stamp`, `dated`): kept current past midnight. */
import { dayOf, type Day } from './format.ts';

class Today {
  day = $state<Day>(dayOf(Date.now()));

  constructor() {
    // A window left open overnight: yesterday's rows get their date once the day turns.
    setInterval(() => {
      const now = Date.now();
      if (now < this.day.start || now >= this.day.end) this.day = dayOf(now);
    }, 60_000);
  }
}

export const today = new Today();
