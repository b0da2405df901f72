// Plotly layout colours taken from JupyterLab's theme CSS variables, so charts follow
// the light or dark theme, and a hook that fires when the user switches theme.

export interface PlotTheme {
  dark: boolean;
  paper: string;
  plot: string;
  font: string;
  muted: string;
  grid: string;
  line: string;
  fontFamily: string;
}

const LIGHT: PlotTheme = {
  dark: false,
  paper: "#ffffff",
  plot: "#ffffff",
  font: "#212121",
  muted: "#616161",
  grid: "#e0e0e0",
  line: "#bdbdbd",
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
};

const DARK: PlotTheme = {
  ...LIGHT,
  dark: true,
  paper: "#111111",
  plot: "#111111",
  font: "#e0e0e0",
  muted: "#bdbdbd",
  grid: "#424242",
  line: "#616161",
};

function cssVar(style: CSSStyleDeclaration, name: string): string {
  return style.getPropertyValue(name).trim();
}

// Whether the page shows a dark theme: JupyterLab marks <body>; otherwise the OS.
export function isDark(): boolean {
  const light = document.body?.dataset.jpThemeLight;
  if (light !== undefined) return light === "false";
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

// The theme's colours as seen from `element` (CSS variables are inherited).
export function currentTheme(element: Element = document.body): PlotTheme {
  const fallback = isDark() ? DARK : LIGHT;
  const style = getComputedStyle(element);
  const pick = (name: string, otherwise: string) => cssVar(style, name) || otherwise;
  return {
    dark: fallback.dark,
    paper: pick("--jp-layout-color0", fallback.paper),
    plot: pick("--jp-layout-color0", fallback.plot),
    font: pick("--jp-ui-font-color1", fallback.font),
    muted: pick("--jp-ui-font-color2", fallback.muted),
    grid: pick("--jp-border-color2", fallback.grid),
    line: pick("--jp-border-color1", fallback.line),
    fontFamily: pick("--jp-ui-font-family", fallback.fontFamily),
  };
}

const AXIS_KEY = /^[xy]axis\d*$/;

// A copy of `layout` with the theme's colours; the figure's own settings stay otherwise.
export function themeLayout(layout: Record<string, unknown>, theme: PlotTheme): Record<string, unknown> {
  const font = { ...((layout.font as object) ?? {}), color: theme.font, family: theme.fontFamily };
  const themed: Record<string, unknown> = {
    ...layout,
    paper_bgcolor: theme.paper,
    plot_bgcolor: theme.plot,
    font,
    legend: { ...((layout.legend as object) ?? {}), font: { color: theme.font }, bgcolor: "rgba(0,0,0,0)" },
  };
  const axes = new Set(["xaxis", "yaxis", ...Object.keys(layout).filter((key) => AXIS_KEY.test(key))]);
  for (const key of axes) {
    themed[key] = {
      ...((layout[key] as object) ?? {}),
      gridcolor: theme.grid,
      linecolor: theme.line,
      zerolinecolor: theme.line,
      tickfont: { color: theme.muted },
      // Long category labels grow the margin instead of running over the axis title.
      automargin: true,
    };
  }
  return themed;
}

// Calls `listener` whenever JupyterLab switches theme or the OS scheme changes.
export function onThemeChange(listener: () => void): () => void {
  const observer = new MutationObserver(() => listener());
  if (document.body) {
    observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  }
  const media = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : undefined;
  media?.addEventListener("change", listener);
  return () => {
    observer.disconnect();
    media?.removeEventListener("change", listener);
  };
}
