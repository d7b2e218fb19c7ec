/**
 * `members-fetch`: the records a `members-hashes` answer named, by record digest (core
 * membership-digest.ts), each with its author's signature, and the operator's removals
 * (cluster/membership.ts). A digest this peer no longer holds (the record changed since it
 * answered) is left out: the next round moves the newer one. Members only, like
 * `members-pull`, whose answer this is a part of.
 */
import { BUCKET_DIGEST_BYTES, LIMITS } from '@ringstore/core'
import type { PeerId, SignedRecord } from '@ringstore/core'
import { membersReply } from './members-pull.js'
import type { MemberTableAnswer, SignedTable } from './members-pull.js'
import { BadRequestError } from './protocol.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/** The part of membership this protocol reads. */
export interface FetchableTable extends Pick<SignedTable, 'removals'> {
  /** Our signed records whose record digests are among `hashes` (each once). */
  recordsWithHashes(hashes: readonly Uint8Array[]): SignedRecord[]
}

export const membersFetch: Protocol<'members-fetch', { readonly membership: FetchableTable }> = {
  type: 'members-fetch',
  callers: 'member',
  serve ({ membership }, request) {
    return membersReply(membership.recordsWithHashes(checkHashes(request.hashes)), membership.removals())
  }
}

/** At most a table's worth of record digests: the answer is bounded like `members-pull`'s (the codec checks frames; a Network may hand over objects directly). */
function checkHashes (hashes: unknown): readonly Uint8Array[] {
  if (!Array.isArray(hashes) || hashes.length === 0 || hashes.length > LIMITS.members ||
    !hashes.every((h) => h instanceof Uint8Array && h.length === BUCKET_DIGEST_BYTES)) {
    throw new BadRequestError(`hashes must be 1 to ${LIMITS.members} record digests of ${BUCKET_DIGEST_BYTES} bytes`)
  }
  return hashes as Uint8Array[]
}

/**
 * `peer`'s records whose record digests are `hashes` (unverified: the caller checks each
 * signature). At most LIMITS.members are asked (what one request carries): a table larger
 * than that cannot be pulled whole either, and the rest would move in the next rounds.
 */
export async function fetchMembers (rpc: PeerRpc, peer: PeerId, hashes: readonly Uint8Array[]): Promise<MemberTableAnswer> {
  return await rpc.expect(peer, { type: 'members-fetch', hashes: hashes.slice(0, LIMITS.members) }, 'members')
}
