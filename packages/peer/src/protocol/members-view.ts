/**
 * `members-view`: the records of the cluster's members (weight > 0, those that left
 * included: the ring's history folds them in), each with its author's signature and
 * admission, so a client checks every record itself and computes the same ring and
 * preference lists as the members (the paper's client-driven coordination). The client
 * surface's read-only counterpart of the member-only `members-pull`: clients (weight-0
 * records in an open cluster) are not in it.
 */
import type { PeerId } from '@ringstore/core'
import type { Protocol } from './protocol.js'
import { membersReply } from './members-pull.js'
import type { MemberTableAnswer, SignedTable } from './members-pull.js'
import type { PeerRpc } from './rpc.js'

export const membersView: Protocol<'members-view', { readonly membership: SignedTable }> = {
  type: 'members-view',
  callers: 'client',
  serve ({ membership }) {
    return membersReply(membership.signedRecords().filter((s) => s.record.weight > 0), membership.removals())
  }
}

/** `peer`'s view of the members (unverified: the caller checks each signature). */
export async function askMembersView (rpc: PeerRpc, peer: PeerId): Promise<MemberTableAnswer> {
  return await rpc.expect(peer, { type: 'members-view' }, 'members')
}
