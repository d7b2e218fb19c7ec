/**
 * What the simulator needs from an engine peer, and how it builds one. The simulator drives
 * `Peer` through its public API and its maintenance hooks only, like any host.
 */
import { Peer } from '@ringstore/peer'
import type { PeerId, Ring, RingCheckpoint, SignedRemoval } from '@ringstore/core'
import type { GetOptions, GetResult, PeerMaintenance, PeerOptions, PeerStatus, PutOptions, PutResult } from '@ringstore/peer'

export interface SimPeer extends PeerMaintenance {
  start(): Promise<void>
  stop(): Promise<void>
  leave(): Promise<unknown>
  /** Apply and gossip an operator's removal of a dead member (Peer.remove). */
  remove(removal: SignedRemoval): Promise<boolean>
  get(key: string, options?: GetOptions): Promise<GetResult>
  put(key: string, value: Uint8Array, options?: PutOptions): Promise<PutResult>
  delete(key: string, options?: PutOptions): Promise<PutResult>
  status(): PeerStatus
  /** The ring this peer routes by now. */
  ring(): Ring
  /** The ring checkpoint that ring folds from, if any (Peer.ringCheckpoint). */
  ringCheckpoint(): RingCheckpoint | undefined
  /** Its member table's digest: equal on two peers iff they hold the same records (Peer.membershipDigest). */
  membershipDigest(): Uint8Array
  /** Active members its failure detector holds unreachable now. */
  unreachableMembers(): PeerId[]
  /** What it keeps per peer it knows of (Peer.peerBookSizes). */
  peerBookSizes(): { readonly members: number, readonly unreachable: number, readonly watchers: number }
}

export type PeerFactory = (options: PeerOptions) => SimPeer

export const createPeer: PeerFactory = (options) => new Peer(options)
