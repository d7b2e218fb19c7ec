/**
 * A member that left and rejoins keeps its ended stints in its record (membership.ts
 * restartRecord), so the ring's fold keeps their join and leave events and the rejoin is one
 * more event at the end: it moves the rejoiner's share and nothing else (issue 13, item 4).
 */
import { describe, expect, it } from 'vitest'
import { buildRing, countMoved, leaveRecord, newMemberRecord, ownedPartitions, restartRecord } from '../src/index.js'
import type { MemberRecord } from '../src/index.js'
import { LIMITS } from '../src/types.js'

const Q = 1024

function members (count: number): MemberRecord[] {
  return Array.from({ length: count }, (_, i) => newMemberRecord({ id: `m${String(i).padStart(2, '0')}`, addrs: [], weight: 1, zone: `z${i % 3}`, joinedAt: i }))
}

function replace (records: readonly MemberRecord[], next: MemberRecord): MemberRecord[] {
  return records.map((r) => r.id === next.id ? next : r)
}

describe('rejoin', () => {
  it('a member that left and rejoins moves only its share, cycle after cycle', () => {
    let records = members(30)
    let time = 100
    for (let cycle = 0; cycle < LIMITS.stints; cycle++) {
      const id = `m${String((cycle * 7) % 30).padStart(2, '0')}`
      const held = records.find((r) => r.id === id) as MemberRecord
      records = replace(records, leaveRecord(held, time++))
      const afterLeave = buildRing(records, Q)
      const rejoined = restartRecord(records.find((r) => r.id === id) as MemberRecord, { rejoinedAt: time++ })
      records = replace(records, rejoined)
      const afterRejoin = buildRing(records, Q)
      const share = ownedPartitions(afterRejoin, id).length
      expect(share).toBeGreaterThan(0)
      expect(countMoved(afterLeave, afterRejoin)).toBe(share)
      // Other members join after it, and it may leave again: its stints stay in order.
      expect(rejoined.stints?.at(-1)?.leftAt).toBeLessThan(rejoined.joinedAt)
    }
  })

  it('without its stints (a rejoin that keeps its first join time) the fold replays and far more moves', () => {
    // The behaviour before stints, measured as the contrast: the leave event vanishes, so
    // every event after it is refolded with the member present.
    // m03 leaves at 40, ten members join after that (at 41..50), then m03 rejoins.
    const all = members(40)
    const records = [...all.slice(0, 30), ...all.slice(30).map((r, i) => ({ ...r, joinedAt: 41 + i }))]
    const left = leaveRecord(records[3] as MemberRecord, 40)
    const afterLeave = buildRing(replace(records, left), Q)
    const { leftAt: _leftAt, ...stillJoined } = left
    const oldRejoin = buildRing(replace(records, { ...stillJoined, status: 'active', incarnation: left.incarnation + 1 }), Q)
    const newRejoin = buildRing(replace(records, restartRecord(left, { rejoinedAt: 51 })), Q)
    const share = ownedPartitions(newRejoin, 'm03').length
    expect(countMoved(afterLeave, newRejoin)).toBe(share)
    expect(countMoved(afterLeave, oldRejoin)).toBeGreaterThan(3 * share)
  })

  it('past LIMITS.stints rejoins the oldest stint is dropped; the record stays valid', () => {
    let record = members(1)[0] as MemberRecord
    for (let t = 10; t < 10 + 4 * (LIMITS.stints + 2); t += 4) record = restartRecord(leaveRecord(record, t), { rejoinedAt: t + 1 })
    expect(record.stints).toHaveLength(LIMITS.stints)
    expect(record.status).toBe('active')
  })
})
