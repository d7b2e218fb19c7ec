import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Placement } from '@ringstore/core'
import {
  addLocalResult, addPutResult, hintTargetOf, initFallbackPool, initPut, planCoordination, planReplication, putVerdict,
  replaceFailed
} from '../src/coordinator/put-core.js'
import type { FallbackPool, PutState } from '../src/coordinator/put-core.js'

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

describe('put quorum (the local write already durable)', () => {
  it('is enough at w acks, counting the own durable copy', () => {
    let s = initPut(2, 2, 'durable')
    expect(putVerdict(s)).toEqual({ kind: 'wait' })
    s = addPutResult(s, true)
    expect(putVerdict(s)).toEqual({ kind: 'ok', acks: 2 })
  })

  it('w = 1 succeeds at once: the local copy is the quorum', () => {
    expect(putVerdict(initPut(1, 2, 'durable'))).toEqual({ kind: 'ok', acks: 1 })
    expect(putVerdict(initPut(1, 0, 'durable'))).toEqual({ kind: 'ok', acks: 1 })
  })

  it('fails as soon as the outstanding sends cannot make w', () => {
    let s = initPut(3, 2, 'durable')
    s = addPutResult(s, false)
    expect(putVerdict(s)).toEqual({ kind: 'fail', acks: 1, required: 3 })
  })

  it('fails immediately when w exceeds the reachable placements', () => {
    expect(putVerdict(initPut(2, 0, 'durable'))).toEqual({ kind: 'fail', acks: 1, required: 2 })
    expect(putVerdict(initPut(3, 1, 'durable'))).toEqual({ kind: 'fail', acks: 1, required: 3 })
  })

  it('waits while failures still leave room', () => {
    let s = initPut(2, 3, 'durable')
    s = addPutResult(s, false)
    s = addPutResult(s, false)
    expect(putVerdict(s)).toEqual({ kind: 'wait' })
    s = addPutResult(s, true)
    expect(putVerdict(s)).toEqual({ kind: 'ok', acks: 2 })
  })

  it('ignores results beyond the sends', () => {
    const s = addPutResult(addPutResult(initPut(2, 1, 'durable'), true), true)
    expect(s.acks).toBe(2)
    expect(s.pending).toBe(0)
  })

  it('the verdict matches counting, for every order of results', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { maxLength: 6 }), (w, results) => {
      let s = initPut(w, results.length, 'durable')
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

describe('the local write in the put verdict', () => {
  it('a quorum failure is not decided while the local write is pending', () => {
    let s = initPut(3, 2)
    s = addPutResult(addPutResult(s, false), false)
    expect(putVerdict(s)).toEqual({ kind: 'wait' })
    expect(s.phase).toBe('collecting')
    // Even when no ack could come from anywhere.
    expect(putVerdict(initPut(2, 0))).toEqual({ kind: 'wait' })
  })

  it('is decided once the local write settles, durable or failed', () => {
    const s = addPutResult(addPutResult(initPut(3, 2), true), false)
    const durable = addLocalResult(s, true)
    expect(putVerdict(durable)).toEqual({ kind: 'fail', acks: 2, required: 3 })
    expect(durable).toMatchObject({ local: 'durable', phase: 'decided' })
    const failed = addLocalResult(s, false)
    expect(putVerdict(failed)).toEqual({ kind: 'fail', acks: 1, required: 3 })
    expect(failed).toMatchObject({ local: 'failed', phase: 'decided', failures: 2 })
  })

  it('an ok verdict may come before the local write settles, when w remote acks suffice', () => {
    let s = initPut(2, 2)
    s = addPutResult(s, true)
    expect(s.phase).toBe('collecting')
    s = addPutResult(s, true)
    expect(putVerdict(s)).toEqual({ kind: 'ok', acks: 2 })
    expect(s).toMatchObject({ local: 'pending', phase: 'decided' })
    // The local write still counts afterwards, and the put stays decided.
    s = addLocalResult(s, true)
    expect(s).toMatchObject({ acks: 3, local: 'durable', phase: 'decided' })
  })

  it('the durable local write is one ack: w = 1 is met by it alone', () => {
    const s = initPut(1, 2)
    expect(putVerdict(s)).toEqual({ kind: 'wait' })
    expect(putVerdict(addLocalResult(s, true))).toEqual({ kind: 'ok', acks: 1 })
  })

  it('a failed local write is no ack: w must come from the replicas', () => {
    let s = addLocalResult(initPut(2, 2), false)
    expect(putVerdict(s)).toEqual({ kind: 'wait' })
    s = addPutResult(addPutResult(s, true), true)
    expect(putVerdict(s)).toEqual({ kind: 'ok', acks: 2 })
    expect(putVerdict(addPutResult(addLocalResult(initPut(2, 1), false), true))).toEqual({ kind: 'fail', acks: 1, required: 2 })
  })

  it('only the first report of the local write counts', () => {
    const s = addLocalResult(initPut(3, 2), true)
    expect(addLocalResult(s, true)).toBe(s)
    expect(addLocalResult(s, false)).toBe(s)
  })

  it('property: never fail while the local write is pending; decided once, for good, as counting says', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.boolean(), { maxLength: 5 }),
      fc.boolean(),
      fc.nat(),
      (w, results, localDurable, localAtSeed) => {
        const localAt = localAtSeed % (results.length + 1)
        let s = initPut(w, results.length)
        let first: ReturnType<typeof putVerdict> = putVerdict(s)
        const check = (): void => {
          const verdict = putVerdict(s)
          if (s.local === 'pending') expect(verdict.kind).not.toBe('fail')
          if (first.kind === 'wait') first = verdict
          else expect(verdict.kind).toBe(first.kind)
          expect(s.phase).toBe(first.kind === 'wait' ? 'collecting' : 'decided')
        }
        check()
        results.forEach((acked, i) => {
          if (i === localAt) { s = addLocalResult(s, localDurable); check() }
          s = addPutResult(s, acked)
          check()
        })
        if (localAt === results.length) { s = addLocalResult(s, localDurable); check() }
        const acks = results.filter(Boolean).length + (localDurable ? 1 : 0)
        expect(s.acks).toBe(acks)
        expect(first.kind).toBe(acks >= w ? 'ok' : 'fail')
      }
    ), { numRuns: 500 })
  })
})

describe('replaceFailed (a placement went silent mid-write)', () => {
  const walk = ['a', 'b', 'c', 'd', 'e']
  const all = (): boolean => true

  it('n=2 w=2: the next peer along the ring stands in with a hint for the silent primary', () => {
    const pool = initFallbackPool('a', () => walk, ['a', 'b'], [primary('b')])
    const state = initPut(2, 1, 'durable')
    const up = (peer: string): boolean => peer !== 'b'
    const replacement = replaceFailed(state, pool, primary('b'), up)
    expect(replacement?.placement).toEqual(fallback('c', 'b'))
    expect(replacement?.state).toEqual({ w: 2, acks: 1, failures: 1, pending: 1, local: 'durable', phase: 'collecting' })
    expect(putVerdict(replacement?.state as PutState)).toEqual({ kind: 'wait' })
    expect(putVerdict(addPutResult(replacement?.state as PutState, true))).toEqual({ kind: 'ok', acks: 2 })
  })

  it('skips unreachable peers, primaries and peers already sent to', () => {
    const pool = initFallbackPool('a', () => walk, ['a', 'b', 'c'], [primary('b'), fallback('d', 'c')])
    expect(replaceFailed(initPut(3, 2, 'durable'), pool, primary('b'), all)?.placement).toEqual(fallback('e', 'b'))
    expect(replaceFailed(initPut(3, 2, 'durable'), pool, primary('b'), (p) => p !== 'e')).toBeUndefined()
  })

  it('a silent fallback is replaced with a hint for the primary it stood for', () => {
    const pool = initFallbackPool('a', () => walk, ['a', 'b'], [fallback('c', 'b')])
    expect(replaceFailed(initPut(2, 1, 'durable'), pool, fallback('c', 'b'), all)?.placement).toEqual(fallback('d', 'b'))
  })

  it('nothing to do once w is met, or when nothing is pending', () => {
    const pool = initFallbackPool('a', () => walk, ['a', 'b', 'c'], [primary('b'), primary('c')])
    expect(replaceFailed(addPutResult(initPut(2, 2, 'durable'), true), pool, primary('c'), all)).toBeUndefined()
    expect(replaceFailed(initPut(2, 0, 'durable'), pool, primary('c'), all)).toBeUndefined()
  })

  it('walks the ring only when a stand-in is needed, and at most once per put', () => {
    let walks = 0
    const counted = (): readonly string[] => { walks++; return walk }
    let pool = initFallbackPool('a', counted, ['a', 'b', 'c'], [primary('b'), primary('c')])
    let state = initPut(3, 2, 'durable')
    expect(replaceFailed(addPutResult(initPut(1, 2, 'durable'), true), pool, primary('b'), all)).toBeUndefined()
    expect(walks).toBe(0)
    for (const failed of [primary('b'), primary('c')]) {
      const replacement = replaceFailed(state, pool, failed, all)
      expect(replacement).toBeDefined()
      ;({ pool, state } = replacement as { pool: FallbackPool, state: PutState })
    }
    expect(walks).toBe(1)
  })

  it('never picks the same peer twice across replacements, and the pool runs dry', () => {
    let pool = initFallbackPool('a', () => walk, ['a', 'b'], [primary('b')])
    let state = initPut(2, 1, 'durable')
    const picked: string[] = []
    let failed = primary('b')
    for (;;) {
      const replacement = replaceFailed(state, pool, failed, all)
      if (replacement === undefined) break
      ;({ pool, state } = replacement)
      picked.push(replacement.placement.peer)
      expect(replacement.placement.hintFor).toBe('b')
      failed = replacement.placement
    }
    expect(picked).toEqual(['c', 'd', 'e'])
    expect(putVerdict(addPutResult(state, false))).toEqual({ kind: 'fail', acks: 1, required: 2 })
  })

  it('property: stand-ins are distinct, never self, a primary or an earlier target; acks never exceed distinct peers', () => {
    const peers = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
    fc.assert(fc.property(
      fc.shuffledSubarray(peers, { minLength: 2 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.constantFrom<'acked' | 'refused' | 'silent'>('acked', 'refused', 'silent'), { minLength: 1, maxLength: 12 }),
      fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
      (ring, n, wAsked, outcomes, up) => {
        const preference = ring.slice(0, n)
        const self = preference[0] as string
        const w = Math.min(wAsked, preference.length)
        const sends = preference.slice(1).map(primary)
        let pool: FallbackPool = initFallbackPool(self, () => ring, preference, sends)
        let state = initPut(w, sends.length, 'durable')
        const reachable = (p: string): boolean => up[peers.indexOf(p)] === true
        const queue = [...sends]
        const targets = sends.map((p) => p.peer)
        const ackedBy = new Set<string>([self])
        let next = 0
        while (queue.length > 0) {
          const placement = queue.shift() as Placement
          const outcome = outcomes[next++ % outcomes.length]
          const replacement = outcome === 'silent' ? replaceFailed(state, pool, placement, reachable) : undefined
          if (replacement === undefined) {
            if (outcome === 'acked') ackedBy.add(placement.peer)
            state = addPutResult(state, outcome === 'acked')
            continue
          }
          const stand = replacement.placement
          expect(stand.role).toBe('fallback')
          expect(stand.hintFor).toBe(hintTargetOf(placement))
          expect(preference).not.toContain(stand.peer)
          expect(targets).not.toContain(stand.peer)
          expect(reachable(stand.peer)).toBe(true)
          targets.push(stand.peer)
          ;({ pool, state } = replacement)
          queue.push(stand)
        }
        expect(state.pending).toBe(0)
        expect(state.acks).toBe(ackedBy.size)
        expect(putVerdict(state).kind).toBe(state.acks >= w ? 'ok' : 'fail')
      }
    ), { numRuns: 300 })
  })
})
