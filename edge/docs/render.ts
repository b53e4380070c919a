// The /docs page: the OpenAPI document rendered as plain HTML on the server. Pure.
// Self-contained on purpose (no script, no CDN asset), so it works offline and behind strict CSPs.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const esc = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A one-line description of a schema: `string`, `Film[]`, `MOVIE | TV_SERIES …`. */
export function schemaSummary(schema: Json | undefined): string {
  if (!isObj(schema)) return "any";
  if (typeof schema.$ref === "string") return schema.$ref.split("/").pop() ?? "object";
  if (Array.isArray(schema.enum)) return schema.enum.map(String).join(" | ");
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map(schemaSummary).join(" or ");
  if (schema.type === "array") return `${schemaSummary(schema.items)}[]`;
  if (schema.type === "object" && isObj(schema.properties)) {
    return `{ ${Object.entries(schema.properties)
      .map(([k, v]) => `${k}: ${schemaSummary(v)}`)
      .join(", ")} }`;
  }
  const fmt = typeof schema.format === "string" ? ` (${schema.format})` : "";
  const pattern = typeof schema.pattern === "string" ? ` matching ${schema.pattern}` : "";
  return `${Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any")}${fmt}${pattern}`;
}

const METHODS = ["get", "head", "post", "put", "patch", "delete", "options"];

function renderOperation(path: string, method: string, op: Obj): string {
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObj) : [];
  const responses = isObj(op.responses) ? op.responses : {};
  const body = isObj(op.requestBody) && isObj(op.requestBody.content) ? op.requestBody.content : null;
  const rows = params
    .map(
      (p) =>
        `<tr><td><code>${esc(String(p.name))}</code></td><td>${esc(String(p.in))}</td><td>${p.required ? "yes" : "no"}</td>` +
        `<td><code>${esc(schemaSummary(p.schema))}</code></td><td>${esc(String((isObj(p.schema) && p.schema.description) || p.description || ""))}</td></tr>`,
    )
    .join("");
  const resp = Object.entries(responses)
    .filter((e): e is [string, Obj] => isObj(e[1]))
    .map(([status, r]) => {
      const content = isObj(r.content) ? r.content : {};
      const types = Object.entries(content)
        .filter((e): e is [string, Obj] => isObj(e[1]))
        .map(([t, m]) => `<code>${esc(t)}</code> <code>${esc(schemaSummary(m.schema))}</code>`)
        .join(", ");
      return `<li><strong>${esc(status)}</strong> ${esc(String(r.description ?? ""))}${types ? ` — ${types}` : ""}</li>`;
    })
    .join("");
  const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-");
  return `<section class="op" id="${esc(id)}">
<h3><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
${op.summary ? `<p>${esc(String(op.summary))}</p>` : ""}${op.description ? `<p class="d">${esc(String(op.description))}</p>` : ""}
${rows ? `<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>` : ""}
${body ? `<p>Body: ${Object.entries(body).map(([t, m]) => `<code>${esc(t)}</code> <code>${esc(schemaSummary(isObj(m) ? m.schema : null))}</code>`).join(", ")}</p>` : ""}
<ul class="r">${resp}</ul>
</section>`;
}

export function renderDocsPage(doc: unknown, specUrl: string): string {
  const d = (isObj(doc as Json) ? doc : {}) as Obj;
  const info = isObj(d.info) ? d.info : {};
  const paths = isObj(d.paths) ? d.paths : {};
  const byTag = new Map<string, string[]>();
  const toc: string[] = [];
  for (const [path, item] of Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isObj(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const tag = Array.isArray(op.tags) && typeof op.tags[0] === "string" ? op.tags[0] : "other";
      const list = byTag.get(tag) ?? [];
      list.push(renderOperation(path, method, op));
      byTag.set(tag, list);
    }
  }
  for (const tag of byTag.keys()) toc.push(`<li><a href="#tag-${esc(tag)}">${esc(tag)}</a></li>`);
  const schemas = isObj(d.components) && isObj(d.components.schemas) ? d.components.schemas : {};
  const schemaHtml = Object.entries(schemas)
    .map(([name, s]) => `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre></section>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(String(info.title ?? "API"))} — API docs</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 1.5rem;color:#1a1a1a;background:#fff}
h1{margin-bottom:0}h2{border-bottom:2px solid #ccc;margin-top:2.5rem}code,pre{font-family:ui-monospace,monospace;font-size:.9em}
pre{background:#f4f4f4;padding:.75rem;overflow:auto}.op{border:1px solid #ccc;border-radius:6px;padding:.25rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;background:#333;padding:0 .4em}
.m-get{background:#0b5394}.m-post{background:#1e6b2f}.m-put{background:#7a4b00}.m-delete{background:#9b1c1c}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
.d{color:#444}a{color:#0b5394}
</style></head><body>
<header><h1>${esc(String(info.title ?? "API"))}</h1><p>version ${esc(String(info.version ?? ""))} · machine-readable: <a href="${esc(specUrl)}">${esc(specUrl)}</a></p>
${info.description ? `<p>${esc(String(info.description))}</p>` : ""}</header>
<nav aria-label="sections"><ul>${toc.join("")}<li><a href="#schemas">schemas</a></li></ul></nav>
<main>${[...byTag.entries()].map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join("")}`).join("")}
<h2 id="schemas">Schemas</h2>${schemaHtml}</main>
</body></html>`;
}
