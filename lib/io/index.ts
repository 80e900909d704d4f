export * from "./files";
