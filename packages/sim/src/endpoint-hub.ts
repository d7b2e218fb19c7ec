/**
 * The hub as a network endpoint sees it: the calls a `SimNetwork` (network-endpoint.ts)
 * makes into the `SimHub` (network.ts) that moves its bytes. The endpoint depends on this
 * interface rather than on the hub's class, so the hub can create endpoints without the
 * two files importing each other. `E` is the endpoint type, which passes itself.
 */
import type { PeerId, Request, Response, SignedRecord, SignedRemoval } from '@ringstore/core'
import type { EventHandle } from './scheduler.js'

export interface EndpointHub<E> {
  /** The endpoint started: connect it to its reachable peers. */
  endpointStarted(endpoint: E): void
  /** The endpoint stopped or crashed: drop its connections. */
  endpointGone(endpoint: E): void
  cancelTimer(timer: EventHandle | undefined): void
  send(from: E, to: PeerId, request: Request, timeoutMs: number): Promise<Response>
  gossip(from: E, signed: SignedRecord): void
  gossipRemoval(from: E, removal: SignedRemoval): void
  dial(from: E, address: string): Promise<PeerId>
  connectedPeersOf(id: PeerId): PeerId[]
}
