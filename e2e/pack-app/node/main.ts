/**
 * The scratch Node script of e2e/pack.spec.ts, compiled by tsc and run against the
 * installed `ringstore` tarball (never the repo's sources).
 *   node main.js write DAEMON_URL CAP_ID DATA_DIR   writes cap/<id>/from-node, reads it back
 *   node main.js read DAEMON_URL KEY DATA_DIR       reads KEY
 * Prints one JSON line: the key and the values read.
 */
import { capabilityKey, createNodeClient } from 'ringstore'

const [mode, daemon, arg, dataDir] = process.argv.slice(2)
if (daemon === undefined || arg === undefined || dataDir === undefined) throw new Error('usage: main.js write|read DAEMON_URL CAP_ID|KEY DATA_DIR')

// The three lines of the README ("Use as a library").
const client = await createNodeClient({ daemon, dataDir })
const key = mode === 'write' ? capabilityKey(arg, 'from-node') : arg
if (mode === 'write') await client.put(key, new TextEncoder().encode('hello from node'))
// A key another client wrote may have reached one daemon only so far, and this client's
// R=2 read counts its own (empty) replica: then watch it, and the watch's first renewal
// fetches the version a member holds (or a later push brings it), within 30 s.
let { values } = await client.get(key)
if (values.length === 0) {
  values = await new Promise<Uint8Array[]>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no version of ${key} within 30 s`)) }, 30_000)
    const unwatch = client.watch(key, (change) => {
      if (change.values.length === 0) return
      clearTimeout(timer)
      unwatch()
      resolve(change.values)
    })
  })
}

console.log(JSON.stringify({ key, values: values.map((v) => new TextDecoder().decode(v)), peer: client.id }))
await client.stop()
