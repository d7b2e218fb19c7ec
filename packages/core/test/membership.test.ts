import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { LIMITS } from '../src/types.js'
import type { MemberRecord } from '../src/types.js'
import {
  InvalidRecordError,
  activeMembers,
  applyRecord,
  compareRecords,
  leaveRecord,
  leavingRecord,
  mergeTables,
  newMemberRecord,
  nextHeartbeat,
  restartRecord,
  validateRecord
} from '../src/membership.js'
import type { MemberTable } from '../src/membership.js'

const base: MemberRecord = newMemberRecord({ id: 'peer-a', addrs: ['/ip4/127.0.0.1/tcp/4001'], weight: 1, zone: 'z1', joinedAt: 1000 })

/** Records about a few ids with small counters, so that collisions and ties are common. */
const recordArb: fc.Arbitrary<MemberRecord> = fc.record({
  id: fc.constantFrom('a', 'b', 'c', 'd'),
  addrs: fc.array(fc.constantFrom('/ip4/1.2.3.4/tcp/1', '/dns4/x/tcp/443/wss'), { maxLength: 2 }),
  weight: fc.constantFrom(0, 1, 2.5),
  zone: fc.constantFrom('', 'z1', 'z2'),
  status: fc.constantFrom('active', 'leaving', 'left'),
  incarnation: fc.integer({ min: 0, max: 2 }),
  heartbeat: fc.integer({ min: 0, max: 2 }),
  joinedAt: fc.constantFrom(0, 5),
  leftAt: fc.constantFrom(10, 20)
}).map(({ leftAt, ...r }) => (r.status === 'active' ? r : { ...r, leftAt }))

const tableArb: fc.Arbitrary<MemberTable> = fc.array(recordArb, { maxLength: 8 }).map((records) =>
  records.reduce<MemberTable>((t, r) => mergeTables(t, new Map([[r.id, r]])), new Map()))

/** Tables as comparable plain data. */
function entries (table: MemberTable): Array<[string, MemberRecord]> {
  return [...table.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))
}

function table (...records: MemberRecord[]): MemberTable {
  return new Map(records.map((r) => [r.id, r]))
}

describe('compareRecords', () => {
  it('orders by incarnation, then heartbeat, then status', () => {
    expect(compareRecords({ ...base, incarnation: 2 }, { ...base, incarnation: 1, heartbeat: 99 })).toBeGreaterThan(0)
    expect(compareRecords({ ...base, heartbeat: 1 }, { ...base, heartbeat: 2 })).toBeLessThan(0)
    const leaving = { ...base, status: 'leaving' as const, leftAt: 5 }
    const left = { ...base, status: 'left' as const, leftAt: 5 }
    expect(compareRecords(leaving, base)).toBeGreaterThan(0)
    expect(compareRecords(left, leaving)).toBeGreaterThan(0)
    expect(compareRecords(base, { ...base })).toBe(0)
  })

  it('is a total order: antisymmetric, 0 only for equal content, transitive', () => {
    fc.assert(fc.property(recordArb, recordArb, recordArb, (x, y, z) => {
      // A sum, not toBe(-sign): for equal records -Math.sign(0) is -0, which Object.is tells from 0.
      expect(Math.sign(compareRecords(x, y)) + Math.sign(compareRecords(y, x))).toBe(0)
      expect(compareRecords(x, y) === 0).toBe(JSON.stringify(validateRecord(x)) === JSON.stringify(validateRecord(y)))
      if (compareRecords(x, y) <= 0 && compareRecords(y, z) <= 0) expect(compareRecords(x, z)).toBeLessThanOrEqual(0)
    }), { numRuns: 500 })
    // The case a stress run found: two equal records (seed -386529167).
    const equal = { ...base, status: 'left' as const, leftAt: 20 }
    expect(compareRecords(equal, { ...equal })).toBe(0)
    expect(Math.sign(compareRecords(equal, { ...equal })) + Math.sign(compareRecords({ ...equal }, equal))).toBe(0)
  })
})

describe('mergeTables', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(fc.property(tableArb, tableArb, tableArb, (a, b, c) => {
      expect(entries(mergeTables(a, b))).toEqual(entries(mergeTables(b, a)))
      expect(entries(mergeTables(mergeTables(a, b), c))).toEqual(entries(mergeTables(a, mergeTables(b, c))))
      expect(entries(mergeTables(a, a))).toEqual(entries(a))
    }), { numRuns: 300 })
  })

  it('keeps the laws under a bound (smallest ids kept)', () => {
    fc.assert(fc.property(tableArb, tableArb, tableArb, fc.integer({ min: 0, max: 4 }), (a, b, c, limit) => {
      const m = (x: MemberTable, y: MemberTable): MemberTable => mergeTables(x, y, limit)
      expect(entries(m(a, b))).toEqual(entries(m(b, a)))
      expect(entries(m(m(a, b), c))).toEqual(entries(m(a, m(b, c))))
      expect(m(a, b).size).toBeLessThanOrEqual(limit)
    }), { numRuns: 300 })
    expect([...mergeTables(table({ ...base, id: 'c' }), table({ ...base, id: 'a' }, { ...base, id: 'b' }), 2).keys()].sort()).toEqual(['a', 'b'])
  })

  it('holds the newest record per id', () => {
    fc.assert(fc.property(tableArb, tableArb, (a, b) => {
      const merged = mergeTables(a, b)
      for (const [id, record] of merged) {
        for (const other of [a.get(id), b.get(id)]) {
          if (other !== undefined) expect(compareRecords(record, other)).toBeGreaterThanOrEqual(0)
        }
      }
      expect(new Set(merged.keys())).toEqual(new Set([...a.keys(), ...b.keys()]))
    }), { numRuns: 200 })
  })

  it('caps the default bound at LIMITS.members', () => {
    const many = (prefix: string): MemberTable => new Map(Array.from({ length: 3000 }, (_, i) => {
      const id = `${prefix}${String(i).padStart(5, '0')}`
      return [id, { ...base, id }] as const
    }))
    const merged = mergeTables(many('x'), many('y'))
    expect(merged.size).toBe(LIMITS.members)
    expect(merged.has('x02999')).toBe(true)
    expect(merged.has(`y${String(LIMITS.members - 3000 - 1).padStart(5, '0')}`)).toBe(true)
    expect(merged.has(`y${String(LIMITS.members - 3000).padStart(5, '0')}`)).toBe(false)
  })
})

describe('applyRecord', () => {
  it('accepts a new member authored by itself', () => {
    const empty: MemberTable = new Map()
    const result = applyRecord(empty, base, 'peer-a')
    expect(result.accepted).toBe(true)
    expect(result.reason).toBeUndefined()
    expect(result.table.get('peer-a')).toEqual(base)
    expect(empty.size).toBe(0) // the input table is not mutated
  })

  it('rejects a record authored by someone else, returning the same table', () => {
    const t = table(base)
    const result = applyRecord(t, nextHeartbeat(base), 'peer-b')
    expect(result).toEqual({ table: t, accepted: false, reason: 'not-author' })
    expect(result.table).toBe(t)
  })

  it('rejects stale and equal records, accepts strictly newer ones', () => {
    const t = table(nextHeartbeat(base))
    expect(applyRecord(t, base, 'peer-a')).toEqual({ table: t, accepted: false, reason: 'stale' })
    expect(applyRecord(t, nextHeartbeat(base), 'peer-a').reason).toBe('stale')
    const newer = nextHeartbeat(nextHeartbeat(base))
    const result = applyRecord(t, newer, 'peer-a')
    expect(result.accepted).toBe(true)
    expect(result.table.get('peer-a')).toEqual(newer)
  })

  it("a 'left' record with a higher incarnation beats an 'active' one with a higher heartbeat", () => {
    let active = base
    for (let i = 0; i < 5; i++) active = nextHeartbeat(active)
    const left = leaveRecord(base, 2000)
    expect(left.heartbeat).toBeLessThan(active.heartbeat)
    const result = applyRecord(table(active), left, 'peer-a')
    expect(result.accepted).toBe(true)
    expect(result.table.get('peer-a')?.status).toBe('left')
    expect(activeMembers(result.table)).toEqual([])
    // and the older active record cannot come back
    expect(applyRecord(result.table, active, 'peer-a').reason).toBe('stale')
  })

  it('rejects invalid records without throwing', () => {
    const t = table(base)
    for (const bad of [null, 42, { ...base, weight: -1 }, { ...base, id: '' }, { ...base, incarnation: 99, status: 'left' }]) {
      const result = applyRecord(t, bad as MemberRecord, 'peer-a')
      expect(result).toEqual({ table: t, accepted: false, reason: 'invalid' })
    }
  })

  it("refuses a new member beyond LIMITS.members ('full') but still updates known ones", () => {
    const full = new Map(Array.from({ length: LIMITS.members }, (_, i) => [`p${i}`, { ...base, id: `p${i}` }] as const))
    const newcomer = { ...base, id: 'newcomer' }
    expect(applyRecord(full, newcomer, 'newcomer')).toEqual({ table: full, accepted: false, reason: 'full' })
    const update = applyRecord(full, nextHeartbeat({ ...base, id: 'p7' }), 'p7')
    expect(update.accepted).toBe(true)
    expect(update.table.size).toBe(LIMITS.members)
  })

  it('any delivery order of the same records converges to mergeTables of them all', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 12 }).chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length }))), ([records, shuffled]) => {
      const fold = (rs: MemberRecord[]): MemberTable => rs.reduce<MemberTable>((t, r) => applyRecord(t, r, r.id).table, new Map())
      const merged = records.reduce<MemberTable>((t, r) => mergeTables(t, table(r)), new Map())
      expect(entries(fold(shuffled))).toEqual(entries(fold(records)))
      expect(entries(fold(records))).toEqual(entries(merged))
    }), { numRuns: 300 })
  })
})

describe('validateRecord', () => {
  const leaving = { ...base, status: 'leaving', leftAt: 5 }
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an object', 'hello', 'record', /not an object/],
    ['array', [], 'record', /not an object/],
    ['unknown field', { ...base, admin: true }, 'admin', /unknown field 'admin'/],
    ['missing id', { ...base, id: undefined }, 'id', /'id' must be a string/],
    ['empty id', { ...base, id: '' }, 'id', /'id' must not be empty/],
    ['long id', { ...base, id: 'x'.repeat(LIMITS.idBytes + 1) }, 'id', /'id' is 129 bytes, more than 128/],
    ['id with multi-byte chars over the limit', { ...base, id: 'é'.repeat(65) }, 'id', /130 bytes/],
    ['lone surrogate', { ...base, id: 'a\uD800' }, 'id', /well-formed/],
    ['addrs not array', { ...base, addrs: '/ip4/1.2.3.4' }, 'addrs', /'addrs' must be an array/],
    ['too many addrs', { ...base, addrs: Array.from({ length: LIMITS.addrsPerMember + 1 }, (_, i) => `/a/${i}`) }, 'addrs', /33 entries, more than 32/],
    ['long addr', { ...base, addrs: ['/ok', 'x'.repeat(LIMITS.addrBytes + 1)] }, 'addrs[1]', /'addrs\[1\]' is 513 bytes/],
    ['empty addr', { ...base, addrs: [''] }, 'addrs[0]', /must not be empty/],
    ['addr not string', { ...base, addrs: [7] }, 'addrs[0]', /must be a string, got 7/],
    ['negative weight', { ...base, weight: -1 }, 'weight', /'weight' must be a finite number in \[0, 1048576\], got -1/],
    ['weight above the ring bound', { ...base, weight: 2 ** 20 + 1 }, 'weight', /got 1048577/],
    ['infinite weight', { ...base, weight: Infinity }, 'weight', /got Infinity/],
    ['NaN weight', { ...base, weight: Number.NaN }, 'weight', /got NaN/],
    ['string weight', { ...base, weight: '1' }, 'weight', /got "1"/],
    ['long zone', { ...base, zone: 'z'.repeat(LIMITS.zoneBytes + 1) }, 'zone', /'zone' is 65 bytes/],
    ['zone not string', { ...base, zone: null }, 'zone', /'zone' must be a string, got null/],
    ['bad status', { ...base, status: 'gone' }, 'status', /'status' must be 'active', 'leaving' or 'left', got "gone"/],
    ['negative incarnation', { ...base, incarnation: -1 }, 'incarnation', /'incarnation' must be a non-negative safe integer/],
    ['fractional heartbeat', { ...base, heartbeat: 1.5 }, 'heartbeat', /'heartbeat' must be a non-negative safe integer, got 1.5/],
    ['unsafe joinedAt', { ...base, joinedAt: 2 ** 53 }, 'joinedAt', /'joinedAt' must be a non-negative safe integer/],
    ['bigint heartbeat', { ...base, heartbeat: 1n }, 'heartbeat', /got a bigint/],
    ['leftAt on active', { ...base, leftAt: 5 }, 'leftAt', /must be absent when status is 'active'/],
    ['left without leftAt', { ...base, status: 'left' }, 'leftAt', /required when status is 'left'/],
    ['leaving without leftAt', { ...base, status: 'leaving' }, 'leftAt', /required when status is 'leaving'/],
    ['negative leftAt', { ...leaving, leftAt: -5 }, 'leftAt', /'leftAt' must be a non-negative safe integer/]
  ]

  for (const [name, input, field, message] of cases) {
    it(`rejects ${name}`, () => {
      let caught: unknown
      try {
        validateRecord(input)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(InvalidRecordError)
      const error = caught as InvalidRecordError
      expect(error.name).toBe('InvalidRecordError')
      expect(error.field).toBe(field)
      expect(error.message).toMatch(message)
    })
  }

  it('accepts valid records and returns only the known fields', () => {
    expect(validateRecord(base)).toEqual(base)
    expect(validateRecord(leaving)).toEqual(leaving)
    expect(validateRecord({ ...base, leftAt: undefined })).toEqual(base)
    expect('leftAt' in validateRecord({ ...base, leftAt: undefined })).toBe(false)
    expect(validateRecord({ ...base, addrs: [], zone: '', weight: 0 })).toEqual({ ...base, addrs: [], zone: '', weight: 0 })
    expect(validateRecord({ ...base, id: 'é'.repeat(64) }).id).toHaveLength(64)
    fc.assert(fc.property(recordArb, (r) => { expect(validateRecord(r)).toEqual(r) }), { numRuns: 100 })
  })
})

describe('record helpers', () => {
  it('newMemberRecord builds an active record at incarnation 0 and validates', () => {
    expect(base).toEqual({ id: 'peer-a', addrs: ['/ip4/127.0.0.1/tcp/4001'], weight: 1, zone: 'z1', status: 'active', incarnation: 0, heartbeat: 0, joinedAt: 1000 })
    expect(() => newMemberRecord({ id: '', addrs: [], weight: 1, zone: '', joinedAt: 0 })).toThrow(InvalidRecordError)
  })

  it('nextHeartbeat bumps only the heartbeat', () => {
    expect(nextHeartbeat(base)).toEqual({ ...base, heartbeat: 1 })
  })

  it('restartRecord bumps the incarnation, resets the heartbeat and applies updates', () => {
    const beat = nextHeartbeat(nextHeartbeat(base))
    const restarted = restartRecord(beat, { addrs: ['/ip4/10.0.0.1/tcp/1'], weight: 3 })
    expect(restarted).toEqual({ ...base, addrs: ['/ip4/10.0.0.1/tcp/1'], weight: 3, incarnation: 1, heartbeat: 0 })
    expect(compareRecords(restarted, beat)).toBeGreaterThan(0)
    expect(restartRecord(base)).toEqual({ ...base, incarnation: 1 })
  })

  it("restartRecord keeps 'leaving' and turns 'left' into a rejoin that beats the 'left' record", () => {
    const leavingRec = leavingRecord(base, 1500)
    expect(leavingRec).toEqual({ ...base, status: 'leaving', leftAt: 1500, incarnation: 1 })
    expect(restartRecord(leavingRec)).toEqual({ ...leavingRec, incarnation: 2 })
    const left = leaveRecord(leavingRec, 2000)
    // Finishing a leave keeps the leaving time: the ring's leave event does not move.
    expect(left).toEqual({ ...base, status: 'left', leftAt: 1500, incarnation: 2 })
    // The rejoin keeps the ended stint (its join and leave stay ring events) and joins after it.
    const rejoined = restartRecord(left)
    const stint = { joinedAt: base.joinedAt, leftAt: 1500, weight: base.weight, zone: base.zone }
    expect(rejoined).toEqual({ ...base, incarnation: 3, joinedAt: 1501, stints: [stint] })
    expect(restartRecord(left, { rejoinedAt: 9000 }).joinedAt).toBe(9000)
    expect(applyRecord(table(left), rejoined, 'peer-a').accepted).toBe(true)
  })

  it('activeMembers lists active records sorted by id', () => {
    const t = table({ ...base, id: 'c' }, leaveRecord({ ...base, id: 'b' }, 9), { ...base, id: 'a' }, leavingRecord({ ...base, id: 'd' }, 9))
    expect(activeMembers(t).map((r) => r.id)).toEqual(['a', 'c'])
    expect(activeMembers(new Map())).toEqual([])
  })
})
