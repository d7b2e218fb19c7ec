/**
 * How a coordinator reaches the replicas of a key. A member speaks the member-only
 * replication protocols; a light peer (a browser tab: a client, not a member) speaks the
 * client surface that members serve it (client-get, client-digest, client-put,
 * client-put-many; docs/trust.md). The coordinators (coordinator/get.ts, put.ts,
 * read-repair.ts) and hinted handoff are written once against this interface; peer.ts
 * picks the side from the peer's weight.
 */
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import { askClientDigest } from './client-digest.js'
import { askClientGet } from './client-get.js'
import { askClientPutMany } from './client-put-many.js'
import { askClientPut } from './client-put.js'
import { askReplicaDigest } from './replica-digest.js'
import { askReplicaGet } from './replica-get.js'
import { askReplicaPutMany } from './replica-put-many.js'
import { askReplicaPut } from './replica-put.js'
import type { PeerRpc } from './rpc.js'

export interface ReplicaAccess {
  /** 'member': the replication protocols; 'client': the client surface. */
  readonly side: 'member' | 'client'
  get(peer: PeerId, key: Key): Promise<DvvSet | null>
  digest(peer: PeerId, key: Key): Promise<Uint8Array | null | 'unsupported'>
  put(peer: PeerId, key: Key, clock: DvvSet, hintFor?: PeerId): Promise<unknown>
  putMany(peer: PeerId, items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void>
  /**
   * Whether this peer repairs other replicas after a read. A client does not: a replica
   * takes from a client only the client's own writes (client-put), so a repair would
   * change nothing there; members repair on their own reads and by anti-entropy.
   */
  readonly repairsReplicas: boolean
}

export function memberAccess (rpc: PeerRpc): ReplicaAccess {
  return {
    side: 'member',
    get: (peer, key) => askReplicaGet(rpc, peer, key),
    digest: (peer, key) => askReplicaDigest(rpc, peer, key),
    put: (peer, key, clock, hintFor) => askReplicaPut(rpc, peer, key, clock, hintFor),
    putMany: (peer, items) => askReplicaPutMany(rpc, peer, items),
    repairsReplicas: true
  }
}

export function clientAccess (rpc: PeerRpc): ReplicaAccess {
  return {
    side: 'client',
    get: (peer, key) => askClientGet(rpc, peer, key),
    digest: (peer, key) => askClientDigest(rpc, peer, key),
    put: (peer, key, clock, hintFor) => askClientPut(rpc, peer, key, clock, hintFor),
    putMany: (peer, items) => askClientPutMany(rpc, peer, items),
    repairsReplicas: false
  }
}
