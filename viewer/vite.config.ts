import { fileURLToPath } from 'node:url';

import { createLogger, defineConfig } from 'vite';

// The API server the dev server forwards to (`pnpm --filter @yunzhen/viewer dev`).
const apiTarget = process.env.YUNZHEN_API ?? 'http://127.0.0.1:8080';

const dil = '@cornerstonejs/dicom-image-loader';

/**
 * The quick start's build prints warnings only when something needs a look. Known ones are
 * dropped: Node modules that third-party code reaches only when it runs under Node, which the
 * browser build rightly leaves out: `fs`/`path` in the Emscripten loaders of the image codecs
 * (their Node branch), and `url` in `@oozcitak/url` (the XML writer under dcmjs, for
 * internationalised host names the viewer never parses).
 */
const nodeOnlyImport = /Module "(fs|path|url)" has been externalized for browser compatibility, imported by "[^"]*\/(@cornerstonejs\/codec-[a-z0-9-]+\/dist|@oozcitak\/url\/lib)\//;
const logger = createLogger();
const warn = logger.warn.bind(logger);
logger.warn = (message, options) => {
  if (nodeOnlyImport.test(message)) return;
  warn(message, options);
};

export default defineConfig({
  // Cornerstone's SEG reader imports `ndarray`, which builds its accessors with `new Function`;
  // the page's Content Security Policy forbids that, so it gets a plain implementation.
  resolve: { alias: { ndarray: fileURLToPath(new URL('./src/viewer/plain-ndarray.ts', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  customLogger: logger,
  // Plugin timing reports are for whoever tunes the build, not for every start.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 8000, rolldownOptions: { checks: { bundlerTimings: false } } },
  // The image loader starts its decoder as `new Worker(new URL(…, import.meta.url), { type: 'module' })`.
  worker: { format: 'es' },
  // Dev server only (`vite build` resolves all of this by itself, codec .wasm files included):
  // the loader must stay unbundled for its worker URL, its CommonJS codec wrappers must be
  // pre-bundled, and metadata must be one module instance shared with core.
  optimizeDeps: {
    exclude: [dil],
    include: [
      `${dil} > dicom-parser`,
      `${dil} > @cornerstonejs/metadata`,
      `${dil} > @cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs`,
      `${dil} > @cornerstonejs/codec-charls/decodewasmjs`,
      `${dil} > @cornerstonejs/codec-openjpeg/decodewasmjs`,
      `${dil} > @cornerstonejs/codec-openjph/wasmjs`,
      `${dil} > @cornerstonejs/codec-libjxl/decodewasmjs`,
    ],
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/api': apiTarget, '/dicomweb': apiTarget },
  },
});
