/**
 * Counts a request's D1 round trips (each first/run/all/raw of a statement, each batch, each exec), so
 * every answer can say what it cost in `X-D1-Queries` — the figure that matters for D1, which runs one
 * query at a time per database. The handlers get a stand-in of the binding; batches unwrap the
 * statements (D1 accepts only its own).
 */
export const D1_QUERIES_HEADER = "X-D1-Queries";

const COUNTED = new Set(["first", "run", "all", "raw"]);

export function countingD1(db: D1Database): { db: D1Database; queries: () => number } {
  let n = 0;
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function") return value;
        if (COUNTED.has(String(prop))) {
          return (...args: unknown[]) => {
            n++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    real.set(proxy, stmt);
    return proxy;
  };
  const counted = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch") {
        return <T>(statements: D1PreparedStatement[]) => {
          n++;
          return target.batch<T>(statements.map((s) => real.get(s) ?? s));
        };
      }
      if (prop === "exec") {
        return (query: string) => {
          n++;
          return target.exec(query);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: counted, queries: () => n };
}
