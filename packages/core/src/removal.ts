/**
 * Removal: an operator's signed statement that one member is out of the cluster for good
 * (Dynamo §4.8.1's explicit removal; Riak's `cluster force-remove`), for a member that is
 * dead and will not leave by itself. Signed by the cluster's authority, like admissions
 * (docs/trust.md): anyone who knows the cluster id can check it, nobody without the secret
 * can make one. Members that take it treat the member as left at `removedAt` (its
 * partitions move to the others, its hints go to the new owners), refuse its records and
 * requests from then on, and keep the removal durably.
 *
 * Pure rules here; the signature is checked by the engine's Signer against `cluster`.
 */
import type { PeerId } from './types.js'

export interface Removal {
  /** The cluster: its authority's public key as a peer id. */
  readonly cluster: PeerId
  /** The removed member. */
  readonly peer: PeerId
  /** When the operator removed it (ms since the epoch): its leave time in the ring's history. */
  readonly removedAt: number
}

export interface SignedRemoval {
  readonly removal: Removal
  /** The authority's signature over `encodeRemoval(removal)`. */
  readonly signature: Uint8Array
}

/** Why `removal` does not apply in `cluster`, or undefined when it does (after the signature was checked). */
export function removalProblem (removal: Removal, cluster: PeerId | undefined): string | undefined {
  if (cluster === undefined) return 'an open cluster (no cluster id) has no authority to remove members'
  if (removal.cluster !== cluster) return `a removal from cluster ${removal.cluster}, not ${cluster}`
  return undefined
}
