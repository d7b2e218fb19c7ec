/**
 * Admission certificates on the wire and in files.
 *
 * Wire layout (CBOR arrays):
 *   Admission       = [1, cluster, peer, maxWeight, zone, issuedAt]
 *   SignedAdmission = [Admission, signature: bytes]
 * The leading 1 is a format version: the authority signs `encodeAdmission` bytes, so the
 * layout must never change silently.
 */
import type { Admission, SignedAdmission } from './admission.js'
import type { FromWire } from './codec-wire.js'
import { decodeChecked, encodeChecked, readBytes, readInt, readList, readNumber, readPeerId, readText } from './codec-wire.js'
import { MAX_MEMBER_WEIGHT } from './ring-assign.js'
import { LIMITS } from './types.js'

const ADMISSION_FORMAT = 1

/**
 * Signature bytes: Ed25519 is 64 (the authority key); 1 KiB as for member records leaves
 * room for other key types. Stated here rather than imported: codec-record.ts imports this file.
 */
const MAX_ADMISSION_SIGNATURE_BYTES = 1024

/** Upper bound of an encoded admission: both ids and the zone at their limits, plus CBOR headers. */
export const MAX_ADMISSION_BYTES = 2 * LIMITS.idBytes + LIMITS.zoneBytes + 64
export const MAX_SIGNED_ADMISSION_BYTES = MAX_ADMISSION_BYTES + MAX_ADMISSION_SIGNATURE_BYTES + 16

function admissionToWire (a: Admission): unknown {
  return [ADMISSION_FORMAT, a.cluster, a.peer, a.maxWeight, a.zone, a.issuedAt]
}

const admissionFromWire: FromWire<Admission> = (w, path) => {
  const f = readList(w, path, 6, 6, (x) => x)
  readInt(f[0], `${path}.format`, ADMISSION_FORMAT, ADMISSION_FORMAT)
  return {
    cluster: readPeerId(f[1], `${path}.cluster`),
    peer: readPeerId(f[2], `${path}.peer`),
    maxWeight: readNumber(f[3], `${path}.maxWeight`, 0, MAX_MEMBER_WEIGHT),
    zone: readText(f[4], `${path}.zone`, 0, LIMITS.zoneBytes),
    issuedAt: readInt(f[5], `${path}.issuedAt`, 0)
  }
}

export function signedAdmissionToWire (s: SignedAdmission): unknown {
  return [admissionToWire(s.admission), s.signature]
}

export const signedAdmissionFromWire: FromWire<SignedAdmission> = (w, path) => {
  const [admission, signature] = readList(w, path, 2, 2, (x) => x)
  return {
    admission: admissionFromWire(admission, `${path}.admission`),
    signature: readBytes(signature, `${path}.signature`, 1, MAX_ADMISSION_SIGNATURE_BYTES)
  }
}

/** Canonical bytes of an admission: what the authority signs and what verifiers check. */
export function encodeAdmission (admission: Admission): Uint8Array {
  return encodeChecked(admission, 'admission', MAX_ADMISSION_BYTES, admissionToWire, admissionFromWire)
}

export function decodeAdmission (bytes: Uint8Array): Admission {
  return decodeChecked(bytes, 'admission', MAX_ADMISSION_BYTES, admissionFromWire)
}

export function encodeSignedAdmission (signed: SignedAdmission): Uint8Array {
  return encodeChecked(signed, 'signedAdmission', MAX_SIGNED_ADMISSION_BYTES, signedAdmissionToWire, signedAdmissionFromWire)
}

export function decodeSignedAdmission (bytes: Uint8Array): SignedAdmission {
  return decodeChecked(bytes, 'signedAdmission', MAX_SIGNED_ADMISSION_BYTES, signedAdmissionFromWire)
}
