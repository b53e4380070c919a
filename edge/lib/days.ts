// Days are UTC "YYYY-MM-DD" strings (schema/tables.ts): they sort and compare as text.

const DAY_MS = 86_400_000;

export function utcDay(ms = Date.now()): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);
}

/** Days in the ranking window: today and the six before it. */
export const WEEK_DAYS = 7;

/** First day of the seven-day window that ends on `today`. */
export function weekStart(today: string): string {
  return addDays(today, -(WEEK_DAYS - 1));
}
