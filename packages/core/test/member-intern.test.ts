import { describe, it, expect } from 'vitest'
import { decodeRecord, encodeRecord } from '../src/codec-record.js'
import { internSignedRecord, validateDecodedRecord } from '../src/member-intern.js'
import { recordDigest } from '../src/membership-digest.js'
import { InvalidRecordError, compareRecords, newMemberRecord, nextHeartbeat, validateRecord } from '../src/membership.js'
import type { SignedRecord } from '../src/messages.js'

const record = newMemberRecord({ id: 'intern-a', addrs: ['/ip4/127.0.0.1/tcp/4001'], weight: 1, zone: 'z1', joinedAt: 1000 })

/** A fresh copy of `signed`, as a second decode of the same bytes makes it. */
function copyOf (signed: SignedRecord): SignedRecord {
  return { record: decodeRecord(encodeRecord(signed.record)), signature: signed.signature.slice() }
}

describe('internSignedRecord', () => {
  it('gives every holder of equal bytes the first object', () => {
    const first: SignedRecord = { record, signature: new Uint8Array([1, 2, 3]) }
    const kept = internSignedRecord(first, encodeRecord(first.record))
    const second = copyOf(first)
    expect(second).not.toBe(first)
    expect(internSignedRecord(second, encodeRecord(second.record))).toBe(kept)
  })

  it('tells apart records, signatures and admissions that differ', () => {
    const signed: SignedRecord = { record: nextHeartbeat(record), signature: new Uint8Array([9]) }
    const kept = internSignedRecord(signed, encodeRecord(signed.record))
    const otherSignature = { ...copyOf(signed), signature: new Uint8Array([8]) }
    expect(internSignedRecord(otherSignature, encodeRecord(otherSignature.record))).toBe(otherSignature)
    const otherRecord: SignedRecord = { record: nextHeartbeat(signed.record), signature: new Uint8Array([9]) }
    expect(internSignedRecord(otherRecord, encodeRecord(otherRecord.record))).toBe(otherRecord)
    const admitted: SignedRecord = {
      ...copyOf(signed),
      admission: { admission: { cluster: 'authority', peer: record.id, maxWeight: 1, zone: 'z1', issuedAt: 5 }, signature: new Uint8Array([7]) }
    }
    expect(internSignedRecord(admitted, encodeRecord(admitted.record))).toBe(admitted)
    expect(internSignedRecord(copyOf(signed), encodeRecord(signed.record))).toBe(kept)
  })
})

describe('recordDigest', () => {
  it('is computed once per record object and equal for equal records', () => {
    const copy = decodeRecord(encodeRecord(record))
    expect(recordDigest(record)).toBe(recordDigest(record))
    expect(recordDigest(copy)).toEqual(recordDigest(record))
    expect(recordDigest(nextHeartbeat(record))).not.toEqual(recordDigest(record))
  })
})

describe('validateDecodedRecord', () => {
  it('validates each decoded object once, and refuses what validateRecord refuses', () => {
    const decoded = decodeRecord(encodeRecord(record))
    const valid = validateDecodedRecord(decoded)
    expect(valid).toEqual(record)
    // The decoder's output is validateRecord's own: it is not checked field by field again.
    expect(valid).toBe(decoded)
    expect(validateDecodedRecord(decoded)).toBe(valid)
    expect(compareRecords(valid, record)).toBe(0)
    expect(() => validateDecodedRecord({ ...decoded, weight: -1 })).toThrow(InvalidRecordError)
    expect(() => validateDecodedRecord(null)).toThrow(InvalidRecordError)
    // A copy of a valid record is a new object: checked in full (a changed field is caught).
    expect(() => validateRecord({ ...valid, zone: 7 })).toThrow(InvalidRecordError)
    expect(validateRecord({ ...valid })).not.toBe(valid)
  })
})
