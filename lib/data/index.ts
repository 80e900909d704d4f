export * from "./toy";
export * from "./idx";
export * from "./mnist";
export * from "./stacked-mnist";
