/**
 * One object per distinct signed member record in a process. Every peer holds the newest
 * record of every member, and a record reaches it by gossip, pull answers and its own
 * disk, each decoding a fresh copy; interning the verified record by its content makes
 * the holders of equal records share one object. A real process holds one peer, so this
 * costs it a map lookup per accepted record; the simulator runs a whole cluster in one
 * process, where S peers holding S records each would otherwise keep S² copies
 * (gigabytes at S = 1,000; issue 13).
 *
 * The table holds weak references: a record nobody holds any more is collected and its
 * entry removed. Whether a lookup finds the earlier object or keeps the new one depends on
 * the collector, never what the caller sees: both have the same content, byte for byte.
 * Interned objects must be treated as immutable (MemberRecord and SignedRecord are readonly).
 */
import { encodeAdmission } from './codec-admission.js'
import { validateRecord } from './membership.js'
import type { SignedRecord } from './messages.js'
import type { MemberRecord } from './types.js'

const interned = new Map<string, WeakRef<SignedRecord>>()
const cleanup = new FinalizationRegistry<string>((key) => {
  // The key may have been taken meanwhile by a newer object of the same content.
  if (interned.get(key)?.deref() === undefined) interned.delete(key)
})

/**
 * The process's object for `signed`, whose record encodes to `encodedRecord`
 * (`encodeRecord(signed.record)`, which the signature check computes anyway): an earlier
 * one with the same record, signature and admission bytes, or `signed` itself from now on.
 */
export function internSignedRecord (signed: SignedRecord, encodedRecord: Uint8Array): SignedRecord {
  const key = internKey(signed, encodedRecord)
  const held = interned.get(key)?.deref()
  if (held !== undefined) return held
  interned.set(key, new WeakRef(signed))
  cleanup.register(signed, key)
  return signed
}

/**
 * The interned object of `received` when this very object's signature was already found
 * valid in this process (`noteSignatureChecked`), else undefined. A signature's validity is
 * a function of the bytes alone, and decoded messages are never changed: the simulator
 * decodes a broadcast or a pull answer once for all its receivers, which then encoded the
 * record and checked its signature once each (a tenth of a thousand-peer cluster's start).
 * In a real process, with one peer, it only spares re-checking an object already held.
 */
export function signatureChecked (received: SignedRecord): SignedRecord | undefined {
  return checked.get(received)
}

/**
 * `received` passed the signature check and stands for `internedAs` (internSignedRecord's
 * answer, the same bytes, so its signature is as good). Only here: interning alone vouches
 * for nothing (a peer's own disk interns what it stored without a signature check).
 */
export function noteSignatureChecked (received: SignedRecord, internedAs: SignedRecord): void {
  checked.set(received, internedAs)
  checked.set(internedAs, internedAs)
}

const checked = new WeakMap<SignedRecord, SignedRecord>()

/**
 * `validateRecord(record)`, computed once per input object: for decoded messages, which
 * nobody changes. The simulator decodes a broadcast once for all its receivers, so S
 * peers validate one object (and get one record back, whose comparisons are memoized).
 */
export function validateDecodedRecord (record: unknown): MemberRecord {
  if (typeof record !== 'object' || record === null) return validateRecord(record)
  let valid = validated.get(record)
  if (valid === undefined) {
    valid = validateRecord(record)
    validated.set(record, valid)
  }
  return valid
}

const validated = new WeakMap<object, MemberRecord>()

/** How many distinct records the table refers to (live or not yet cleaned up); for tests and reports. */
export function internedRecordCount (): number {
  return interned.size
}

function internKey (signed: SignedRecord, encodedRecord: Uint8Array): string {
  let key = bytesKey(encodedRecord) + '\u0100' + bytesKey(signed.signature)
  if (signed.admission !== undefined) {
    key += '\u0100' + bytesKey(encodeAdmission(signed.admission.admission)) + '\u0100' + bytesKey(signed.admission.signature)
  }
  return key
}

/** Each byte as one UTF-16 code unit below 256: an injective, cheap map key (the separator above is 256). */
function bytesKey (bytes: Uint8Array): string {
  let out = ''
  for (let at = 0; at < bytes.length; at += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(at, at + CHUNK) as unknown as number[])
  }
  return out
}

/** Arguments per String.fromCharCode call (engines cap the argument count). */
const CHUNK = 4096
