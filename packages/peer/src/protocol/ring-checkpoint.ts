/**
 * `ring-checkpoint`: the canonical bytes of the ring checkpoint named by a hash (core
 * ring-checkpoint.ts, codec-checkpoint.ts). Members that agreed on a checkpoint drop the
 * records it makes compactable (cluster/membership-checkpoints.ts), so a peer whose table
 * lacks them cannot compute the ring from records alone: a newcomer, a tab, a member
 * restored from an old backup asks a member for the checkpoint, and uses it only when the
 * bytes hash to what the members advertise (the asker checks; the answer is unverified).
 *
 * Who may call: members and clients (docs/trust.md). A newcomer is a client until its own
 * record reached the member it asks, and a tab is one for good; both need the checkpoint
 * to compute the ring. The checkpoint says no more than the signed records it stands for
 * (which `members-view` already gives clients); outsiders (removed members) get nothing.
 */
import { CHECKPOINT_HASH_BYTES } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/** The part of membership this protocol reads. */
export interface CheckpointHolder {
  /** The encoded checkpoint whose hash is `hash`, when this peer holds it. */
  checkpointBytes(hash: Uint8Array): Uint8Array | undefined
}

export const ringCheckpoint: Protocol<'ring-checkpoint', { readonly membership: CheckpointHolder }> = {
  type: 'ring-checkpoint',
  callers: 'client',
  serve ({ membership }, request) {
    const bytes = request.hash.length === CHECKPOINT_HASH_BYTES ? membership.checkpointBytes(request.hash) : undefined
    if (bytes === undefined) return { type: 'error', code: 'unavailable', message: 'no ring checkpoint with that hash here' }
    return { type: 'checkpoint', bytes }
  }
}

/** `peer`'s encoded checkpoint named `hash` (unverified: the caller decodes and hashes it). */
export async function askRingCheckpoint (rpc: PeerRpc, peer: PeerId, hash: Uint8Array): Promise<Uint8Array> {
  return (await rpc.expect(peer, { type: 'ring-checkpoint', hash }, 'checkpoint')).bytes
}
