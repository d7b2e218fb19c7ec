import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { LIMITS, clockEqual, context, emptyClock, siblings, syncAll, update } from '@ringstore/core'
import type { DvvSet, Placement } from '@ringstore/core'
import {
  addCorrupt, addFailure, addReply, closeRepairWindow, corruptFailures, getVerdict, initGet, mergeReplies, outstanding, planRead, readAnswer, readRepairTargets,
  repairPlan, repairTargets, withOwn, withOwnCorrupt
} from '../src/coordinator/get-core.js'
import type { GetState, ReadingPeer } from '../src/coordinator/get-core.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const write = (clock: DvvSet, value: string | null, actor: string, ts = 1): DvvSet =>
  update(clock, [], { value: value === null ? null : bytes(value), ts }, actor)

describe('planRead', () => {
  const primary = (peer: string): Placement => ({ peer, role: 'primary' })
  const fallback = (peer: string, hintFor: string): Placement => ({ peer, role: 'fallback', hintFor })
  const peer = (here: Partial<ReadingPeer> = {}): ReadingPeer => ({ id: 'me', light: false, noOwners: false, holdsVersion: false, ...here })

  it('a placement counts its own replica and asks the others; digests when it holds a version', () => {
    const placements = [primary('a'), primary('me'), fallback('c', 'b')]
    expect(planRead(peer(), placements)).toEqual({ remote: [primary('a'), fallback('c', 'b')], selfCounts: true, mergesOwn: false, digests: false })
    expect(planRead(peer({ holdsVersion: true }), placements)).toMatchObject({ selfCounts: true, mergesOwn: false, digests: true })
  })

  it('a peer that is no placement, holds nothing and is neither light nor alone only asks', () => {
    expect(planRead(peer(), [primary('a'), primary('b')])).toEqual({ remote: [primary('a'), primary('b')], selfCounts: false, mergesOwn: false, digests: false })
  })

  it('a non-placement holding a version (a former owner) merges it without counting it, and reads digests', () => {
    expect(planRead(peer({ holdsVersion: true }), [primary('a'), primary('b')])).toMatchObject({ selfCounts: false, mergesOwn: true, digests: true })
  })

  it('a light peer merges its local replica, even empty, and never counts it; with no owners at all a peer counts its own', () => {
    expect(planRead(peer({ light: true }), [primary('a')])).toEqual({ remote: [primary('a')], selfCounts: false, mergesOwn: true, digests: false })
    expect(planRead(peer({ light: true, holdsVersion: true }), [primary('a')])).toMatchObject({ selfCounts: false, mergesOwn: true, digests: true })
    expect(planRead(peer({ noOwners: true }), [])).toEqual({ remote: [], selfCounts: true, mergesOwn: false, digests: false })
    expect(planRead(peer({ light: true, noOwners: true }), [])).toEqual({ remote: [], selfCounts: true, mergesOwn: false, digests: false })
  })
})

describe('an own version merged but not counted', () => {
  const mine = write(emptyClock(), 'mine', 'tab:1')
  const theirs = write(emptyClock(), 'theirs', 'p:1')

  it('is no reply for R, is merged into the answer, and read repair updates it', () => {
    let s = withOwn(initGet(1, ['a', 'b']), 'me', mine)
    expect(getVerdict(s).kind).toBe('wait')
    s = addReply(s, 'a', theirs)
    expect(getVerdict(s)).toEqual({ kind: 'ok', replies: 1 })
    expect(readAnswer(mergeReplies(s)).values.map((v) => new TextDecoder().decode(v)).sort()).toEqual(['mine', 'theirs'])
    expect(repairTargets(s).targets.sort()).toEqual(['a', 'me'])
  })

  it('an empty own replica (a light peer that never held the key) is a repair target, not a reply', () => {
    let s = withOwn(initGet(2, ['a', 'b']), 'me', null)
    s = addFailure(addReply(s, 'a', theirs), 'b')
    expect(getVerdict(s)).toEqual({ kind: 'fail', replies: 1, required: 2 })
    expect(repairTargets(s).targets).toEqual(['me'])
  })

  it('a corrupt own copy is repaired but is not the reason a read failed', () => {
    let s = withOwnCorrupt(initGet(1, ['a']), 'me')
    s = addFailure(s, 'a')
    expect(corruptFailures(s)).toBe(0)
    s = addCorrupt(initGet(1, ['a']), 'a')
    expect(corruptFailures(s)).toBe(1)
  })
})

describe('get phases', () => {
  const v = write(emptyClock(), 'x', 'p:1')

  it('collecting, answered at r replies, repaired once everyone answered', () => {
    let s = initGet(2, ['a', 'b', 'c'])
    expect(s.phase).toBe('collecting')
    s = addReply(s, 'a', v)
    expect(s.phase).toBe('collecting')
    s = addReply(s, 'b', v)
    expect(s.phase).toBe('answered')
    s = addFailure(s, 'c')
    expect(s.phase).toBe('repaired')
  })

  it('a failed quorum is answered too (with the failure), and repaired once nobody is left', () => {
    let s = addFailure(addFailure(initGet(2, ['a', 'b', 'c']), 'a'), 'b')
    expect(getVerdict(s).kind).toBe('fail')
    expect(s.phase).toBe('answered')
    s = addReply(s, 'c', v)
    expect(s.phase).toBe('repaired')
  })

  it('the last reply can answer and repair at once; nothing to ask is both at init', () => {
    expect(addReply(initGet(1, ['a']), 'a', v).phase).toBe('repaired')
    expect(initGet(1, []).phase).toBe('repaired')
  })

  it('the closing repair window repairs an answered get, and nothing else', () => {
    const collecting = initGet(2, ['a', 'b', 'c'])
    expect(closeRepairWindow(collecting)).toBe(collecting)
    const answered = addReply(initGet(1, ['a', 'b']), 'a', v)
    expect(closeRepairWindow(answered).phase).toBe('repaired')
  })

  it('replies after the repair change nothing: it was planned from the replies then', () => {
    const repaired = closeRepairWindow(addReply(initGet(1, ['a', 'b']), 'a', v))
    expect(addReply(repaired, 'b', null)).toBe(repaired)
    expect(addFailure(repaired, 'b')).toBe(repaired)
  })

  it('property: answered exactly from the first decisive verdict on, repaired once answered and nobody is outstanding', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.constantFrom<'reply' | 'fail'>('reply', 'fail'), { maxLength: 5 }),
      (r, outcomes) => {
        const peers = outcomes.map((_, i) => `p${i}`)
        let s: GetState = initGet(r, peers)
        let decided = getVerdict(s).kind !== 'wait'
        const check = (): void => {
          if (!decided && getVerdict(s).kind !== 'wait') decided = true
          const expected = !decided ? 'collecting' : outstanding(s) === 0 ? 'repaired' : 'answered'
          expect(s.phase).toBe(expected)
        }
        check()
        outcomes.forEach((outcome, i) => {
          s = outcome === 'reply' ? addReply(s, peers[i] as string, null) : addFailure(s, peers[i] as string)
          check()
        })
      }
    ), { numRuns: 300 })
  })
})

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

  it('hands out at most 64 context entries, every value\'s among them, however many records the version keeps', () => {
    // 200 writers, each superseding the last, and one concurrent blind write: 201 entries.
    let clock = emptyClock()
    for (let i = 1; i <= 200; i++) clock = update(clock, context(clock), { value: bytes(`v${i}`), ts: i * 1_000 }, `w${String(i).padStart(3, '0')}`)
    clock = write(clock, 'blind', 'x', 5)
    expect(clock.entries).toHaveLength(201)
    const answer = readAnswer(clock)
    expect(answer.context).toHaveLength(LIMITS.clockEntries)
    const named = answer.context.map(([actor]) => actor)
    expect(named).toContain('w200')
    expect(named).toContain('x')
    // A write with it supersedes both values the read returned.
    const next = update(clock, answer.context, { value: bytes('merged'), ts: 300_000 }, 'me')
    expect(siblings(next).map((s) => s.value)).toEqual([bytes('merged')])
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

describe('a replica with a corrupt copy (addCorrupt)', () => {
  const v = write(emptyClock(), 'good', 'p:1')

  it('counts as failed for R, never as a reply of "no version"', () => {
    let s = initGet(2, ['self', 'a', 'b'])
    s = addCorrupt(s, 'self')
    expect(s.replies.size).toBe(0)
    expect([...s.failed]).toEqual(['self'])
    expect(getVerdict(s)).toEqual({ kind: 'wait' })
    s = addReply(addReply(s, 'a', v), 'b', v)
    expect(getVerdict(s)).toEqual({ kind: 'ok', replies: 2 })
    expect(readAnswer(mergeReplies(s)).found).toBe(true)
  })

  it('is a read-repair target whenever another replica answered a version', () => {
    const s = addReply(addCorrupt(initGet(1, ['self', 'a']), 'self'), 'a', v)
    expect(repairTargets(s).targets).toEqual(['self'])
    expect(repairTargets(addCorrupt(initGet(1, ['self', 'a']), 'self')).targets).toEqual([])
    // Answered once: a later claim about the same peer changes nothing.
    expect(addCorrupt(s, 'a')).toBe(s)
  })

  it('R out of reach because of it: a failed verdict with the corrupt replica on record', () => {
    const s = addFailure(addCorrupt(initGet(2, ['self', 'a', 'b']), 'self'), 'a')
    expect(getVerdict(s)).toEqual({ kind: 'fail', replies: 0, required: 2 })
    expect([...s.corrupt]).toEqual(['self'])
  })
})
