/** Response header carrying the D1 rows a handler read (sum of meta.rows_read of its queries). */
export const ROWS_READ_HEADER = "X-D1-Rows-Read";

/**
 * The read queries of one request, with what D1 says they cost. Handlers report the total in
 * ROWS_READ_HEADER, so the cost of each route is measured on the real handler (tests assert it).
 */
export class CostedReads {
  rowsRead = 0;

  constructor(private readonly db: D1Database) {}

  async all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    const result = await this.db
      .prepare(sql)
      .bind(...params)
      .all<T>();
    this.rowsRead += result.meta.rows_read ?? 0;
    return result.results;
  }

  async first<T>(sql: string, params: readonly unknown[]): Promise<T | null> {
    return (await this.all<T>(sql, params))[0] ?? null;
  }

  /** Several reads in one round trip. */
  async batch<T extends unknown[]>(queries: { sql: string; params: readonly unknown[] }[]): Promise<{ [K in keyof T]: T[K][] }> {
    const results = await this.db.batch(queries.map((q) => this.db.prepare(q.sql).bind(...q.params)));
    for (const r of results) this.rowsRead += r.meta.rows_read ?? 0;
    return results.map((r) => r.results) as { [K in keyof T]: T[K][] };
  }

  headers(): Record<string, string> {
    return { [ROWS_READ_HEADER]: String(this.rowsRead) };
  }
}
