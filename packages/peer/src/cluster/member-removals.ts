/**
 * The operator's removals of members (core's removal.ts): checked against the cluster's
 * authority, kept durably, and consulted before any record or request of a removed member
 * is taken. A removal is final: the member's records are refused from then on, whatever
 * their incarnation, and its place in the ring becomes a leave at the removal's time.
 *
 * Layout in the `meta` namespace: 'removal/<peer id>' → encodeSignedRemoval(removal).
 */
import { decodeSignedRemoval, encodeRemoval, encodeSignedRemoval, removalProblem } from '@ringstore/core'
import type { MemberRecord, PeerId, SignedRemoval } from '@ringstore/core'
import { InvalidRemovalError } from '../errors.js'
import type { Signer, Storage, StorageOp } from '../interfaces.js'

const REMOVAL_PREFIX = 'removal/'
/** '0' follows '/': [REMOVAL_PREFIX, REMOVAL_END) is exactly the prefix. */
const REMOVAL_END = 'removal0'

export class RemovalBook {
  readonly #removed = new Map<PeerId, SignedRemoval>()

  has (peer: PeerId): boolean {
    return this.#removed.has(peer)
  }

  get (peer: PeerId): SignedRemoval | undefined {
    return this.#removed.get(peer)
  }

  all (): SignedRemoval[] {
    return [...this.#removed.values()]
  }

  /** The persisted removals (each was checked when it arrived; an unreadable one is skipped and reported). */
  async load (storage: Storage, onCorrupt: (key: string, error: unknown) => void): Promise<SignedRemoval[]> {
    const out: SignedRemoval[] = []
    for await (const [key, bytes] of storage.scan('meta', { gte: REMOVAL_PREFIX, lt: REMOVAL_END })) {
      try {
        const signed = decodeSignedRemoval(bytes)
        if (REMOVAL_PREFIX + signed.removal.peer !== key) throw new Error(`removal of ${signed.removal.peer} stored under ${key}`)
        out.push(signed)
      } catch (error) {
        onCorrupt(key, error)
      }
    }
    return out
  }

  /** Throws InvalidRemovalError unless the authority of `cluster` signed `signed`. */
  async check (signed: SignedRemoval, cluster: PeerId | undefined, signer: Signer): Promise<void> {
    const problem = removalProblem(signed.removal, cluster)
    if (problem !== undefined) throw new InvalidRemovalError(problem)
    if (!await signer.verify(cluster as PeerId, encodeRemoval(signed.removal), signed.signature)) {
      throw new InvalidRemovalError(`removal of ${signed.removal.peer} is not signed by the authority of cluster ${cluster as PeerId}`)
    }
  }

  /** Records `signed` (already checked); false when the peer was removed already. */
  add (signed: SignedRemoval): boolean {
    if (this.#removed.has(signed.removal.peer)) return false
    this.#removed.set(signed.removal.peer, signed)
    return true
  }

  static op (signed: SignedRemoval): StorageOp {
    return { ns: 'meta', key: REMOVAL_PREFIX + signed.removal.peer, value: encodeSignedRemoval(signed) }
  }
}

/**
 * The record a removed member stands as in the ring: left, at the removal's time unless it
 * was already leaving or gone (then its own leave time stays: moving a leave event would
 * refold the ring after it and reshuffle partitions).
 */
export function removedRecord (record: MemberRecord, removal: SignedRemoval): MemberRecord {
  if (record.status === 'left') return record
  const leftAt = record.status === 'leaving' && record.leftAt !== undefined ? record.leftAt : removal.removal.removedAt
  return { ...record, status: 'left', leftAt, incarnation: record.incarnation + 1, heartbeat: 0 }
}
