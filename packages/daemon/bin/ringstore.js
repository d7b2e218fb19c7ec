#!/usr/bin/env node
/* global process, URL */
// The `ringstore` command: runs dist/cli.js, the compiled bundle of src/cli.ts and the
// workspace packages (packages/daemon/build.mjs; `npm install` builds it, and so do
// `npm run build`, `npm start`, `npm run bench` and the test setups).
//
import { existsSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// libp2p 3 calls Promise.withResolvers, which Node 20 lacks: define it before anything
// imports libp2p (the same five lines as packages/net-libp2p/src/polyfill.ts, which the
// libp2p entry points also import; whichever runs first wins, the other is a no-op).
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers () {
      let resolve, reject
      const promise = new Promise((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}

const bundleUrl = new URL('../dist/cli.js', import.meta.url)
const bundle = fileURLToPath(bundleUrl)
if (!existsSync(bundle)) {
  // No fallback to the TypeScript sources: a second way to run would be one the tests do
  // not cover, and slower (tsx: ~40 MB more RSS, ~0.6 s more CPU per start).
  process.stderr.write(`ringstore: ${bundle} is missing: run \`npm run build\` at the repository root (npm install does it too)\n`)
  process.exit(1)
}
warnIfStale()
const { main } = await import(bundleUrl.href)
process.exit(await main(process.argv.slice(2)))

/**
 * A source edited after the last build would silently not run: say so (on stderr, once).
 * dist/inputs.json lists the bundle's sources; stat-ing them costs ~1 ms.
 */
function warnIfStale () {
  try {
    const root = fileURLToPath(new URL('../../../', import.meta.url))
    const builtAt = statSync(bundle).mtimeMs
    const inputs = JSON.parse(readFileSync(fileURLToPath(new URL('../dist/inputs.json', import.meta.url)), 'utf8'))
    const newer = inputs.find((file) => { try { return statSync(root + file).mtimeMs > builtAt } catch { return true } })
    if (newer !== undefined) process.stderr.write(`ringstore: warning: ${newer} changed after the last build; run \`npm run build\` to run it\n`)
  } catch { /* no inputs list (older build): nothing to compare */ }
}
