/**
 * The renderer's build: `vite build renderer` (npm run build) writes renderer/dist, which the
 * desktop app serves from switchboard://app and headless mode from /ui. Relative asset paths, so
 * the same build works under both; nothing inlined, so a strict CSP (no inline script) holds.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
