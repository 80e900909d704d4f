export * from "./types";
export * from "./batches";
export * from "./gan-spec";
export * from "./loop";
export * from "./checkpoint";
export * from "./callbacks";
