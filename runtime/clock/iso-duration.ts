/**
 * Parses an ISO 8601 duration (`PT1H`, `P1DT12H`, `PT0.5S`, `P2W`) into milliseconds. Years and months are refused:
 * their length depends on the date.
 */
export function parseIsoDuration(text: string): number {
  const m =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
      text.trim(),
    );
  if (!m || text.trim() === 'P' || /T$/i.test(text.trim())) {
    throw new RangeError(
      `"${text}" is not an ISO 8601 duration of weeks, days, hours, minutes and seconds (e.g. PT1H, P1D).`,
    );
  }
  const [, w, d, h, min, s] = m;
  const n = (v: string | undefined): number => (v === undefined ? 0 : Number(v));
  return Math.round((((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(min)) * 60_000 + n(s) * 1000);
}
