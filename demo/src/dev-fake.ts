/**
 * DEVELOPMENT ONLY: an in-memory stand-in for @ringstore/browser, so the UI can be worked
 * on without a daemon (`npx vite --mode fake`, `npx vite build --mode fake`). Never part of
 * the real build. It fakes a three-daemon cluster of Q=64 partitions and keeps siblings
 * with plain version vectors (a write supersedes exactly the context it carries).
 */
import { compareContexts, mergeContexts } from '@ringstore/core'
import type { Ring, VersionVector } from '@ringstore/core'
import type { DemoPeer, DemoStatus } from './peer-types.js'

const Q = 64
const DAEMONS = ['12D3KooWFakeDaemonAlpha1', '12D3KooWFakeDaemonBravo2', '12D3KooWFakeDaemonCharlie3']

interface Version { readonly value: Uint8Array, readonly clock: VersionVector }

export class QuorumNotMetError extends Error {
  static override name = 'QuorumNotMetError'
  override name = 'QuorumNotMetError'
  constructor (readonly acks: number, readonly required: number) {
    super(`quorum not met: ${acks} of ${required}`)
  }
}

function fakeRing (): Ring {
  // Blocks of four partitions per owner, round robin: looks like a real spread.
  const owners = Array.from({ length: Q }, (_, p) => DAEMONS[Math.floor(p / 4 + p * 7 / Q) % DAEMONS.length] as string)
  return { q: Q, owners, members: new Map(DAEMONS.map((id) => [id, { weight: 1, zone: 'local' }])) }
}

export async function createBrowserPeer (options: { bootstrap: readonly string[] }): Promise<DemoPeer> {
  const id = `12D3KooWFakeTab${Math.random().toString(36).slice(2, 10)}`
  const data = new Map<string, Version[]>()
  const listeners = new Set<() => void>()
  const blocked = new Set<string>()
  const ring = fakeRing()
  let online = options.bootstrap.length > 0
  let counter = 0
  let hints = 0
  const changed = (): void => { for (const l of listeners) l() }
  const status = (): DemoStatus => ({
    peerId: id,
    members: [{ id, status: 'active', weight: 0, zone: 'browser', reachable: true },
      ...DAEMONS.map((d) => ({ id: d, status: 'active', weight: 1, zone: 'local', reachable: online && !blocked.has(d) }))],
    ring: { q: Q, members: DAEMONS.map((d) => ({ id: d, weight: 1, zone: 'local', partitions: ring.owners.filter((o) => o === d).length })) },
    hintsPending: hints,
    keys: data.size,
    online,
    connections: online ? DAEMONS.filter((d) => !blocked.has(d)).map((peer) => ({ peer, transport: 'WebSockets' })) : [],
    blocked: [...blocked]
  })
  return {
    id,
    peer: { ring: () => ring, config: { n: 3 } },
    async get (key) {
      const versions = data.get(key) ?? []
      return { values: versions.map((v) => v.value), context: versions.reduce<VersionVector>((c, v) => mergeContexts(c, v.clock), []) }
    },
    async put (key, value, opts = {}) {
      const reachable = online ? DAEMONS.filter((d) => !blocked.has(d)).length : 0
      // As the real peer counts: the replicas that took it, and this tab's copy standing
      // in (with hints) for those it could not reach.
      const acks = reachable >= 3 ? 3 : reachable + 1
      counter++
      const clock = mergeContexts(opts.context ?? [], [[id, counter]])
      // Without a context a write is concurrent with everything (as with the real DVVs).
      const existing = data.get(key) ?? []
      const kept = opts.context === undefined ? existing : existing.filter((v) => compareContexts(v.clock, clock) === 'concurrent')
      data.set(key, [...kept, { value, clock }])
      if (reachable < 3) hints += 3 - reachable
      changed()
      if (acks < (opts.w ?? 2)) throw new QuorumNotMetError(acks, opts.w ?? 2)
      return { context: clock }
    },
    status,
    faults: {
      goOffline: () => { online = false; changed() },
      goOnline: () => { online = true; hints = 0; changed() },
      block: (peer: string) => { blocked.add(peer); changed() },
      unblock: (peer: string) => { blocked.delete(peer); changed() }
    },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    stop: () => undefined
  }
}
