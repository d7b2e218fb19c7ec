/**
 * The pull half of one membership gossip exchange (membership.ts): digest first, then only
 * the records that differ. A peer whose table is ours answers `ok` to the 512-byte digest;
 * else it names the record digests of the buckets that differ (`members-hashes`) and we
 * fetch those we do not hold ourselves (`members-fetch`). A peer older than those refuses
 * `members-hashes` as unknown (`bad-request`): it is asked `members-digest` instead (whole
 * differing buckets) until it restarts, as a restart may be an upgrade (`forget`).
 */
import type { PeerId } from '@ringstore/core'
import { RemoteError } from '../errors.js'
import { askMembersDigest } from '../protocol/members-digest.js'
import { fetchMembers } from '../protocol/members-fetch.js'
import { askMemberHashes } from '../protocol/members-hashes.js'
import type { MemberTableAnswer } from '../protocol/members-pull.js'
import type { PeerRpc } from '../protocol/rpc.js'

/** Bound on the peers remembered as older: forgotten all at once when reached (a forgotten one costs one refused request). */
const OLDER_PEERS_MAX = 1024

/** A gossip partner's answer when its table is ours. */
export const NOTHING_NEW: MemberTableAnswer = { records: [] }

export class GossipExchange {
  readonly #rpc: PeerRpc
  /** Peers that refused `members-hashes` as unknown. */
  readonly #older = new Set<PeerId>()

  constructor (rpc: PeerRpc) {
    this.#rpc = rpc
  }

  /**
   * What `peer` holds that a table with digest `digest` does not: the records whose record
   * digests `holds` says we lack. Throws RemoteError ('bad-request' from a peer that knows
   * neither round, 'forbidden' from one that does not hold our record).
   */
  async fetch (peer: PeerId, digest: Uint8Array, holds: (hash: Uint8Array) => boolean): Promise<MemberTableAnswer> {
    if (!this.#older.has(peer)) {
      try {
        const hashes = await askMemberHashes(this.#rpc, peer, digest)
        if (hashes === undefined) return NOTHING_NEW
        const wanted = hashes.filter((hash) => !holds(hash))
        return wanted.length === 0 ? NOTHING_NEW : await fetchMembers(this.#rpc, peer, wanted)
      } catch (error) {
        if (!(error instanceof RemoteError && error.code === 'bad-request')) throw error
        if (this.#older.size >= OLDER_PEERS_MAX) this.#older.clear()
        this.#older.add(peer)
      }
    }
    return await askMembersDigest(this.#rpc, peer, digest) ?? NOTHING_NEW
  }

  /** `peer` restarted or left the table: ask it `members-hashes` again. */
  forget (peer: PeerId): void {
    this.#older.delete(peer)
  }
}
