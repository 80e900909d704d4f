export * from "./backend";
export * from "./seed";
