import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The same policy the hosts send as a header, also in the page itself so it holds under any
// host (file://, a plain static server). Build only: the dev server injects inline scripts.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
].join('; ');

const cspMeta: Plugin = {
  name: 'station-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
};

export default defineConfig({
  // Relative to the working directory: `npm run build` runs from the package root.
  root: 'renderer',
  base: './',
  plugins: [react(), cspMeta],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // The station's screen, and the Electron unlock window's page (asked before the core starts).
    rollupOptions: { input: { index: 'renderer/index.html', unlock: 'renderer/unlock.html' } },
    target: 'chrome120',
    // No inline module-preload polyfill or inlined assets: everything is a file 'self' allows.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
