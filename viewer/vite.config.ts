import { defineConfig } from 'vite';

// The API server the dev server forwards to (`pnpm --filter @yunzhen/viewer dev`).
const apiTarget = process.env.YUNZHEN_API ?? 'http://127.0.0.1:8080';

const dil = '@cornerstonejs/dicom-image-loader';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 8000 },
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
