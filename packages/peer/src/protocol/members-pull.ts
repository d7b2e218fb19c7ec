/**
 * `members-pull`: the whole membership table, each record with its author's signature, so
 * the puller can check every record itself (cluster/membership.ts). Asked of seeds at start
 * and of every peer that connects.
 */
import type { PeerId, Response, SignedRecord, SignedRemoval } from '@ringstore/core'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/** The part of membership this protocol reads. */
export interface SignedTable {
  signedRecords(): SignedRecord[]
  /** The operator's removals of members (cluster/member-removals.ts). */
  removals(): SignedRemoval[]
}

/** A pull answer: the records, and the removals that rule some of them out. */
export interface MemberTableAnswer {
  readonly records: readonly SignedRecord[]
  readonly removals?: readonly SignedRemoval[]
}

/** The `members` reply for `records`, with the removals when there are any. */
export function membersReply (records: SignedRecord[], removals: SignedRemoval[]): Response {
  return removals.length === 0 ? { type: 'members', records } : { type: 'members', records, removals }
}

export const membersPull: Protocol<'members-pull', { readonly membership: SignedTable }> = {
  type: 'members-pull',
  callers: 'member',
  serve ({ membership }) {
    return membersReply(membership.signedRecords(), membership.removals())
  }
}

/** `peer`'s membership table (unverified: the caller checks each signature). */
export async function askMembers (rpc: PeerRpc, peer: PeerId): Promise<MemberTableAnswer> {
  return await rpc.expect(peer, { type: 'members-pull' }, 'members')
}
