// Caption languages: BCP 47 tags, canonicalised, so `pt-br` and `pt-BR` name one track (and one key).
// Pure (Intl only).

/** Subtags of letters and digits: what a canonical tag is made of, and all an object key or URL may take from it. */
const TAG = /^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
/** RFC 5646 §4.4.1: implementations keep at least 35 characters; nothing longer is needed for a language. */
const MAX_TAG = 35;

export type LangCheck = { ok: true; lang: string } | { ok: false; reason: string };

export function canonicalLang(tag: string): LangCheck {
  const bad = (why: string): LangCheck => ({ ok: false, reason: `"${tag.slice(0, 40)}" is not a BCP 47 language tag (${why})` });
  if (tag.length > MAX_TAG) return bad(`longer than ${MAX_TAG} characters`);
  if (!TAG.test(tag)) return bad("subtags of 1-8 letters or digits separated by '-', e.g. en, pt-BR, zh-Hans");
  let lang: string;
  try {
    lang = Intl.getCanonicalLocales(tag)[0]!;
  } catch {
    return bad("not well-formed");
  }
  if (!lang || lang.length > MAX_TAG || !TAG.test(lang)) return bad("not well-formed");
  return { ok: true, lang };
}

/** What a track is called when the admin gives no label: the language's name in itself ("English", "español"). */
export function defaultLabel(lang: string): string {
  try {
    const name = new Intl.DisplayNames([lang], { type: "language" }).of(lang);
    if (name && usableLabel(name)) return name;
  } catch {
    // An engine without the data for this language: the tag says enough.
  }
  return lang;
}

/** A label goes into the master playlist as a quoted NAME: no quotes, no control characters. */
export function usableLabel(label: string): boolean {
  return label.trim() === label && label.length > 0 && label.length <= 100 && !/["\u0000-\u001f\u007f]/.test(label);
}

/** For a zod `.transform()`: the canonical tag, or an issue saying why the value is not one. */
export function toCanonicalLang(value: string, ctx: { addIssue(issue: { code: "custom"; message: string }): void }): string {
  const c = canonicalLang(value);
  if (!c.ok) ctx.addIssue({ code: "custom", message: c.reason });
  return c.ok ? c.lang : value;
}
