/**
 * Test fixtures: real libp2p nodes on 127.0.0.1 with random TCP ports, each wrapped in a
 * Libp2pNetwork whose handlers record what they see.
 */
import type { PrivateKey } from '@libp2p/interface'
import type { MemberRecord, PeerId, Request, Response, SignedAdmission, SignedRemoval } from '@ringstore/core'
import type { NetworkHandlers } from '@ringstore/peer'
import type { RpcLimits } from '../src/rpc-limits.js'
import { Libp2pNetwork, createNodeLibp2p } from '../src/node-index.js'

export interface TestPeer {
  readonly network: Libp2pNetwork
  readonly id: PeerId
  /** TCP address with /p2p/ suffix. */
  readonly addr: string
  readonly announcements: Array<{ from: PeerId, record: MemberRecord, signature: Uint8Array, admission?: SignedAdmission }>
  readonly removals: Array<{ from: PeerId, removal: SignedRemoval }>
  readonly connected: Set<PeerId>
  readonly events: Array<['up' | 'down', PeerId]>
  /** Replace to change how this peer answers. */
  serve: (from: PeerId, request: Request) => Promise<Response>
}

const running: TestPeer[] = []

/** A started peer; `stopAll` stops it. */
export async function startPeer (
  options: { privateKey?: PrivateKey, maxInFlight?: number, cluster?: string, clusterId?: PeerId, rpcLimits?: Partial<RpcLimits> } = {}
): Promise<TestPeer> {
  const node = await createNodeLibp2p({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey })
  })
  const network = new Libp2pNetwork(node, {
    cluster: options.cluster ?? 'test',
    ...(options.clusterId === undefined ? {} : { clusterId: options.clusterId }),
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    ...(options.rpcLimits === undefined ? {} : { rpcLimits: options.rpcLimits })
  })
  const peer: TestPeer = {
    network,
    id: network.localPeer,
    addr: '',
    announcements: [],
    removals: [],
    connected: new Set(),
    events: [],
    serve: async () => ({ type: 'ok' })
  }
  const handlers: NetworkHandlers = {
    onRequest: async (from, request) => peer.serve(from, request),
    onAnnounce: (from, { record, signature, admission }) => {
      peer.announcements.push(admission === undefined ? { from, record, signature } : { from, record, signature, admission })
    },
    onRemoval: (from, removal) => { peer.removals.push({ from, removal }) },
    onPeerConnected: (id) => { peer.connected.add(id); peer.events.push(['up', id]) },
    onPeerDisconnected: (id) => { peer.connected.delete(id); peer.events.push(['down', id]) }
  }
  await network.start(handlers)
  const addr = node.getMultiaddrs().map(String).find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr === undefined) throw new Error('no tcp listen address')
  const started = { ...peer, addr }
  // Keep `serve` replaceable on the object the handlers close over.
  Object.defineProperty(started, 'serve', { get: () => peer.serve, set: (fn: TestPeer['serve']) => { peer.serve = fn } })
  running.push(started)
  return started
}

export async function stopAll (): Promise<void> {
  await Promise.all(running.splice(0).map(async (p) => p.network.stop()))
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passes (then throws `what`). */
export async function waitFor (what: string, check: () => boolean, timeoutMs = 10_000, onPoll?: () => void): Promise<void> {
  const until = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`)
    onPoll?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export function record (id: PeerId, heartbeat = 1): MemberRecord {
  return { id, addrs: [], weight: 1, zone: 'z1', status: 'active', incarnation: 1, heartbeat, joinedAt: 1_700_000_000_000 }
}
