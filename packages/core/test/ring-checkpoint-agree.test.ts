/**
 * Agreeing on a ring checkpoint (ring-checkpoint-agree.ts) and carrying it (codec-checkpoint.ts,
 * the record's checkpoint advertisement): a member that has not reached the checkpoint holds
 * it up rather than being broken, and a newcomer that gets the checkpoint's bytes instead of
 * the dropped records computes the ring the others have.
 */
import { describe, expect, it } from 'vitest'
import { encode as cbor } from 'cborg'
import {
  agreedCheckpoint, buildRing, checkpointHash, checkpointRef, compactable, decodeCheckpoint, decodeRecord, encodeCheckpoint,
  encodeRecord, leaveRecord, newMemberRecord, proposedCut, reproduce, ringCheckpoint
} from '../src/index.js'
import type { CheckpointRef, MemberRecord } from '../src/index.js'

const Q = 128

/** 12 members joined at 1..12; m00..m05 left at 20..25; m12..m14 joined at 30..32. */
function churned (): MemberRecord[] {
  const records = Array.from({ length: 15 }, (_, i) => newMemberRecord({ id: `m${String(i).padStart(2, '0')}`, addrs: [], weight: 1 + (i % 2), zone: `z${i % 3}`, joinedAt: i < 12 ? i + 1 : 18 + i }))
  return records.map((r, i) => i < 6 ? leaveRecord(r, 20 + i) : r)
}

function advertising (records: readonly MemberRecord[], ref: CheckpointRef | undefined, except: readonly string[] = []): MemberRecord[] {
  return records.map((r) => r.status === 'active' && ref !== undefined && !except.includes(r.id) ? { ...r, checkpoint: ref } : r)
}

describe('checkpoint agreement', () => {
  it('round-trips a checkpoint through its canonical bytes; the hash names it', () => {
    const checkpoint = ringCheckpoint(churned(), Q, 26)
    const bytes = encodeCheckpoint(checkpoint)
    expect(decodeCheckpoint(bytes)).toEqual(checkpoint)
    expect(checkpointHash(decodeCheckpoint(bytes))).toEqual(checkpointHash(checkpoint))
    expect(checkpointHash(ringCheckpoint(churned(), Q, 25))).not.toEqual(checkpointHash(checkpoint))
    // Refused: members out of order, an owner naming no member, a layer of the wrong size.
    const wire = [1, Q, 26, [['b', 1, ''], ['a', 1, '']], new Uint8Array(2 * Q), [new Uint8Array(2 * Q), new Uint8Array(2 * Q)], 2, 2]
    expect(() => decodeCheckpoint(cbor(wire))).toThrow(/sorted/)
    const far = new Uint8Array(2 * Q)
    far[1] = 9
    expect(() => decodeCheckpoint(cbor([1, Q, 26, [['a', 1, '']], far, [new Uint8Array(2 * Q), new Uint8Array(2 * Q)], 2, 2]))).toThrow(/member 8 of 1/)
    expect(() => decodeCheckpoint(cbor([1, Q, 26, [], new Uint8Array(Q), [new Uint8Array(2 * Q), new Uint8Array(2 * Q)], 2, 2]))).toThrow(/bytes/)
  })

  it('a record advertises a checkpoint in appended fields; without one it encodes as before', () => {
    const base = newMemberRecord({ id: 'a', addrs: [], weight: 1, zone: 'z', joinedAt: 5 })
    const ref = { cut: 4, hash: new Uint8Array(32).fill(7) }
    expect(encodeRecord(base)).toEqual(cbor([1, 'a', [], 1, 'z', 0, 0, 0, 5, null]))
    expect(encodeRecord({ ...base, checkpoint: ref })).toEqual(cbor([1, 'a', [], 1, 'z', 0, 0, 0, 5, null, null, [4, ref.hash]]))
    expect(decodeRecord(encodeRecord({ ...base, checkpoint: ref }))).toEqual({ ...base, checkpoint: ref })
    const stints = [{ joinedAt: 1, leftAt: 2, weight: 1, zone: 'z' }]
    expect(decodeRecord(encodeRecord({ ...base, stints, checkpoint: ref }))).toEqual({ ...base, stints, checkpoint: ref })
    expect(() => decodeRecord(cbor([1, 'a', [], 1, 'z', 0, 0, 0, 5, null, [], [4, ref.hash]]))).toThrow()
    expect(() => decodeRecord(cbor([1, 'a', [], 1, 'z', 0, 0, 0, 5, null, null, [4, new Uint8Array(31)]]))).toThrow(/checkpoint.hash/)
  })

  it('is agreed only when every active member of weight > 0 advertises the same one', () => {
    const records = churned()
    const ref = checkpointRef(ringCheckpoint(records, Q, 26))
    expect(agreedCheckpoint(advertising(records, ref))).toEqual(ref)
    // Members that left, and light peers, have no say.
    expect(agreedCheckpoint(advertising([...records, newMemberRecord({ id: 'tab', addrs: [], weight: 0, zone: '', joinedAt: 40 })], ref))).toEqual(ref)
    // One member lagging (nothing advertised yet) or holding another: it waits for them.
    expect(agreedCheckpoint(advertising(records, ref, ['m07']))).toBeUndefined()
    const other = checkpointRef(ringCheckpoint(records, Q, 25))
    expect(agreedCheckpoint(advertising(records, ref).map((r) => r.id === 'm09' ? { ...r, checkpoint: other } : r))).toBeUndefined()
    expect(agreedCheckpoint([])).toBeUndefined()
  })

  it('proposals at different cuts converge on the smallest one every table reproduces', () => {
    const records = churned()
    // Two members whose clocks differ propose different cuts (events up to now - settle).
    const early = proposedCut(records, 1_026, 1_000, 3)
    const late = proposedCut(records, 1_040, 1_000, 3)
    expect([early, late]).toEqual([25, 32])
    // Too few records to drop at 21 (only m00, m01 left by then): no proposal.
    expect(proposedCut(records, 1_021, 1_000, 3)).toBeUndefined()
    const small = checkpointRef(ringCheckpoint(records, Q, early as number))
    // The later proposer reproduces the smaller cut from its own table and takes it up.
    expect(reproduce(records, Q, small)).toBeDefined()
    // A member whose table holds one more record before the cut (heard late) does not reproduce it.
    const late2 = newMemberRecord({ id: 'x', addrs: [], weight: 1, zone: 'z0', joinedAt: 3 })
    expect(reproduce([...records, late2], Q, small)).toBeUndefined()
  })

  it('a newcomer given the checkpoint bytes instead of the dropped records computes the same ring', () => {
    const records = churned()
    const checkpoint = ringCheckpoint(records, Q, 26)
    const ref = checkpointRef(checkpoint)
    const kept = records.filter((r) => !compactable(r, checkpoint))
    expect(kept.length).toBe(records.length - 6)
    const received = decodeCheckpoint(encodeCheckpoint(checkpoint))
    expect(checkpointHash(received)).toEqual(ref.hash)
    const full = buildRing(records, Q)
    expect(buildRing(kept, Q, received).owners).toEqual(full.owners)
    expect(buildRing(kept, Q, received).ranks).toEqual(full.ranks)
    // Without it, the kept records alone fold to another ring: why a newcomer must fetch it first.
    expect(buildRing(kept, Q).owners).not.toEqual(full.owners)
  })
})
