import { fileURLToPath } from 'node:url'
import { VitePWA } from 'vite-plugin-pwa'
import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

const SOURCE_CONDITION = '@ringstore/source'
const repoRoot = fileURLToPath(new URL('.', import.meta.url))
const demoRoot = fileURLToPath(new URL('./demo', import.meta.url))
// `vite` / `vite preview` forward the daemon's open GET /bootstrap so that the page finds
// the cluster as it does when the daemon serves it. Point this at any daemon of the
// cluster. changeOrigin: the daemon answers only a Host naming itself (421 otherwise).
const daemonHttp = process.env.RINGSTORE_DAEMON_HTTP ?? 'http://127.0.0.1:7070'
const daemonApi = { '/bootstrap': { target: daemonHttp, changeOrigin: true } }

// One config for the demo build and for Vitest, which reads the `test` block.
// `vite build` / `vite preview` build and serve demo/ into demo/dist (which the daemon
// serves); `vite build --mode fake` swaps the browser peer for demo/src/dev-fake.ts, an
// in-memory stand-in for working on the UI without a daemon (never the default).
export default defineConfig(({ mode }) => ({
  root: demoRoot,
  // Relative asset URLs: the build works wherever the daemon mounts it.
  base: './',
  // An installable app whose files a service worker (Workbox, generated at build) keeps,
  // so a reload while offline loads the shop, and the cart comes from IndexedDB. The API
  // routes are never cached: they need the network and the token.
  plugins: [VitePWA({
    registerType: 'autoUpdate',
    injectRegister: 'script',
    manifest: {
      name: 'Hearth & Ring — a ringstore demo shop',
      short_name: 'Hearth & Ring',
      description: 'A shop whose cart is kept in this browser and on a ring of replicas: it works offline.',
      start_url: './',
      display: 'standalone',
      background_color: '#faf7f2',
      theme_color: '#6b4a31',
      icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }]
    },
    workbox: {
      // The first visit is taken over at once (not only after a reload), so the shop works
      // offline from the first page on; a new build replaces the old worker at once too.
      clientsClaim: true,
      skipWaiting: true,
      globPatterns: ['**/*.{js,css,html,svg,webmanifest}'],
      // The bundle is ~1 MB (libp2p): above Workbox's 2 MiB default it would be skipped.
      maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
      navigateFallback: 'index.html',
      navigateFallbackDenylist: [/^\/(kv|replica|status|metrics|admin|bootstrap)(\/|$)/]
    }
  })],
  server: { proxy: daemonApi },
  preview: { proxy: daemonApi },
  build: {
    outDir: fileURLToPath(new URL('./demo/dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // libp2p (noise, yamux, WebRTC, WebSockets) is most of the ~860 kB bundle; one chunk is fine for a demo.
    chunkSizeWarningLimit: 1200
  },
  // Workspace packages resolve to their TypeScript sources: the "@ringstore/source"
  // condition comes first in their package.json exports (dist/ is for installed copies), so
  // the demo build and the tests never need `npm run build` first. `ssr` is Vitest's Node side.
  resolve: {
    conditions: [SOURCE_CONDITION, ...defaultClientConditions],
    ...(mode === 'fake' ? { alias: { '@ringstore/browser': fileURLToPath(new URL('./demo/src/dev-fake.ts', import.meta.url)) } } : {})
  },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions], externalConditions: [SOURCE_CONDITION] } },
  test: {
    // The demo root above must not move the test root: tests are found from the repo root.
    root: repoRoot,
    include: ['packages/*/test/**/*.test.ts', 'demo/test/**/*.test.ts'],
    // The daemon tests spawn bin/ringstore.js, which runs the compiled bundle: build it first.
    globalSetup: ['packages/daemon/test/build.setup.ts'],
    // The simulator suites run hundreds of seeded clusters; give them room on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
}))
