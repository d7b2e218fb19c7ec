#!/usr/bin/env node
/* global process */
// The `ringstore` command. The sources are TypeScript, run through tsx's loader (registered
// here, in-process) so that no build step stands between `npm install` and `npx ringstore`.
//
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

const { register } = await import('tsx/esm/api')
register()
const { main } = await import('../src/cli.ts')
process.exit(await main(process.argv.slice(2)))
