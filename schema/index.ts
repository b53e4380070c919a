export * from "./enums";
export * from "./jobs";
export * from "./ids";
export * as keys from "./keys";
export * as tables from "./tables";
