/**
 * `members-pull`: the whole membership table, each record with its author's signature, so
 * the puller can check every record itself (cluster/membership.ts). Asked of seeds at start
 * and of every peer that connects.
 */
import type { PeerId, SignedRecord } from '@ringstore/core'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/** The part of membership this protocol reads. */
export interface SignedTable {
  signedRecords(): SignedRecord[]
}

export const membersPull: Protocol<'members-pull', { readonly membership: SignedTable }> = {
  type: 'members-pull',
  callers: 'member',
  serve ({ membership }) {
    return { type: 'members', records: membership.signedRecords() }
  }
}

/** `peer`'s membership table (unverified: the caller checks each signature). */
export async function askMembers (rpc: PeerRpc, peer: PeerId): Promise<readonly SignedRecord[]> {
  return (await rpc.expect(peer, { type: 'members-pull' }, 'members')).records
}
