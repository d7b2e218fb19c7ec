/**
 * Admission: an operator's signed statement that one peer is a member of one cluster, with
 * the most weight it may claim and the zone it stands in. A cluster is named by its
 * authority's public key (as a peer id): every certificate of the cluster is signed by
 * the authority's private key, which only holders of the cluster secret can derive
 * (docs/trust.md). A peer id alone proves nothing about membership; a certificate does.
 *
 * Pure rules here; the signature is checked by the engine's Signer against `cluster`.
 */
import type { MemberRecord, PeerId } from './types.js'

export interface Admission {
  /** The cluster: its authority's public key as a peer id. */
  readonly cluster: PeerId
  /** The admitted peer. */
  readonly peer: PeerId
  /** The largest weight the peer's member record may claim (0: a client only). */
  readonly maxWeight: number
  /** The zone the peer's record must name. */
  readonly zone: string
  /** When the operator issued it (ms since the epoch): the earliest join time the member may claim. */
  readonly issuedAt: number
}

export interface SignedAdmission {
  readonly admission: Admission
  /** The authority's signature over `encodeAdmission(admission)`. */
  readonly signature: Uint8Array
}

/**
 * Why `admission` does not admit `record` as a member of `cluster`, or undefined when it
 * does. Checked after the signature: a well-signed certificate still admits only the peer
 * it names, up to its weight, in its zone, joined no earlier than it was issued.
 */
export function admissionProblem (admission: Admission, cluster: PeerId, record: Pick<MemberRecord, 'id' | 'weight' | 'zone' | 'joinedAt' | 'stints'>): string | undefined {
  if (admission.cluster !== cluster) return `admitted to cluster ${admission.cluster}, not ${cluster}`
  if (admission.peer !== record.id) return `the admission is for ${admission.peer}, not ${record.id}`
  if (record.weight > admission.maxWeight) return `weight ${record.weight} is above the admitted ${admission.maxWeight}`
  if (record.zone !== admission.zone) return `zone '${record.zone}' is not the admitted '${admission.zone}'`
  // The ring folds members in join order: a join placed before others' reorders the fold
  // and moves partitions between them. The operator's issue time bounds it: no join (and no
  // earlier stint) of this member is placed before its admission was issued. An honest
  // member joins later, after every event it learnt of (peer's membership.ts), so an old
  // admission no longer back-dates its join.
  if (record.joinedAt < admission.issuedAt) return `joinedAt ${record.joinedAt} is before the admission's issuedAt ${admission.issuedAt}`
  const early = (record.stints ?? []).find((s) => s.joinedAt < admission.issuedAt)
  if (early !== undefined) return `an earlier stint joined at ${early.joinedAt}, before the admission's issuedAt ${admission.issuedAt}`
  return undefined
}
