/**
 * A warm start: the simulated cluster starts as an existing cluster that restarts, not as
 * S peers joining one by one. A cold start costs S² member records: every newcomer pulls
 * the seeds' tables (one record per member so far) and its join is announced to every
 * running peer, each record crossing the codec and a signature check (75 of a
 * thousand-peer run's 100 CPU-seconds, issue 13).
 *
 * Before any peer starts, every peer's durable disk gets the member table in the engine's
 * own layout (peer's cluster/member-persist.ts): its own record ('member-record' and
 * 'member/<self>', incarnation 0) and, for every other member, the record that member will
 * announce when it restarts (incarnation 1: `restartRecord` of its incarnation 0, signed by
 * its SimSigner, which is deterministic). Each peer then takes the engine's restart path:
 * it loads the table and derives the ring before it talks to anyone, re-incarnates to
 * exactly the record the others already hold, and its announcement and its digest
 * exchange with the seeds (members-digest) only confirm that the tables agree. It is the
 * state of a cluster whose peers all restarted and heard of each other's restart, with
 * each peer's own incarnation 1 not yet written: the one step the engine takes at start.
 * SimCluster starts them in waves (WARM_START_WAVE), all within a few hundred virtual ms.
 *
 * The records are built and encoded once for the whole cluster: every disk holds the same
 * bytes (SimDisk keeps what it is given; reads hand out copies), and the peers' loads
 * intern equal records to one object (core member-intern.ts).
 */
import { newMemberRecord, encodeRecord, restartRecord } from '@ringstore/core'
import type { MemberRecord, PeerId, SignedAdmission, SignedRecord } from '@ringstore/core'
import { DEFAULT_CONFIG, memberOp, ownRecordOp } from '@ringstore/peer'
import type { PeerConfig, StorageOp } from '@ringstore/peer'
import { admit } from './admit.js'
import { SIM_EPOCH_MS, WARM_START_FORMED_MS } from './constants.js'
import { SimSigner } from './signer.js'
import type { SimDisk } from './storage.js'

/** What a warm start needs of a simulated node; it sets `admission` in an admitted cluster. */
export interface WarmNode {
  readonly id: PeerId
  readonly disk: SimDisk
  admission?: SignedAdmission
}

/** One member's part of the tables: what its own disk holds of it, and what every other disk does. */
interface MemberEntries {
  readonly own: readonly StorageOp[]
  readonly announced: StorageOp
}

/**
 * Writes every node's member table (see above), in index order of joins. `authority`: an
 * admitted cluster (docs/trust.md), each node admitted as of its join.
 */
export async function writeWarmTables (nodes: readonly WarmNode[], config: Partial<PeerConfig>, authority?: PeerId): Promise<void> {
  const entries: MemberEntries[] = []
  for (const [index, node] of nodes.entries()) entries.push(await memberEntries(node, index, config, authority))
  // In key order: each disk's sorted map then appends (storage.ts SortedMap).
  const announced = entries.map((e) => e.announced).sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  for (const [index, node] of nodes.entries()) {
    const { own } = entries[index] as MemberEntries
    const [ownRecord, ownMember] = own as [StorageOp, StorageOp]
    node.disk.apply([ownRecord, ...announced.map((op) => op.key === ownMember.key ? ownMember : op)])
  }
}

async function memberEntries (node: WarmNode, index: number, config: Partial<PeerConfig>, authority: PeerId | undefined): Promise<MemberEntries> {
  const joinedAt = SIM_EPOCH_MS - WARM_START_FORMED_MS + index
  if (authority !== undefined) node.admission = await admit(authority, node.id, config, joinedAt)
  // What the engine's Membership.start re-incarnates with: the peer's address (SimCluster
  // gives each peer its id), weight and zone.
  const update = { addrs: [node.id], weight: config.weight ?? DEFAULT_CONFIG.weight, zone: config.zone ?? DEFAULT_CONFIG.zone }
  const before = newMemberRecord({ id: node.id, ...update, joinedAt })
  const after = restartRecord(before, update)
  const signer = new SimSigner(node.id)
  return {
    own: [ownRecordOp(before), memberOp(await signed(before, signer, node.admission))],
    announced: memberOp(await signed(after, signer, node.admission))
  }
}

async function signed (record: MemberRecord, signer: SimSigner, admission: SignedAdmission | undefined): Promise<SignedRecord> {
  const signature = await signer.sign(encodeRecord(record))
  return admission === undefined ? { record, signature } : { record, signature, admission }
}
