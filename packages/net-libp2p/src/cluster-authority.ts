/**
 * The cluster authority: an Ed25519 key derived from the cluster secret, so every holder of
 * the secret (the operators' machines, never a browser) derives the same key and nobody
 * else can. Its public key, written as a peer id, names the cluster (`clusterId`); its
 * signature on an admission certificate is what makes a peer a member (docs/trust.md).
 * Verifying needs only the cluster id: Libp2pSigner.verify(clusterId, …) checks it, in a
 * daemon or a tab, without the secret.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeAdmission, encodeRemoval } from '@ringstore/core'
import type { Admission, PeerId, Removal, SignedAdmission, SignedRemoval } from '@ringstore/core'
import { CLUSTER_SECRET_BYTES } from './constants.js'

/**
 * HKDF's info string: binds the derived key to this one use, so the same secret could
 * derive other keys later without one ever standing for another.
 */
const AUTHORITY_KEY_INFO = new TextEncoder().encode('ringstore cluster authority v1')

/** A secret of the wrong length (not made by `ringstore secret`). */
export class ClusterSecretError extends Error {
  static override name = 'ClusterSecretError'
  override name = 'ClusterSecretError'
}

export interface ClusterAuthority {
  /** The cluster's name: the authority's public key as a peer id. */
  readonly clusterId: PeerId
  /** Sign an admission of `admission.peer` to this cluster. */
  admit(admission: Omit<Admission, 'cluster'>): Promise<SignedAdmission>
  /** Sign the removal of member `removal.peer` from this cluster (`ringstore remove`). */
  remove(removal: Omit<Removal, 'cluster'>): Promise<SignedRemoval>
}

export async function clusterAuthority (secret: Uint8Array): Promise<ClusterAuthority> {
  if (secret.byteLength !== CLUSTER_SECRET_BYTES) {
    throw new ClusterSecretError(`a cluster secret is ${CLUSTER_SECRET_BYTES} bytes, got ${secret.byteLength}`)
  }
  const seed = hkdf(sha256, secret, undefined, AUTHORITY_KEY_INFO, 32)
  const key: PrivateKey = await generateKeyPairFromSeed('Ed25519', seed)
  const clusterId = peerIdFromPrivateKey(key).toString()
  return {
    clusterId,
    async admit (fields) {
      const admission: Admission = { cluster: clusterId, ...fields }
      return { admission, signature: await key.sign(encodeAdmission(admission)) }
    },
    async remove (fields) {
      const removal: Removal = { cluster: clusterId, ...fields }
      return { removal, signature: await key.sign(encodeRemoval(removal)) }
    }
  }
}
