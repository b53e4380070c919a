// VAST/VMAP clock values: "HH:MM:SS" or "HH:MM:SS.mmm" (Duration, timeOffset), to seconds.

export function clockSeconds(value: string | undefined): number | null {
  const m = /^(\d{1,3}):([0-5]\d):([0-5]\d(?:\.\d{1,3})?)$/.exec((value ?? "").trim());
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}
