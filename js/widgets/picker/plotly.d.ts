// The few calls the picker makes on plotly.js (the cartesian bundle ships no types).
declare module "plotly.js-cartesian-dist-min" {
  interface PlotlyStatic {
    react(root: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<unknown>;
    purge(root: HTMLElement): void;
    Plots: { resize(root: HTMLElement): void };
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}
