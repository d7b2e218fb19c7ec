/** The cluster authority's admissions of simulated peers (docs/trust.md). */
import { encodeAdmission } from '@ringstore/core'
import type { PeerId, SignedAdmission } from '@ringstore/core'
import { DEFAULT_CONFIG } from '@ringstore/peer'
import type { PeerConfig } from '@ringstore/peer'
import { SimSigner } from './signer.js'

/** An admission of `peer` to `authority`'s cluster at its configured weight and zone, issued at `issuedAt`. */
export async function admit (authority: PeerId, peer: PeerId, config: Partial<PeerConfig>, issuedAt: number): Promise<SignedAdmission> {
  const admission = { cluster: authority, peer, maxWeight: config.weight ?? DEFAULT_CONFIG.weight, zone: config.zone ?? DEFAULT_CONFIG.zone, issuedAt }
  return { admission, signature: await new SimSigner(authority).sign(encodeAdmission(admission)) }
}
