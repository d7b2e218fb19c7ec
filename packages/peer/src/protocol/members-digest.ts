/**
 * `members-digest`: one membership gossip round (cluster/membership.ts). The caller sends
 * its table digest (core membership-digest.ts); a peer whose table has the same digest
 * answers `ok` (the common case), else the records of the digest buckets that differ, as a
 * `members` reply. The answer is a pull; the push half is the server's: a digest that
 * differs from its own makes it ask the caller in turn (`onDigestReceived`), so an
 * exchange brings both sides up to date, as Dynamo's per-round reconciliation of two
 * members' histories.
 */
import type { PeerId, SignedRecord } from '@ringstore/core'
import { RemoteError } from '../errors.js'
import type { Protocol } from './protocol.js'
import { membersReply } from './members-pull.js'
import type { MemberTableAnswer, SignedTable } from './members-pull.js'
import type { PeerRpc } from './rpc.js'

/** The part of membership this protocol reads. */
export interface DigestedTable extends SignedTable {
  /** Our records in the digest buckets where `digest` differs from ours; undefined when none does. */
  recordsDifferingFrom(digest: Uint8Array): SignedRecord[] | undefined
  /**
   * `peer` sent its digest: when it `differs` from ours it may hold records we lack; when
   * not, our tables agreed just now (a connection it opened for this costs no pull).
   */
  onDigestReceived(peer: PeerId, differs: boolean): void
}

export const membersDigest: Protocol<'members-digest', { readonly membership: DigestedTable }> = {
  type: 'members-digest',
  callers: 'member',
  serve ({ membership }, request, from) {
    const records = membership.recordsDifferingFrom(request.digest)
    membership.onDigestReceived(from, records !== undefined)
    if (records === undefined) return { type: 'ok' }
    return membersReply(records, membership.removals())
  }
}

/** `peer`'s table when it differs from the one `digest` stands for; undefined when the same. */
export async function askMembersDigest (rpc: PeerRpc, peer: PeerId, digest: Uint8Array): Promise<MemberTableAnswer | undefined> {
  const response = await rpc.send(peer, { type: 'members-digest', digest })
  if (response.type === 'ok') return undefined
  if (response.type === 'members') return response
  if (response.type === 'error') throw new RemoteError(peer, response.code, response.message)
  throw new RemoteError(peer, 'bad-response', `expected 'ok' or 'members' to 'members-digest', got '${response.type}'`)
}
