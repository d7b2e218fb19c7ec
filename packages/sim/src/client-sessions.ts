/**
 * Client sessions against a cluster of members (`npm run sim -- --client-sessions 100000`):
 * browser-tab-like clients (engine peers of weight 0, as `createBrowserPeer` builds) come,
 * pull the members' view, write and read a key through the client surface (they coordinate
 * their own requests: client-put / client-get to the key's replicas), and go away, a
 * bounded number at a time. What the members keep about peers (Peer.peerBookSizes: member
 * records, peers held unreachable, watchers) and the process heap are measured after a
 * warm-up and at the end: state that grows with the sessions is a leak, since every session
 * is gone by then. The cluster is admitted (docs/trust.md), as a shop serving visitors runs:
 * a tab's record, unadmitted, is nobody's member.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { PeerId } from '@ringstore/core'
import { SimClock } from './clock.js'
import { SIM_PEER_CONFIG, SimCluster } from './cluster.js'
import { CLIENT_SESSION_KEYS, CLIENT_SESSION_VIEW_WAIT_MS, CLIENT_SESSIONS_AT_ONCE, MAINTENANCE_STEP_MS, MEMBERSHIP_SETTLE_MS } from './constants.js'
import { createPeer } from './peer-handle.js'
import { Rng } from './rng.js'
import { SimSigner } from './signer.js'
import { SimDisk, SimStorage } from './storage.js'

export interface ClientSessionOptions {
  readonly members: number
  readonly sessions: number
  /** Sessions after which the first measurement is taken (the warm-up). */
  readonly warmup: number
  readonly seed: number
  readonly q: number
}

/** What the members keep, summed over them, and the heap after a full collection. */
export interface RetainedState {
  readonly sessionsDone: number
  readonly memberRecords: number
  readonly unreachable: number
  readonly watchers: number
  /** Endpoints and connection entries the simulated network holds (live sessions only, if nothing leaks). */
  readonly hubEndpoints: number
  readonly heapBytes: number
}

export interface ClientSessionReport {
  readonly members: number
  readonly sessions: number
  readonly writes: number
  readonly writesFailed: number
  readonly reads: number
  readonly readsFailed: number
  /** Sessions whose client never received the members' view (they wrote nothing). */
  readonly viewless: number
  readonly afterWarmup: RetainedState
  readonly atEnd: RetainedState
  readonly virtualMs: number
}

const silent = { debug () {}, info () {}, warn () {}, error () {} }
const AUTHORITY = 'sim-authority'

export async function runClientSessions (options: ClientSessionOptions): Promise<ClientSessionReport> {
  const rng = Rng.fromSeed(options.seed)
  const cluster = new SimCluster({ peers: options.members, rng: rng.fork('cluster'), config: { q: options.q }, authority: AUTHORITY, network: { mesh: 'lazy' } })
  if (!(await cluster.start())) throw new Error('membership did not converge at start')
  const counts = { writes: 0, writesFailed: 0, reads: 0, readsFailed: 0, viewless: 0 }
  const sessionRng = rng.fork('sessions')
  let next = 0
  const s = cluster.scheduler
  const sleep = async (ms: number): Promise<void> => { await new Promise<void>((resolve) => { s.schedule(ms, resolve) }) }

  const session = async (index: number): Promise<void> => {
    const id: PeerId = `c${index}`
    const member = cluster.node(sessionRng.int(0, options.members - 1)).id
    // A capability key (a cart shared by its link): what a client may write (docs/trust.md).
    const key = `cap/sim-capability-cart-${String(sessionRng.int(0, CLIENT_SESSION_KEYS - 1)).padStart(4, '0')}`
    const network = cluster.hub.endpoint(id)
    const clock = new SimClock(s, sessionRng.fork(id), { onError: (e) => cluster.fault(`a timer of client ${id} threw`, e) })
    const peer = createPeer({
      network,
      storage: new SimStorage(new SimDisk(), s),
      clock,
      signer: new SimSigner(id),
      logger: silent,
      config: { ...SIM_PEER_CONFIG, q: options.q, weight: 0, seeds: [member], clusterId: AUTHORITY },
      addrs: [id]
    })
    await peer.start()
    // A tab computes preference lists from the members' view (members-view) before it writes.
    for (let waited = 0; peer.ring().members.size < options.members && waited < CLIENT_SESSION_VIEW_WAIT_MS; waited += 10) await sleep(10)
    if (peer.ring().members.size === 0) counts.viewless++
    else {
      counts.writes++
      await peer.put(key, new TextEncoder().encode(id)).catch(() => { counts.writesFailed++ })
      counts.reads++
      await peer.get(key).catch(() => { counts.readsFailed++ })
    }
    await peer.stop()
    clock.halt()
    cluster.hub.forget(id)
  }

  // Sessions up to `until`, CLIENT_SESSIONS_AT_ONCE at a time; then every session is gone.
  const runUntil = async (until: number): Promise<RetainedState> => {
    const worker = async (): Promise<void> => {
      while (next < until) await session(next++)
    }
    await s.drive(Promise.all(Array.from({ length: CLIENT_SESSIONS_AT_ONCE }, worker)), Math.max(MAINTENANCE_STEP_MS, until * 1000))
    // Leases and timers of the last sessions run out.
    await s.advance(MEMBERSHIP_SETTLE_MS)
    return await measure(cluster, until)
  }
  const afterWarmup = await runUntil(options.warmup)
  const atEnd = await runUntil(options.sessions)
  for (const node of cluster.nodes) if (node.state === 'running') await s.drive(node.peer.stop(), MAINTENANCE_STEP_MS)
  if (cluster.faults.length > 0) throw new Error(`engine faults: ${cluster.faults.slice(0, 3).join('; ')}`)
  return {
    members: options.members,
    sessions: options.sessions,
    ...counts,
    afterWarmup,
    atEnd,
    virtualMs: Math.round(s.now)
  }
}

async function measure (cluster: SimCluster, sessionsDone: number): Promise<RetainedState> {
  let memberRecords = 0
  let unreachable = 0
  let watchers = 0
  for (const node of cluster.nodes) {
    const sizes = node.peer.peerBookSizes()
    memberRecords += sizes.members
    unreachable += sizes.unreachable
    watchers += sizes.watchers
  }
  return { sessionsDone, memberRecords, unreachable, watchers, hubEndpoints: cluster.hub.size.endpoints, heapBytes: await heapAfterGc() }
}

/** Heap in use after a full collection (exposes gc for this process on first use). */
async function heapAfterGc (): Promise<number> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  // Let pending finalisation run between two collections.
  gc()
  await new Promise((resolve) => setImmediate(resolve))
  gc()
  return process.memoryUsage().heapUsed
}

/** The report's lines. */
export function formatClientSessions (r: ClientSessionReport): string {
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`
  const row = (label: string, x: RetainedState): string =>
    `${label.padEnd(22)} ${String(x.sessionsDone).padStart(8)}  ${String(x.memberRecords).padStart(14)}  ${String(x.unreachable).padStart(11)}  ${String(x.watchers).padStart(8)}  ${String(x.hubEndpoints).padStart(13)}  ${mb(x.heapBytes).padStart(9)}`
  return [
    `${r.sessions} client sessions against ${r.members} members (virtual ${(r.virtualMs / 1000).toFixed(1)} s)`,
    `writes ${r.writes} (${r.writesFailed} failed)  reads ${r.reads} (${r.readsFailed} failed)  sessions without a view ${r.viewless}`,
    `${''.padEnd(22)} ${'sessions'.padStart(8)}  ${'member records'.padStart(14)}  ${'unreachable'.padStart(11)}  ${'watchers'.padStart(8)}  ${'hub endpoints'.padStart(13)}  ${'heap'.padStart(9)}`,
    row('after the warm-up', r.afterWarmup),
    row('at the end', r.atEnd),
    `heap growth per session after the warm-up: ${((r.atEnd.heapBytes - r.afterWarmup.heapBytes) / Math.max(1, r.atEnd.sessionsDone - r.afterWarmup.sessionsDone)).toFixed(0)} B`
  ].join('\n')
}
