/**
 * `members-hashes`: a membership gossip round that moves only the records that differ
 * (cluster/membership.ts). The caller sends its table digest (core membership-digest.ts); a
 * peer whose table has the same digest answers `ok`, else the record digests of its records
 * in the buckets that differ (`hashes`, BUCKET_DIGEST_BYTES each). The caller then asks
 * (`members-fetch`) for the records whose digests it does not hold: those it lacks, and
 * those it holds another version of. A bucket holds about S/64 records; `members-digest`
 * answered with all of them, and each was decoded, compared and kept or dropped, so one
 * changed record cost S/64 records each way. As with `members-digest`, a digest that
 * differs makes the server ask the caller in turn (`onDigestReceived`): the push half.
 *
 * Members only, like `members-digest`: record digests say which versions a peer holds,
 * which the member table is not open to clients for (they have `members-view`).
 */
import { BUCKET_DIGEST_BYTES, TABLE_DIGEST_BYTES } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import { RemoteError } from '../errors.js'
import type { DigestedTable } from './members-digest.js'
import { BadRequestError } from './protocol.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/** The part of membership this protocol reads. */
export interface HashedTable extends Pick<DigestedTable, 'onDigestReceived'> {
  /** The record digests of our records in the digest buckets where `digest` differs from ours; undefined when none does. */
  recordHashesDifferingFrom(digest: Uint8Array): Uint8Array[] | undefined
}

export const membersHashes: Protocol<'members-hashes', { readonly membership: HashedTable }> = {
  type: 'members-hashes',
  callers: 'member',
  serve ({ membership }, request, from) {
    const hashes = membership.recordHashesDifferingFrom(checkDigest(request.digest))
    membership.onDigestReceived(from, hashes !== undefined)
    if (hashes === undefined) return { type: 'ok' }
    return { type: 'hashes', hashes }
  }
}

/** A table digest (the codec checks frames; a Network may hand over objects directly). */
function checkDigest (digest: unknown): Uint8Array {
  if (!(digest instanceof Uint8Array) || digest.length !== TABLE_DIGEST_BYTES) throw new BadRequestError(`digest must be ${TABLE_DIGEST_BYTES} bytes`)
  return digest
}

/**
 * The record digests of `peer`'s records in the buckets where its table differs from the
 * one `digest` stands for; undefined when the same. Throws RemoteError (code 'bad-request'
 * from a peer older than this protocol).
 */
export async function askMemberHashes (rpc: PeerRpc, peer: PeerId, digest: Uint8Array): Promise<readonly Uint8Array[] | undefined> {
  const response = await rpc.send(peer, { type: 'members-hashes', digest })
  if (response.type === 'ok') return undefined
  if (response.type === 'error') throw new RemoteError(peer, response.code, response.message)
  if (response.type !== 'hashes') throw new RemoteError(peer, 'bad-response', `expected 'ok' or 'hashes' to 'members-hashes', got '${response.type}'`)
  if (response.hashes.some((h) => h.length !== BUCKET_DIGEST_BYTES)) throw new RemoteError(peer, 'bad-response', `record digests must be ${BUCKET_DIGEST_BYTES} bytes`)
  return response.hashes
}
