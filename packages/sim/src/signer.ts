/**
 * A deterministic stand-in for the engine's `Signer`, for the simulator only.
 *
 * signature = sha256(utf8(peerId) ‖ 0x00 ‖ data); verify recomputes it. It is NOT secure:
 * anyone who knows a peer id can "sign" as that peer. It exists so that the engine's
 * signature checks (a record about X must be signed by X) run on every simulated
 * membership message, and so that a record whose bytes change in transit, or a record
 * relayed under another author's name, fails verification as it would in production.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { equalBytes } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import type { Signer } from '@ringstore/peer'

function digest (peer: PeerId, data: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes(peer), new Uint8Array([0]), data))
}


export class SimSigner implements Signer {
  constructor (private readonly self: PeerId) {}

  async sign (data: Uint8Array): Promise<Uint8Array> {
    return digest(this.self, data)
  }

  async verify (peer: PeerId, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return equalBytes(digest(peer, data), signature)
  }
}
