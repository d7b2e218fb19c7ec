import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Placement } from '@ringstore/core'
import {
  addPutResult, dotFromContext, hintTargetOf, initPut, planCoordination, planReplication, putVerdict, resolveQuorum
} from '../src/coordinator/put-core.js'
import { InvalidOptionsError } from '../src/errors.js'

const primary = (peer: string): Placement => ({ peer, role: 'primary' })
const fallback = (peer: string, hintFor: string): Placement => ({ peer, role: 'fallback', hintFor })

describe('planCoordination', () => {
  it('mints when this peer is a primary placement', () => {
    expect(planCoordination('b', false, [primary('a'), primary('b'), primary('c')])).toEqual({ kind: 'mint', reason: 'primary' })
  })

  it('mints on a light peer whatever the placements', () => {
    expect(planCoordination('tab', true, [primary('a'), primary('b')])).toEqual({ kind: 'mint', reason: 'light' })
  })

  it('forwards to the reachable primaries, in order, when it is not one of them', () => {
    expect(planCoordination('x', false, [primary('a'), fallback('x', 'b'), primary('c')])).toEqual({ kind: 'forward', to: ['a', 'c'] })
  })

  it('a fallback placement of itself is no reason to mint', () => {
    expect(planCoordination('x', false, [fallback('x', 'a'), primary('b')])).toEqual({ kind: 'forward', to: ['b'] })
  })

  it('mints itself when no primary is reachable (always writeable)', () => {
    expect(planCoordination('x', false, [fallback('y', 'a'), fallback('z', 'b')])).toEqual({ kind: 'mint', reason: 'no-primary' })
    expect(planCoordination('x', false, [])).toEqual({ kind: 'mint', reason: 'no-primary' })
  })
})

describe('planReplication', () => {
  it('sends to every other placement; fallbacks keep their hintFor', () => {
    const placements = [primary('a'), fallback('d', 'b'), primary('c')]
    const plan = planReplication('a', ['a', 'b', 'c'], placements)
    expect(plan.sends).toEqual([fallback('d', 'b'), primary('c')])
    expect(plan.localHints).toEqual([])
  })

  it('keeps a local hint for a primary nobody stands in for', () => {
    // Three members, N=3, c down: no fallback exists.
    const plan = planReplication('a', ['a', 'b', 'c'], [primary('a'), primary('b')])
    expect(plan.sends).toEqual([primary('b')])
    expect(plan.localHints).toEqual(['c'])
  })

  it('a coordinator that is itself the fallback keeps the hint locally', () => {
    const plan = planReplication('x', ['a', 'b', 'c'], [fallback('x', 'a'), primary('b'), primary('c')])
    expect(plan.sends).toEqual([primary('b'), primary('c')])
    expect(plan.localHints).toEqual(['a'])
  })

  it('an offline light peer keeps hints for the whole preference list', () => {
    const plan = planReplication('tab', ['a', 'b', 'c'], [])
    expect(plan.sends).toEqual([])
    expect(plan.localHints).toEqual(['a', 'b', 'c'])
  })

  it('every primary is reached directly, through a fallback or through a local hint', () => {
    const peers = ['a', 'b', 'c', 'd', 'e', 'f']
    fc.assert(fc.property(
      fc.subarray(peers, { minLength: 1, maxLength: 4 }),
      fc.constantFrom(...peers, 'self'),
      fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      (preference, self, up) => {
        const placements: Placement[] = []
        const spare = peers.filter((p) => !preference.includes(p) && up[peers.indexOf(p)] === true)
        for (const p of preference) {
          if (p === self || up[peers.indexOf(p)] === true) placements.push(primary(p))
          else if (spare.length > 0) placements.push(fallback(spare.shift() as string, p))
        }
        const plan = planReplication(self, preference, placements)
        const reached = new Set([self, ...plan.localHints, ...plan.sends.map(hintTargetOf)])
        expect(preference.every((p) => reached.has(p))).toBe(true)
        expect(plan.sends.some((s) => s.peer === self)).toBe(false)
        expect(plan.localHints).not.toContain(self)
      }
    ), { numRuns: 300 })
  })
})

describe('put quorum', () => {
  it('is enough at w acks, counting the own durable copy', () => {
    let s = initPut(2, 2)
    expect(putVerdict(s)).toEqual({ kind: 'wait' })
    s = addPutResult(s, true)
    expect(putVerdict(s)).toEqual({ kind: 'ok', acks: 2 })
  })

  it('w = 1 succeeds at once: the local copy is the quorum', () => {
    expect(putVerdict(initPut(1, 2))).toEqual({ kind: 'ok', acks: 1 })
    expect(putVerdict(initPut(1, 0))).toEqual({ kind: 'ok', acks: 1 })
  })

  it('fails as soon as the outstanding sends cannot make w', () => {
    let s = initPut(3, 2)
    s = addPutResult(s, false)
    expect(putVerdict(s)).toEqual({ kind: 'fail', acks: 1, required: 3 })
  })

  it('fails immediately when w exceeds the reachable placements', () => {
    expect(putVerdict(initPut(2, 0))).toEqual({ kind: 'fail', acks: 1, required: 2 })
    expect(putVerdict(initPut(3, 1))).toEqual({ kind: 'fail', acks: 1, required: 3 })
  })

  it('waits while failures still leave room', () => {
    let s = initPut(2, 3)
    s = addPutResult(s, false)
    s = addPutResult(s, false)
    expect(putVerdict(s)).toEqual({ kind: 'wait' })
    s = addPutResult(s, true)
    expect(putVerdict(s)).toEqual({ kind: 'ok', acks: 2 })
  })

  it('ignores results beyond the sends', () => {
    const s = addPutResult(addPutResult(initPut(2, 1), true), true)
    expect(s.acks).toBe(2)
    expect(s.pending).toBe(0)
  })

  it('the verdict matches counting, for every order of results', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { maxLength: 6 }), (w, results) => {
      let s = initPut(w, results.length)
      let first: ReturnType<typeof putVerdict> = putVerdict(s)
      for (const ok of results) {
        if (first.kind !== 'wait') break
        s = addPutResult(s, ok)
        first = putVerdict(s)
      }
      const acks = 1 + results.filter(Boolean).length
      if (acks >= w) expect(first.kind).toBe('ok')
      else expect(first).toMatchObject({ kind: 'fail', required: w })
    }), { numRuns: 300 })
  })
})

describe('resolveQuorum', () => {
  const defaults = { n: 3, r: 2, w: 2 }
  it('takes the defaults and per-request overrides', () => {
    expect(resolveQuorum(defaults, {})).toEqual({ n: 3, r: 2, w: 2 })
    expect(resolveQuorum(defaults, { w: 1 })).toEqual({ n: 3, r: 2, w: 1 })
    expect(resolveQuorum(defaults, { n: 1 })).toEqual({ n: 1, r: 1, w: 1 })
  })

  it('refuses r or w above n, zero, fractions', () => {
    expect(() => resolveQuorum(defaults, { w: 4 })).toThrow(InvalidOptionsError)
    expect(() => resolveQuorum(defaults, { r: 0 })).toThrow(InvalidOptionsError)
    expect(() => resolveQuorum(defaults, { n: 2.5 })).toThrow(InvalidOptionsError)
    expect(() => resolveQuorum(defaults, { n: 1000 })).toThrow(InvalidOptionsError)
  })
})

describe('dotFromContext', () => {
  it('takes the coordinator actor with the newest epoch', () => {
    expect(dotFromContext([['a:1', 4], ['a:2', 1], ['ab:9', 7], ['b:1', 3]], 'a')).toEqual(['a:2', 1])
    expect(dotFromContext([['b:1', 3]], 'a')).toBeUndefined()
  })
})
