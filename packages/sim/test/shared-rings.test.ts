import { describe, expect, it } from 'vitest'
import { buildRing, leaveRecord, newMemberRecord, preferenceList } from '@ringstore/core'
import type { MemberRecord, Ring } from '@ringstore/core'
import { SharedRings } from '../src/shared-rings.js'

const Q = 64

function member (i: number, joinedAt = 1000 + i): MemberRecord {
  return newMemberRecord({ id: `p${i}`, addrs: [], weight: 1, zone: i % 3 === 0 ? 'a' : 'b', joinedAt })
}

/** What a peer routes by: every partition's preference list. */
function lists (ring: Ring): Array<readonly string[]> {
  return Array.from({ length: Q }, (_, p) => preferenceList(ring, p, 3))
}

describe('SharedRings', () => {
  it('gives every peer the ring buildRing gives, whatever order the peers learn the tables in', () => {
    const shared = new SharedRings(Q)
    const a = shared.source()
    const b = shared.source()
    const tables = Array.from({ length: 12 }, (_, n) => Array.from({ length: n + 1 }, (_, i) => member(i)))
    // a learns every join in order; b lags, then jumps; the last table has a leave in it.
    for (const table of tables) expect(lists(a.update(table))).toEqual(lists(buildRing(table, Q)))
    for (const table of [tables[3], tables[11], tables[5]] as MemberRecord[][]) expect(lists(b.update(table))).toEqual(lists(buildRing(table, Q)))
    const withLeave = (tables[11] as MemberRecord[]).map((r) => r.id === 'p4' ? leaveRecord(r, 5000) : r)
    expect(lists(b.update(withLeave))).toEqual(lists(buildRing(withLeave, Q)))
    expect(lists(a.update(withLeave))).toEqual(lists(buildRing(withLeave, Q)))
  })

  it('returns the same object while a peer\'s ring-affecting fields are unchanged, a new one when they change', () => {
    const shared = new SharedRings(Q)
    const a = shared.source()
    const table = [member(0), member(1), member(2)]
    const first = a.update(table)
    // A heartbeat or a new incarnation does not touch the ring: the same object (no ring change for the peer).
    expect(a.update(table.map((r) => ({ ...r, heartbeat: r.heartbeat + 5, incarnation: r.incarnation + 1 })))).toBe(first)
    const moved = a.update([member(0), member(1), member(2, 9999)])
    expect(moved).not.toBe(first)
    expect(lists(moved)).toEqual(lists(buildRing([member(0), member(1), member(2, 9999)], Q)))
    // Another peer holding the first table is handed the ring computed for it already.
    expect(shared.source().update(table)).toBe(first)
  })

  it('tells apart tables that differ only in a rejoined member\'s earlier stints', () => {
    const shared = new SharedRings(Q)
    const table = Array.from({ length: 6 }, (_, i) => member(i))
    const rejoined = table.map((r) => r.id === 'p1' ? { ...r, joinedAt: 3000, stints: [{ joinedAt: 1001, leftAt: 2000, weight: 1, zone: 'b' }] } : r)
    const plain = table.map((r) => r.id === 'p1' ? { ...r, joinedAt: 3000 } : r)
    expect(lists(buildRing(rejoined, Q))).not.toEqual(lists(buildRing(plain, Q)))
    expect(lists(shared.source().update(plain))).toEqual(lists(buildRing(plain, Q)))
    expect(lists(shared.source().update(rejoined))).toEqual(lists(buildRing(rejoined, Q)))
  })

  it('finds the ring of a table handed over in another order, shrunk or with records replaced in place', () => {
    const shared = new SharedRings(Q)
    const a = shared.source()
    const table = Array.from({ length: 8 }, (_, i) => member(i))
    a.update(table)
    const reversed = [...table].reverse()
    expect(lists(a.update(reversed))).toEqual(lists(buildRing(table, Q)))
    const shrunk = table.slice(0, 5)
    expect(lists(a.update(shrunk))).toEqual(lists(buildRing(shrunk, Q)))
    const replaced = shrunk.map((r) => r.id === 'p2' ? leaveRecord(r, 7000) : r)
    expect(lists(a.update(replaced))).toEqual(lists(buildRing(replaced, Q)))
    // Back to a table seen before: the ring computed for it then.
    expect(a.update(table)).toBe(shared.source().update([...table]))
  })
})
