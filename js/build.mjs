// Bundles each widget under js/widgets/<name>/index.ts into src/nbdash/static/<name>.js,
// a self-contained ES module that anywidget loads as the widget's _esm.
import { build } from "esbuild";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const widgetsDir = "js/widgets";
const names = readdirSync(widgetsDir).filter((name) =>
  existsSync(join(widgetsDir, name, "index.ts")),
);

// `--plotly-only` rebuilds just plotly, after the lab extension build emptied its folder.
const plotlyOnly = process.argv.includes("--plotly-only");

if (!plotlyOnly) await build({
  entryPoints: Object.fromEntries(
    names.map((name) => [name, join(widgetsDir, name, "index.ts")]),
  ),
  outdir: "src/nbdash/static",
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  loader: { ".css": "text" },
  logLevel: "warning",
});

// plotly.js as one ES module in the lab extension's static folder, served by
// JupyterLab and Voila and imported lazily by js/shared/plotly.ts, so no widget bundle
// carries it. Run after the lab extension build, which empties that folder.
await build({
  stdin: {
    contents: 'export { default } from "plotly.js-cartesian-dist-min";',
    resolveDir: ".",
    loader: "js",
  },
  outfile: "src/nbdash/labextension/static/plotly-cartesian.js",
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  logLevel: "warning",
});

// gridstack the same way: the dashboard's widget state then carries only its own code.
await build({
  stdin: {
    contents: 'export { GridStack as default } from "gridstack";',
    resolveDir: ".",
    loader: "js",
  },
  outfile: "src/nbdash/labextension/static/gridstack.js",
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  logLevel: "warning",
});
