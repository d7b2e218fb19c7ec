/**
 * A router over real (in-memory) stores, for the tests of the protocols it serves: who
 * may call what (router.test.ts) and the client surface (client-surface.test.ts).
 */
import { emptyClock, update } from '@ringstore/core'
import type { DvvSet, SignedRecord } from '@ringstore/core'
import { DEFAULT_CONFIG } from '../src/config.js'
import type { PeerConfig } from '../src/config.js'
import type { MintOutcome, PutCommand } from '../src/protocol/coordinate-put.js'
import { StorageHintStore } from '../src/data/hint-store.js'
import { createMetrics } from '../src/metrics.js'
import { silentLogger } from '../src/peer.js'
import { StorageReplicaStore } from '../src/data/replica-store.js'
import { WatchRegistry } from '../src/cluster/watch-registry.js'
import { PROTOCOLS, createRouter } from '../src/protocol/router.js'
import type { CallerRole } from '../src/protocol/protocol.js'
import { MemoryStorage } from '@ringstore/testkit'

export const version = (value: string, actor = 'x:1'): DvvSet =>
  update(emptyClock(), [], { value: new TextEncoder().encode(value), ts: 1 }, actor)

export async function setup (mint?: (command: PutCommand) => Promise<MintOutcome>, roleOf: (peer: string) => CallerRole = () => 'member', protocols = PROTOCOLS, records: SignedRecord[] = [], extra: Partial<PeerConfig> = {}) {
  const storage = new MemoryStorage()
  const metrics = createMetrics()
  const config = { ...DEFAULT_CONFIG, q: 16, ...extra }
  const deps = { id: 'me', storage, config, log: silentLogger, metrics, now: () => 0 }
  const replicas = new StorageReplicaStore(deps)
  const hints = new StorageHintStore(deps)
  await replicas.open()
  await hints.open()
  const minted: PutCommand[] = []
  let running = true
  let now = 0
  const coordinator = {
    mint: mint ?? (async (command: PutCommand): Promise<MintOutcome> => {
      minted.push(command)
      return { kind: 'ok', context: [['me:1', 1]], dot: ['me:1', 1], acks: 2 }
    })
  }
  const watchers = new WatchRegistry({ maxKeysPerWatcher: 4, maxWatchers: 2, leaseMs: 1000 })
  const delivered: Array<readonly [string, DvvSet, string]> = []
  const watchSink = { deliver: async (key: string, clock: DvvSet, from: string): Promise<void> => { delivered.push([key, clock, from]) } }
  const clock = { now: () => now }
  const handle = createRouter({
    services: { id: 'me', q: config.q, replicas, hints, membership: { signedRecords: () => records, removals: () => [], roleOf, recordsDifferingFrom: () => undefined, recordHashesDifferingFrom: () => undefined, recordsWithHashes: () => [], onDigestReceived: () => {}, checkpointBytes: () => undefined }, coordinator, watchers, watchSink, clock },
    roleOf,
    isServing: () => running,
    log: silentLogger,
    metrics,
    protocols
  })
  return { handle, replicas, hints, metrics, minted, watchers, delivered, advance: (ms: number) => { now += ms }, stop: () => { running = false } }
}

