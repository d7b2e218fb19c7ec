/**
 * The garbage-collection pause histogram (http/gc-pauses.ts): the collections a burst of
 * short-lived allocations causes are counted, by kind, with their pause time.
 */
import { constants } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { GcPauses } from '../src/http/gc-pauses.js'

let pauses: GcPauses | undefined
afterEach(() => { pauses?.stop() })

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const countOf = (p: GcPauses, kind: string): number => p.series().find((s) => s.labels.kind === kind)?.count ?? 0

describe('gc pauses', () => {
  it('counts the collections that allocations cause', async () => {
    pauses = new GcPauses()
    pauses.start()
    expect(countOf(pauses, 'minor')).toBe(0)
    let keep = 0
    for (let i = 0; i < 200_000; i++) keep += new Array(64).fill(i).length // ~100 MB of garbage
    expect(keep).toBeGreaterThan(0)
    await sleep(50) // observer entries are delivered asynchronously
    const minor = countOf(pauses, 'minor')
    expect(minor).toBeGreaterThan(0)
    expect(pauses.series().find((s) => s.labels.kind === 'minor')?.sum).toBeGreaterThan(0)
    pauses.stop()
    for (let i = 0; i < 200_000; i++) keep += new Array(64).fill(i).length
    await sleep(50)
    expect(countOf(pauses, 'minor')).toBe(minor)
  })

  it('files each pause under its kind, in seconds', () => {
    pauses = new GcPauses()
    pauses.observe({ duration: 12, detail: { kind: constants.NODE_PERFORMANCE_GC_MAJOR } })
    pauses.observe({ duration: 0.4, detail: { kind: constants.NODE_PERFORMANCE_GC_MINOR } })
    const major = pauses.series().find((s) => s.labels.kind === 'major')
    expect([major?.count, major?.sum]).toEqual([1, 0.012])
    expect(major?.buckets.find(([le]) => le === 0.02)?.[1]).toBe(1)
    expect(major?.buckets.find(([le]) => le === 0.01)?.[1]).toBe(0)
    expect(countOf(pauses, 'minor')).toBe(1)
  })
})
