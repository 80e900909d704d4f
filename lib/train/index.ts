export * from "./loop";
export * from "./checkpoint";
export * from "./callbacks";
