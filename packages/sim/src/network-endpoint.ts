/**
 * One peer process's endpoint on the simulated network: the engine's `Network`. It keeps
 * the process's state and its requests in flight; the hub (network.ts) moves the bytes.
 */
import type { PeerId, Request, Response, SignedRecord, SignedRemoval } from '@ringstore/core'
import { PeerUnreachableError } from '@ringstore/peer'
import type { Network, NetworkHandlers } from '@ringstore/peer'
import type { EndpointHub } from './endpoint-hub.js'
import type { EventHandle } from './scheduler.js'

export type EndpointState = 'new' | 'running' | 'stopped' | 'crashed'

export interface PendingRequest {
  readonly peer: PeerId
  readonly resolve: (response: Response) => void
  readonly reject: (error: Error) => void
  timer: EventHandle | undefined
}

/** What calls of a crashed process return: a promise that never settles. */
export function never<T> (): Promise<T> {
  return new Promise<T>(() => {})
}

/** One peer process's network endpoint. Create it with `hub.endpoint(id)`. */
export class SimNetwork implements Network {
  state: EndpointState = 'new'
  handlers: NetworkHandlers | undefined
  nextRequestId = 1
  readonly pending = new Map<number, PendingRequest>()

  constructor (readonly localPeer: PeerId, private readonly hub: EndpointHub<SimNetwork>) {}

  async start (handlers: NetworkHandlers): Promise<void> {
    if (this.state !== 'new') throw new PeerUnreachableError(this.localPeer, `endpoint cannot start from state ${this.state}`)
    this.handlers = handlers
    this.state = 'running'
    this.hub.endpointStarted(this)
  }

  async stop (): Promise<void> {
    if (this.state === 'crashed') return never()
    if (this.state === 'stopped') return
    this.state = 'stopped'
    this.hub.endpointGone(this)
    for (const [id, request] of this.pending) {
      this.hub.cancelTimer(request.timer)
      this.pending.delete(id)
      request.reject(new PeerUnreachableError(request.peer, 'local network stopped'))
    }
  }

  request (peer: PeerId, request: Request, timeoutMs: number): Promise<Response> {
    return this.hub.send(this, peer, request, timeoutMs)
  }

  announce (signed: SignedRecord): void {
    this.hub.gossip(this, signed)
  }

  announceRemoval (removal: SignedRemoval): void {
    this.hub.gossipRemoval(this, removal)
  }

  dial (address: string): Promise<PeerId> {
    return this.hub.dial(this, address)
  }

  connectedPeers (): PeerId[] {
    return this.hub.connectedPeersOf(this.localPeer)
  }
}
