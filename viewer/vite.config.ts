import { defineConfig } from 'vite';

// The API server the dev server forwards to (`pnpm --filter @yunzhen/viewer dev`).
const apiTarget = process.env.YUNZHEN_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  worker: { format: 'es' },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/api': apiTarget, '/dicomweb': apiTarget },
  },
});
