export * from "./mode-collapse";
