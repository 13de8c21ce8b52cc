// Bundles src/ into dist/: index.html and graphiql.html, and their assets under dist/assets/.
// Nothing is fetched at run time: every script, style and icon is served by the API.

import { copyFile, mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const dist = `${here}dist`;

await rm(dist, { recursive: true, force: true });
await mkdir(`${dist}/assets`, { recursive: true });
await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.ts", graphiql: "src/graphiql.ts" },
  outdir: "dist/assets",
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  sourcemap: "linked",
  legalComments: "linked",
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff": "file", ".woff2": "file", ".svg": "file" },
  logLevel: "info",
});
await Promise.all(
  [
    ["src/index.html", "index.html"],
    ["src/graphiql.html", "graphiql.html"],
    ["src/favicon.svg", "assets/favicon.svg"],
  ].map(([from, to]) => copyFile(`${here}${from}`, `${dist}/${to}`)),
);
