export * from "./plotly";
export * from "./live";
export * from "./images";
export * from "./table";
export * from "./history";
export * from "./surface";
