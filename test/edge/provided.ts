// Values the edge tests get from their global setup (test/support/ad-server-setup.ts).
declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake third-party ad server. */
    adServer: string;
  }
}
export {};
