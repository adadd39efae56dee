// The periods the Admin Alerts and Charts pages offer, and the one their address (?days=) names.

export const ADMIN_PERIODS = [7, 14, 30];

/** The days `?days=` names, if one of the periods offered; else the first. */
export function periodDays(query: URLSearchParams): number {
  const days = Number(query.get('days'));
  return ADMIN_PERIODS.includes(days) ? days : ADMIN_PERIODS[0];
}
