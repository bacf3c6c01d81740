// Builds the dashboard into dist/web (served by Berth's own server at /). Everything it needs is
// bundled: scripts, styles, the font files and icons; nothing is inlined into index.html, so the
// Content-Security-Policy can refuse every inline script and style.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  publicDir: here("public"),
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: here("../dist/web"),
    emptyOutDir: true,
    // Fonts and icons stay files of this origin (a data: URL would need a looser policy).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev:web`: the API of a running `berth up` behind Vite's dev server.
    proxy: { "/api": process.env.BERTH_URL ?? "http://127.0.0.1:4780" },
  },
});
