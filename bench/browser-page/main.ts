/**
 * The browser bench page: bundled by bench/browser.ts (Vite), loaded in headless Chromium
 * and driven through `window.ringstoreBench` (see api.ts). Every timing loop runs here, in
 * the page, so a Playwright round trip never lands inside a measured interval.
 */
import { createStore, promisifyRequest, set, setMany } from 'idb-keyval'
import type { UseStore } from 'idb-keyval'
import { IdbStorage, createBrowserPeer } from '@ringstore/browser'
import type { BrowserPeer } from '@ringstore/browser'
import type { BenchPage, IdbRow, JoinResult, OfflineRun, PageStatus } from './api.js'

const running: BrowserPeer[] = []
/** Peer names and raw idb-keyval databases to delete at cleanup. */
const peerNames: string[] = []
const rawDatabases: string[] = []
let syncTab: BrowserPeer | undefined

const encoder = new TextEncoder()

/**
 * A cart-like JSON value of exactly `bytes` bytes (the 262-byte cart of the W1 workload, bench/README.md): its key
 * and write time, padded.
 */
function cartValue (key: string, bytes: number): Uint8Array {
  const head = JSON.stringify({ cart: key, t: Date.now(), items: [{ sku: 'apple', qty: 2 }], pad: '' })
  const pad = 'x'.repeat(Math.max(0, bytes - encoder.encode(head).length))
  return encoder.encode(head.replace('"pad":""', `"pad":"${pad}"`))
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

async function waitFor (what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}

/** Sequential W=1 puts (latency each), then the same number with `inFlight` outstanding. */
async function putRun (peer: BrowserPeer, prefix: string, puts: number, inFlight: number, valueBytes: number): Promise<OfflineRun> {
  const sequentialMs: number[] = []
  for (let i = 0; i < puts; i++) {
    const key = `${prefix}-${i}`
    const value = cartValue(key, valueBytes)
    const t = performance.now()
    await peer.put(key, value, { w: 1 })
    sequentialMs.push(performance.now() - t)
  }
  let ms = 0
  if (inFlight > 0) {
    let next = 0
    const t = performance.now()
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < puts) {
        const key = `${prefix}-c-${next++}`
        await peer.put(key, cartValue(key, valueBytes), { w: 1 })
      }
    }))
    ms = performance.now() - t
  }
  const status = peer.status()
  return { sequentialMs, concurrent: { puts: inFlight > 0 ? puts : 0, inFlight, ms }, hintsPending: status.hintsPending, keys: status.keys }
}

async function offlineAlone (opts: { name: string, puts: number, warmup: number, inFlight: number, valueBytes: number }): Promise<OfflineRun> {
  peerNames.push(opts.name)
  const peer = await createBrowserPeer({ bootstrap: [], name: opts.name, webrtc: false, config: { n: 3, w: 1 } })
  running.push(peer)
  for (let i = 0; i < opts.warmup; i++) await peer.put(`warm-${i}`, cartValue(`warm-${i}`, opts.valueBytes), { w: 1 })
  const run = await putRun(peer, 'alone', opts.puts, opts.inFlight, opts.valueBytes)
  await peer.stop()
  running.splice(running.indexOf(peer), 1)
  return run
}

/** idb-keyval's createStore, but every readwrite transaction asks for `durability: 'strict'` (as IdbStorage does). */
function strictStore (dbName: string, storeName: string): UseStore {
  let db: Promise<IDBDatabase> | undefined
  return async (mode, callback) => {
    db ??= (async () => {
      const request = indexedDB.open(dbName)
      request.onupgradeneeded = () => request.result.createObjectStore(storeName)
      return await promisifyRequest(request)
    })()
    const opened = await db
    return callback(opened.transaction(storeName, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined).objectStore(storeName))
  }
}

let dbCounter = 0
function rawDb (): string {
  const name = `ringstore-bench-raw-${Date.now().toString(36)}-${dbCounter++}`
  rawDatabases.push(name)
  return name
}

async function timed (path: string, puts: number, body: (latency: number[]) => Promise<void>, keepLatency = false): Promise<IdbRow> {
  const latency: number[] = []
  const t = performance.now()
  await body(latency)
  const ms = performance.now() - t
  return keepLatency ? { path, puts, ms, latencyMs: latency } : { path, puts, ms }
}

async function idbCompare (opts: { puts: number, valueBytes: number }): Promise<IdbRow[]> {
  const n = opts.puts
  const entries = Array.from({ length: n }, (_, i): [string, Uint8Array] => [`k${i}`, cartValue(`k${i}`, opts.valueBytes)])
  const rows: IdbRow[] = []
  // Open each database before its clock starts: the open is not a put.
  const opened = async (store: UseStore): Promise<UseStore> => {
    await store('readonly', async (s) => await promisifyRequest(s.count()))
    return store
  }
  const seq = async (path: string, store: UseStore): Promise<IdbRow> => timed(path, n, async (latency) => {
    for (const [key, value] of entries) {
      const t = performance.now()
      await set(key, value, store)
      latency.push(performance.now() - t)
    }
  }, true)
  rows.push(await seq('idb-keyval set(), one transaction per put, sequential (default durability)', await opened(createStore(rawDb(), 'kv'))))
  rows.push(await seq('idb-keyval set(), one transaction per put, sequential, durability strict', await opened(strictStore(rawDb(), 'kv'))))
  const concurrentStore = await opened(strictStore(rawDb(), 'kv'))
  rows.push(await timed(`idb-keyval set() × ${n} at once, one transaction each, durability strict`, n, async () => {
    await Promise.all(entries.map(async ([key, value]) => await set(key, value, concurrentStore)))
  }))
  const manyStore = await opened(strictStore(rawDb(), 'kv'))
  rows.push(await timed(`idb-keyval setMany() of ${n}, one transaction, durability strict`, n, async () => {
    await setMany(entries, manyStore)
  }))
  rows.push(await storageRow('IdbStorage.write(), one per put, sequential (strict)', entries, false))
  rows.push(await storageRow(`IdbStorage.write() × ${n} at once: group commit (strict)`, entries, true))
  return rows
}

/** The peer's own storage: one write() per put, awaited one by one or issued all at once. */
async function storageRow (path: string, entries: ReadonlyArray<[string, Uint8Array]>, concurrent: boolean): Promise<IdbRow> {
  const name = `bench-storage-${Date.now().toString(36)}-${dbCounter++}`
  peerNames.push(name)
  const storage = await IdbStorage.open(name)
  try {
    const row = await timed(path, entries.length, async (latency) => {
      if (concurrent) {
        await Promise.all(entries.map(async ([key, value]) => await storage.write([{ ns: 'data', key, value }])))
        return
      }
      for (const [key, value] of entries) {
        const t = performance.now()
        await storage.write([{ ns: 'data', key, value }])
        latency.push(performance.now() - t)
      }
    }, !concurrent)
    const n = storage.stats.transactions
    return { ...row, path: `${row.path}; ${n} transaction${n === 1 ? '' : 's'}` }
  } finally {
    await storage.close()
  }
}

function reachableDaemons (peer: BrowserPeer): number {
  return peer.status().members.filter((m) => m.id !== peer.id && m.reachable).length
}

async function join (opts: { name: string, bootstrap: string[], daemons: number, timeoutMs: number }): Promise<JoinResult> {
  peerNames.push(opts.name)
  const t = performance.now()
  const peer = await createBrowserPeer({ bootstrap: opts.bootstrap, name: opts.name, webrtc: false, config: { n: 3, w: 1 } })
  running.push(peer)
  syncTab = peer
  await waitFor(`${opts.daemons} reachable daemons`, () => reachableDaemons(peer) >= opts.daemons, opts.timeoutMs)
  return { id: peer.id, ms: performance.now() - t, reachableDaemons: reachableDaemons(peer) }
}

function tab (): BrowserPeer {
  if (syncTab === undefined) throw new Error('join() first')
  return syncTab
}

async function offlineWrites (opts: { puts: number, valueBytes: number, prefix: string }): Promise<OfflineRun> {
  const peer = tab()
  await peer.faults.goOffline()
  await waitFor('no connections', () => peer.status().connections.length === 0, 10_000)
  // The failure detector must have routed around the daemons, or the puts would wait on them.
  await waitFor('no reachable daemon', () => reachableDaemons(peer) === 0, 10_000)
  return await putRun(peer, opts.prefix, opts.puts, 0, opts.valueBytes)
}

async function goOnline (): Promise<number> {
  const t = performance.now()
  await tab().faults.goOnline()
  return performance.now() - t
}

function status (): PageStatus {
  const peer = tab()
  const s = peer.status()
  return { hintsPending: s.hintsPending, keys: s.keys, connections: s.connections.length, reachable: reachableDaemons(peer) }
}

async function cleanup (): Promise<void> {
  for (const peer of running.splice(0)) await peer.stop().catch(() => undefined)
  syncTab = undefined
  // The databases themselves go with the browser's temporary profile; raw idb-keyval
  // stores stay open in this page, so deleting them here would block.
  peerNames.length = 0
  rawDatabases.length = 0
}

const page: BenchPage = { offlineAlone, idbCompare, join, offlineWrites, goOnline, status, cleanup }
window.ringstoreBench = page
