import { defineConfig } from 'vite';

// The inspector page: web/ built to dist/web/ with relative paths, so the same files work
// behind `flashkv inspect` and from any static server, offline (no CDN, nothing fetched).
export default defineConfig({
  root: 'web',
  base: './',
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022' },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
