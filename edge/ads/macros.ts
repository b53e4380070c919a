// IAB macro substitution (VAST 4.1 §6) in the AD_SERVER_URL template and in the URLs the edge pings.
//
// Contract: `[NAME]` (also the VAST 2 form `%%NAME%%`) is replaced by the value of NAME when it is one we
// know, URL-encoded with encodeURIComponent, so a value never changes the URL's structure; macros we do
// not know are left as they are (the ad server may expand them itself). Pure.
//
// Known macros:
//   [CACHEBUSTING]       8 random digits, new per expansion (IAB: a random number per request)
//   [TIMESTAMP]          the time of the request, ISO 8601 UTC
//   [ERRORCODE]          the IAB error code (Error URLs only)
//   [CONTENT_ID]         the film's id
//   [CONTENT_TYPE]       the film's MediaType (MOVIE, TV_SERIES…)
//   [CONTENT_CATEGORY]   the film's MediaCategory
//   [CONTENT_LOCATION]   the film's location (region)
//   [CONTENT_EPISODE]    "{route}/{episode}"
//   [CONTENT_DURATION]   the episode's duration in whole seconds
//   [BREAK_POSITION]     IAB's values: 1 pre-roll, 2 mid-roll, 3 post-roll
//   [BREAK_TIME]         the break's offset in whole seconds (-1 for a post-roll)

export type MacroValues = Partial<Record<string, string | number>>;

const MACRO = /\[([A-Z][A-Z0-9_]*)\]|%%([A-Z][A-Z0-9_]*)%%/g;

export function expandMacros(template: string, values: MacroValues, random: () => number = Math.random, now: () => Date = () => new Date()): string {
  return template.replace(MACRO, (whole, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    let v: string | number | undefined = values[name];
    if (v === undefined && name === "CACHEBUSTING") v = String(Math.floor(random() * 1e8)).padStart(8, "0");
    if (v === undefined && name === "TIMESTAMP") v = now().toISOString();
    return v === undefined ? whole : encodeURIComponent(String(v));
  });
}

/** IAB's [BREAKPOSITION] values. */
export function breakPosition(at: number, postRoll: number): 1 | 2 | 3 {
  return at === postRoll ? 3 : at === 0 ? 1 : 2;
}
