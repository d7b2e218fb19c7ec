/**
 * Member-record signatures with libp2p keys: a record about X verifies only against X's
 * own public key, which ed25519 (and secp256k1) peer ids carry inline. Works in browsers.
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@ringstore/core'
import type { Signer } from '@ringstore/peer'

export class Libp2pSigner implements Signer {
  constructor (private readonly privateKey: PrivateKey) {}

  async sign (data: Uint8Array): Promise<Uint8Array> {
    return this.privateKey.sign(data)
  }

  /** False (never a throw) for a bad signature, a malformed id, or an id without an inline key (RSA). */
  async verify (peer: PeerId, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return await verifyAs(peer, data, signature)
  }
}

/**
 * Whether `peer`'s key signed `data` (what `Libp2pSigner.verify` does, for checkers that
 * hold no key of their own). False, never a throw, for a bad signature, a malformed id or
 * an id without an inline key (RSA).
 */
export async function verifyAs (peer: PeerId, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    const publicKey = peerIdFromString(peer).publicKey
    if (publicKey === undefined) return false
    return await publicKey.verify(data, signature)
  } catch {
    return false
  }
}
