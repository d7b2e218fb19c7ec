/**
 * A small cluster of real Peers over the loopback network and a manual clock, for the
 * engine's integration tests.
 */
import { encodeAdmission, partitionOf, preferenceList } from '@ringstore/core'
import type { Admission, DvvSet, Key, PeerId, SignedAdmission } from '@ringstore/core'
import type { PeerConfig } from '../src/config.js'
import type { Storage } from '../src/interfaces.js'
import { Peer } from '../src/peer.js'
import { MemoryStorage } from '@ringstore/testkit'
import { LoopbackHub, ManualClock, TestSigner, settle } from '@ringstore/testkit'
import type { LoopbackOptions } from '@ringstore/testkit'

export const TEST_CONFIG: Partial<PeerConfig> = {
  q: 64,
  n: 3,
  r: 2,
  w: 2,
  requestTimeoutMs: 1000,
  readRepairWindowMs: 200,
  hintRetryBaseMs: 500,
  hintRetryMaxMs: 4000,
  // Background anti-entropy, transfer and GC only when a test asks.
  antiEntropyIntervalMs: 0,
  heartbeatIntervalMs: 2000,
  probeIntervalMs: 1000
}

export interface TestCluster {
  readonly clock: ManualClock
  readonly hub: LoopbackHub
  readonly peers: Map<PeerId, Peer>
  readonly storages: Map<PeerId, MemoryStorage>
  peer(id: PeerId): Peer
  /** Start a new peer (weight per config) and let the cluster learn about it. */
  add(id: PeerId, config?: Partial<PeerConfig>): Promise<Peer>
  /** Stop a peer and start a new one over the same storage (a process restart). */
  restart(id: PeerId): Promise<Peer>
  /**
   * Start a new process for `id` over `storage` (any Storage: a wrapper of its disk). The
   * old one is stopped first, unless `crashed` (the test killed it: nothing runs at stop).
   */
  restartWith(id: PeerId, storage: Storage, options?: { crashed?: boolean }): Promise<Peer>
  stopAll(): Promise<void>
}

/** `hubOptions`: options of the loopback network (`frames`: messages travel as encoded frames). */
export async function startCluster (ids: readonly PeerId[], config: Partial<PeerConfig> = {}, hubOptions: LoopbackOptions = {}): Promise<TestCluster> {
  const clock = new ManualClock(1_000)
  const hub = new LoopbackHub(clock, hubOptions)
  const peers = new Map<PeerId, Peer>()
  const storages = new Map<PeerId, MemoryStorage>()
  const cluster: TestCluster = {
    clock,
    hub,
    peers,
    storages,
    peer (id) {
      const peer = peers.get(id)
      if (peer === undefined) throw new Error(`no peer ${id}`)
      return peer
    },
    async add (id, extra = {}) {
      return await startPeer(id, new MemoryStorage(), extra)
    },
    async restart (id) {
      await cluster.peer(id).stop()
      const previous = storages.get(id)
      if (previous === undefined) throw new Error(`no storage for ${id}`)
      return await startPeer(id, MemoryStorage.reopen(previous), extras.get(id) ?? {})
    },
    async restartWith (id, storage, options = {}) {
      if (options.crashed !== true) await cluster.peer(id).stop()
      return await startPeer(id, storage, extras.get(id) ?? {})
    },
    async stopAll () {
      for (const peer of peers.values()) await peer.stop()
    }
  }
  const extras = new Map<PeerId, Partial<PeerConfig>>()
  // With a clusterId, every member is admitted by that authority (TestSigner signs as anyone:
  // the tests' stand-in for the holder of the cluster secret), issued at its first start.
  const admissions = new Map<PeerId, SignedAdmission>()
  async function admissionOf (id: PeerId, peerConfig: Partial<PeerConfig>): Promise<SignedAdmission | undefined> {
    const cluster = peerConfig.clusterId
    if (cluster === undefined || (peerConfig.weight ?? 1) === 0) return undefined
    const known = admissions.get(id)
    if (known !== undefined) return known
    const admission: Admission = { cluster, peer: id, maxWeight: peerConfig.weight ?? 1, zone: peerConfig.zone ?? 'default', issuedAt: clock.now() }
    const signed = { admission, signature: await new TestSigner(cluster).sign(encodeAdmission(admission)) }
    admissions.set(id, signed)
    return signed
  }
  async function startPeer (id: PeerId, storage: Storage, extra: Partial<PeerConfig>): Promise<Peer> {
    extras.set(id, extra)
    const peerConfig = { ...TEST_CONFIG, ...config, ...extra }
    const admission = await admissionOf(id, peerConfig)
    const peer = new Peer({
      network: hub.network(id),
      storage,
      clock,
      signer: new TestSigner(id),
      config: peerConfig,
      ...(admission === undefined ? {} : { admission })
    })
    peers.set(id, peer)
    if (storage instanceof MemoryStorage) storages.set(id, storage)
    await peer.start()
    await settle()
    return peer
  }
  for (const id of ids) await cluster.add(id)
  await settle()
  return cluster
}

/** The primaries of a key as `viewer` routes it. */
export function primariesOf (viewer: Peer, key: Key, n = 3): readonly PeerId[] {
  const ring = viewer.ring()
  return preferenceList(ring, partitionOf(key, ring.q), n)
}

/** The first key `cart-<i>` whose preference list satisfies `want`. */
export function findKey (viewer: Peer, want: (primaries: readonly PeerId[]) => boolean, n = 3): Key {
  for (let i = 0; i < 10_000; i++) {
    const key = `cart-${i}`
    if (want(primariesOf(viewer, key, n))) return key
  }
  throw new Error('no key with the wanted placement')
}

export function totalHints (cluster: TestCluster): number {
  let total = 0
  for (const peer of cluster.peers.values()) if (peer.running) total += peer.status().hintsPending
  return total
}

/** Peers whose local replica holds a version of `key`. */
export async function holders (cluster: TestCluster, key: Key): Promise<Map<PeerId, DvvSet>> {
  const out = new Map<PeerId, DvvSet>()
  for (const [id, peer] of cluster.peers) {
    const clock = await peer.localGet(key)
    if (clock !== null) out.set(id, clock)
  }
  return out
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)
