export * from "./enums";
export * from "./jobs";
export * as tables from "./tables";
