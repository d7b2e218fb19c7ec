import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

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
  server: { proxy: daemonApi },
  preview: { proxy: daemonApi },
  build: {
    outDir: fileURLToPath(new URL('./demo/dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // libp2p (noise, yamux, WebRTC, WebSockets) is most of the ~860 kB bundle; one chunk is fine for a demo.
    chunkSizeWarningLimit: 1200
  },
  resolve: mode === 'fake'
    ? { alias: { '@ringstore/browser': fileURLToPath(new URL('./demo/src/dev-fake.ts', import.meta.url)) } }
    : {},
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
