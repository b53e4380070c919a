// Types of config.mjs (plain JavaScript so `npm start` runs on bare node).
export declare const ROOT: string;
export declare function readDevVars(file: string): Record<string, string>;
export interface StackConfig {
  root: string;
  stateDir: string;
  edgeStateDir: string;
  redisDir: string;
  transcoderTempDir: string;
  logDir: string;
  pidFile: string;
  demoMarker: string;
  edgePort: number;
  intakePort: number;
  redisPort: number;
  inspectorPort: number;
  edgeUrl: string;
  publicBaseUrl: string;
  intakeUrl: string;
  externalRedisUrl: string;
  redisUrl: string;
  devVarsFile: string;
}
export declare function stackConfig(env?: Record<string, string | undefined>): StackConfig;
