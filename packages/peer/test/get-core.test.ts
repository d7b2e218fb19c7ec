import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { clockEqual, emptyClock, syncAll, update } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import {
  addFailure, addReply, getVerdict, initGet, mergeReplies, outstanding, readAnswer, readRepairTargets, repairPlan
} from '../src/coordinator/get-core.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const write = (clock: DvvSet, value: string | null, actor: string, ts = 1): DvvSet =>
  update(clock, [], { value: value === null ? null : bytes(value), ts }, actor)

describe('get quorum', () => {
  it('answers after r replies (not-found replies count)', () => {
    let s = initGet(2, ['a', 'b', 'c'])
    s = addReply(s, 'a', null)
    expect(getVerdict(s)).toEqual({ kind: 'wait' })
    s = addReply(s, 'b', write(emptyClock(), 'x', 'p:1'))
    expect(getVerdict(s)).toEqual({ kind: 'ok', replies: 2 })
    expect(outstanding(s)).toBe(1)
  })

  it('fails once too many replicas failed', () => {
    let s = initGet(2, ['a', 'b', 'c'])
    s = addFailure(s, 'a')
    expect(getVerdict(s)).toEqual({ kind: 'wait' })
    s = addFailure(s, 'b')
    expect(getVerdict(s)).toEqual({ kind: 'fail', replies: 0, required: 2 })
  })

  it('fails at once when r exceeds the replicas asked', () => {
    expect(getVerdict(initGet(2, ['self']))).toEqual({ kind: 'fail', replies: 0, required: 2 })
    expect(getVerdict(initGet(1, []))).toEqual({ kind: 'fail', replies: 0, required: 1 })
  })

  it('ignores duplicates, late answers after a failure and strangers', () => {
    let s = initGet(2, ['a', 'b'])
    s = addReply(s, 'a', null)
    s = addReply(s, 'a', write(emptyClock(), 'x', 'p:1'))
    s = addFailure(s, 'b')
    s = addReply(s, 'b', null)
    s = addReply(s, 'zz', null)
    expect(s.replies.get('a')).toBeNull()
    expect(s.replies.size).toBe(1)
    expect(getVerdict(s)).toEqual({ kind: 'fail', replies: 1, required: 2 })
  })
})

describe('reconciliation', () => {
  it('merges concurrent replies into siblings with a context covering both', () => {
    const x = write(emptyClock(), 'x', 'p:1', 1)
    const y = write(emptyClock(), 'y', 'q:1', 2)
    let s = initGet(2, ['a', 'b'])
    s = addReply(addReply(s, 'a', x), 'b', y)
    const answer = readAnswer(mergeReplies(s))
    expect(answer.found).toBe(true)
    expect(answer.values.map((v) => new TextDecoder().decode(v)).sort()).toEqual(['x', 'y'])
    expect(answer.context).toEqual([['p:1', 1], ['q:1', 1]])
  })

  it('a newer version supersedes an older one', () => {
    const v1 = write(emptyClock(), 'old', 'p:1')
    const v2 = update(v1, [['p:1', 1]], { value: bytes('new'), ts: 2 }, 'p:1')
    const s = addReply(addReply(initGet(2, ['a', 'b']), 'a', v1), 'b', v2)
    expect(readAnswer(mergeReplies(s)).values).toEqual([bytes('new')])
  })

  it('no version anywhere: not found, empty context', () => {
    const s = addReply(addReply(initGet(2, ['a', 'b']), 'a', null), 'b', null)
    expect(mergeReplies(s)).toBeNull()
    expect(readAnswer(null)).toEqual({ found: false, values: [], siblings: [], context: [], clock: null })
  })

  it('only tombstones: not found, but the context and siblings are kept', () => {
    const v = write(emptyClock(), 'x', 'p:1')
    const deleted = update(v, [['p:1', 1]], { value: null, ts: 5 }, 'p:1')
    const answer = readAnswer(deleted)
    expect(answer.found).toBe(false)
    expect(answer.values).toEqual([])
    expect(answer.siblings).toEqual([{ value: null, ts: 5 }])
    expect(answer.context).toEqual([['p:1', 2]])
  })
})

describe('readRepairTargets', () => {
  it('names every replica that answered something other than the merge', () => {
    const v1 = write(emptyClock(), 'old', 'p:1')
    const v2 = update(v1, [['p:1', 1]], { value: bytes('new'), ts: 2 }, 'p:1')
    const replies = new Map<string, DvvSet | null>([['a', v2], ['b', v1], ['c', null]])
    expect(readRepairTargets(replies, v2).sort()).toEqual(['b', 'c'])
  })

  it('repairs both sides of a concurrent pair', () => {
    const x = write(emptyClock(), 'x', 'p:1')
    const y = write(emptyClock(), 'y', 'q:1')
    let s = initGet(2, ['a', 'b'])
    s = addReply(addReply(s, 'a', x), 'b', y)
    expect(readRepairTargets(s.replies, mergeReplies(s)).sort()).toEqual(['a', 'b'])
  })

  it('nothing to repair when all agree or nobody has the key', () => {
    const v = write(emptyClock(), 'x', 'p:1')
    expect(readRepairTargets(new Map([['a', v], ['b', v]]), v)).toEqual([])
    expect(readRepairTargets(new Map([['a', null]]), null)).toEqual([])
  })
})

describe('repairPlan', () => {
  const v1 = write(emptyClock(), 'old', 'p:1')
  const v2 = update(v1, [['p:1', 1]], { value: bytes('new'), ts: 2 }, 'p:1')
  const x = write(emptyClock(), 'x', 'q:1', 3)
  // Structurally equal to v2 but a different object, as replies from two replicas are.
  const v2copy = update(write(emptyClock(), 'old', 'p:1'), [['p:1', 1]], { value: bytes('new'), ts: 2 }, 'p:1')
  const versions: Array<DvvSet | null> = [null, v1, v2, v2copy, x]

  it('all replicas equal: that version, nobody to repair', () => {
    const plan = repairPlan(new Map([['a', v2], ['b', v2copy], ['c', v2]]))
    expect(plan.targets).toEqual([])
    expect(plan.merged !== null && clockEqual(plan.merged, v2)).toBe(true)
  })

  it('nobody has the key: nothing to merge or repair', () => {
    expect(repairPlan(new Map([['a', null], ['b', null]]))).toEqual({ merged: null, targets: [] })
  })

  it('a replica without the key is repaired even when the others agree', () => {
    expect(repairPlan(new Map([['a', null], ['b', v2], ['c', v2copy]])).targets).toEqual(['a'])
  })

  it('agrees with the full merge and readRepairTargets on any replies', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...versions), { minLength: 1, maxLength: 5 }), (picked) => {
      const replies = new Map(picked.map((clock, i) => [`r${i}`, clock] as const))
      const clocks = picked.filter((c): c is DvvSet => c !== null)
      const merged = clocks.length === 0 ? null : syncAll(clocks)
      const plan = repairPlan(replies)
      expect(plan.merged === null ? merged === null : merged !== null && clockEqual(plan.merged, merged)).toBe(true)
      expect(plan.targets).toEqual(readRepairTargets(replies, merged))
    }), { numRuns: 500 })
  })
})
