/**
 * Removals on the wire and in storage.
 *
 * Wire layout (CBOR arrays):
 *   Removal       = [1, cluster, peer, removedAt]
 *   SignedRemoval = [Removal, signature: bytes]
 * The leading 1 is a format version: the authority signs `encodeRemoval` bytes, so the
 * layout must never change silently. Its length (4) differs from an admission's (6): the
 * authority's signature over one can never pass for the other.
 */
import type { FromWire } from './codec-wire.js'
import { decodeChecked, encodeChecked, readBytes, readInt, readList, readPeerId } from './codec-wire.js'
import type { Removal, SignedRemoval } from './removal.js'
import { LIMITS } from './types.js'

const REMOVAL_FORMAT = 1
/** As for admissions: Ed25519 is 64 bytes; 1 KiB leaves room for other key types. */
const MAX_REMOVAL_SIGNATURE_BYTES = 1024

export const MAX_REMOVAL_BYTES = 2 * LIMITS.idBytes + 48
export const MAX_SIGNED_REMOVAL_BYTES = MAX_REMOVAL_BYTES + MAX_REMOVAL_SIGNATURE_BYTES + 16

function removalToWire (r: Removal): unknown {
  return [REMOVAL_FORMAT, r.cluster, r.peer, r.removedAt]
}

const removalFromWire: FromWire<Removal> = (w, path) => {
  const f = readList(w, path, 4, 4, (x) => x)
  readInt(f[0], `${path}.format`, REMOVAL_FORMAT, REMOVAL_FORMAT)
  return {
    cluster: readPeerId(f[1], `${path}.cluster`),
    peer: readPeerId(f[2], `${path}.peer`),
    removedAt: readInt(f[3], `${path}.removedAt`, 0)
  }
}

export function signedRemovalToWire (s: SignedRemoval): unknown {
  return [removalToWire(s.removal), s.signature]
}

export const signedRemovalFromWire: FromWire<SignedRemoval> = (w, path) => {
  const [removal, signature] = readList(w, path, 2, 2, (x) => x)
  return {
    removal: removalFromWire(removal, `${path}.removal`),
    signature: readBytes(signature, `${path}.signature`, 1, MAX_REMOVAL_SIGNATURE_BYTES)
  }
}

/** Canonical bytes of a removal: what the authority signs and what verifiers check. */
export function encodeRemoval (removal: Removal): Uint8Array {
  return encodeChecked(removal, 'removal', MAX_REMOVAL_BYTES, removalToWire, removalFromWire)
}

export function decodeRemoval (bytes: Uint8Array): Removal {
  return decodeChecked(bytes, 'removal', MAX_REMOVAL_BYTES, removalFromWire)
}

export function encodeSignedRemoval (signed: SignedRemoval): Uint8Array {
  return encodeChecked(signed, 'signedRemoval', MAX_SIGNED_REMOVAL_BYTES, signedRemovalToWire, signedRemovalFromWire)
}

export function decodeSignedRemoval (bytes: Uint8Array): SignedRemoval {
  return decodeChecked(bytes, 'signedRemoval', MAX_SIGNED_REMOVAL_BYTES, signedRemovalFromWire)
}
