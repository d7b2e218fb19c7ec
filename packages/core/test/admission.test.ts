import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  CodecError, LIMITS, admissionProblem, decodeAdmission, decodeAnnouncement, decodeResponse, encodeAnnouncement, encodeResponse, newMemberRecord, decodeSignedAdmission, encodeAdmission, encodeSignedAdmission,
  decodeRemoval, decodeSignedRemoval, encodeRemoval, encodeSignedRemoval, removalProblem
} from '../src/index.js'
import type { Admission, Removal } from '../src/index.js'

const admission: Admission = { cluster: 'authority', peer: 'peer-1', maxWeight: 2, zone: 'eu-1', issuedAt: 1_765_000_000_000 }

describe('admission certificates', () => {
  it('round-trip through their canonical encoding, signed or not', () => {
    expect(decodeAdmission(encodeAdmission(admission))).toEqual(admission)
    const signed = { admission, signature: new Uint8Array(64).fill(7) }
    expect(decodeSignedAdmission(encodeSignedAdmission(signed))).toEqual(signed)
  })

  it('encode the same admission to the same bytes, and different admissions to different bytes', () => {
    const arb = fc.record({
      cluster: fc.string({ minLength: 1, maxLength: 40 }),
      peer: fc.string({ minLength: 1, maxLength: 40 }),
      maxWeight: fc.integer({ min: 0, max: 1000 }),
      zone: fc.string({ maxLength: 20 }),
      issuedAt: fc.integer({ min: 0, max: 2 ** 45 })
    })
    fc.assert(fc.property(arb, arb, (a, b) => {
      const same = JSON.stringify(a) === JSON.stringify(b)
      expect(Buffer.from(encodeAdmission(a)).equals(Buffer.from(encodeAdmission(b)))).toBe(same)
      expect(decodeAdmission(encodeAdmission(a))).toEqual(a)
    }))
  })

  it('refuse malformed and oversized certificates with a CodecError naming the field', () => {
    const bad: Array<[Admission, string]> = [
      [{ ...admission, peer: '' }, 'admission.peer'],
      [{ ...admission, cluster: 'x'.repeat(LIMITS.idBytes + 1) }, 'admission.cluster'],
      [{ ...admission, maxWeight: -1 }, 'admission.maxWeight'],
      [{ ...admission, zone: 'z'.repeat(LIMITS.zoneBytes + 1) }, 'admission.zone'],
      [{ ...admission, issuedAt: 1.5 }, 'admission.issuedAt']
    ]
    for (const [value, field] of bad) {
      expect(() => encodeAdmission(value), field).toThrow(CodecError)
      try {
        encodeAdmission(value)
      } catch (error) {
        expect((error as CodecError).message).toContain(field)
      }
    }
    expect(() => decodeSignedAdmission(new Uint8Array([1, 2, 3]))).toThrow(CodecError)
    expect(() => encodeSignedAdmission({ admission, signature: new Uint8Array(0) })).toThrow(CodecError)
  })

  it('travel with a signed member record, which still decodes without one', () => {
    const record = newMemberRecord({ id: 'peer-1', addrs: [], weight: 2, zone: 'eu-1', joinedAt: admission.issuedAt })
    const bare = { record, signature: new Uint8Array(64).fill(1) }
    const admitted = { ...bare, admission: { admission, signature: new Uint8Array(64).fill(2) } }
    expect(decodeAnnouncement(encodeAnnouncement({ signed: admitted }))).toEqual({ signed: admitted })
    expect(decodeAnnouncement(encodeAnnouncement({ signed: bare }))).toEqual({ signed: bare })
    const members = decodeResponse(encodeResponse({ type: 'members', records: [bare, admitted] }))
    expect(members).toEqual({ type: 'members', records: [bare, admitted] })
  })

  it('admit only the named peer of the named cluster, up to its weight, in its zone', () => {
    const record = { id: 'peer-1', weight: 2, zone: 'eu-1', joinedAt: admission.issuedAt }
    expect(admissionProblem(admission, 'authority', record)).toBeUndefined()
    expect(admissionProblem(admission, 'authority', { ...record, weight: 1 })).toBeUndefined()
    expect(admissionProblem(admission, 'other-cluster', record)).toMatch(/cluster/)
    expect(admissionProblem(admission, 'authority', { ...record, id: 'peer-2' })).toMatch(/peer-1, not peer-2/)
    expect(admissionProblem(admission, 'authority', { ...record, weight: 1000 })).toMatch(/weight 1000 is above the admitted 2/)
    expect(admissionProblem(admission, 'authority', { ...record, zone: 'us-1' })).toMatch(/zone/)
    // Back-dating the join before the admission (to reorder the ring's fold) is refused, a
    // later join is not (an honest member joins after every event it learnt of), nor an
    // earlier stint after the issue time; one before it is.
    expect(admissionProblem(admission, 'authority', { ...record, joinedAt: 1 })).toMatch(/joinedAt 1 is before/)
    expect(admissionProblem(admission, 'authority', { ...record, joinedAt: admission.issuedAt + 5 })).toBeUndefined()
    const stint = { joinedAt: admission.issuedAt, leftAt: admission.issuedAt + 1, weight: 2, zone: 'eu-1' }
    expect(admissionProblem(admission, 'authority', { ...record, joinedAt: admission.issuedAt + 5, stints: [stint] })).toBeUndefined()
    expect(admissionProblem(admission, 'authority', { ...record, joinedAt: admission.issuedAt + 5, stints: [{ ...stint, joinedAt: 3 }] })).toMatch(/stint joined at 3/)
  })
})

describe('removals', () => {
  const removal: Removal = { cluster: 'authority', peer: 'peer-1', removedAt: 1_765_000_000_000 }

  it('round-trip, and a removal never reads as an admission (nor the other way round)', () => {
    expect(decodeRemoval(encodeRemoval(removal))).toEqual(removal)
    const signed = { removal, signature: new Uint8Array(64).fill(3) }
    expect(decodeSignedRemoval(encodeSignedRemoval(signed))).toEqual(signed)
    // The authority signs both kinds: the bytes of one must not decode as the other.
    expect(() => decodeAdmission(encodeRemoval(removal))).toThrow(CodecError)
    expect(() => decodeRemoval(encodeAdmission(admission))).toThrow(CodecError)
  })

  it('travel as a gossip announcement and with a members reply; a reply without removals keeps its old bytes', () => {
    const signed = { removal, signature: new Uint8Array(64).fill(3) }
    expect(decodeAnnouncement(encodeAnnouncement({ removal: signed }))).toEqual({ removal: signed })
    const withRemovals = { type: 'members' as const, records: [], removals: [signed] }
    expect(decodeResponse(encodeResponse(withRemovals))).toEqual(withRemovals)
    expect(encodeResponse({ type: 'members', records: [], removals: [] })).toEqual(encodeResponse({ type: 'members', records: [] }))
  })

  it('apply only in their own cluster, and never in an open one', () => {
    expect(removalProblem(removal, 'authority')).toBeUndefined()
    expect(removalProblem(removal, 'another')).toMatch(/cluster/)
    expect(removalProblem(removal, undefined)).toMatch(/open cluster/)
  })
})
