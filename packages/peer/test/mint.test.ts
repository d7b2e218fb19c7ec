import { describe, expect, it } from 'vitest'
import { LIMITS, context, liveSiblings, siblingCount } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import { mint } from '../src/data/mint.js'
import { TooManySiblingsError } from '../src/errors.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))
const values = (clock: DvvSet): Array<string | null> => liveSiblings(clock).map((s) => text(s.value)).sort()
const put = (value: string | null, ctx: DvvSet | null = null, ts = 1) => ({ context: ctx === null ? [] : context(ctx), value: value === null ? null : bytes(value), ts })

describe('mint', () => {
  it('a first write gets the dot [actor, 1]', () => {
    const { next, dot } = mint(null, put('a'), 'p1:1')
    expect(dot).toEqual(['p1:1', 1])
    expect(values(next)).toEqual(['a'])
  })

  it('numbers the new dot past the actor\'s counter in the stored version', () => {
    const first = mint(null, put('a'), 'p1:1').next
    const second = mint(first, put('b', first), 'p1:1')
    expect(second.dot).toEqual(['p1:1', 2])
    // Another actor starts its own count; the stored entries stay.
    const third = mint(second.next, put('c', second.next), 'p2:1')
    expect(third.dot).toEqual(['p2:1', 1])
    expect(third.next.entries.find((e) => e.actor === 'p1:1')?.counter).toBe(2)
  })

  it('a write with the context it read supersedes what that context covers', () => {
    const first = mint(null, put('a'), 'p1:1').next
    const concurrent = mint(first, put('b'), 'p2:1').next
    expect(values(concurrent)).toEqual(['a', 'b'])
    const merged = mint(concurrent, put('ab', concurrent), 'p1:1')
    expect(values(merged.next)).toEqual(['ab'])
  })

  it('a blind write (empty context) is concurrent with what is stored: both stay', () => {
    const first = mint(null, put('a'), 'p1:1').next
    const blind = mint(first, put('b'), 'p1:1')
    expect(values(blind.next)).toEqual(['a', 'b'])
    expect(blind.dot).toEqual(['p1:1', 2])
  })

  it('a tombstone is minted like a value', () => {
    const first = mint(null, put('a'), 'p1:1').next
    const deleted = mint(first, put(null, first, 5), 'p1:1')
    expect(liveSiblings(deleted.next)).toEqual([])
    expect(siblingCount(deleted.next)).toBe(1)
    expect(deleted.dot).toEqual(['p1:1', 2])
  })

  it('refuses a write that would leave more siblings than the limit, at the limit it passes', () => {
    let clock: DvvSet | null = null
    for (let i = 0; i < 3; i++) clock = mint(clock, put(`v${i}`), `w${i}:1`, 3).next
    expect(siblingCount(clock as DvvSet)).toBe(3)
    expect(() => mint(clock, put('one too many'), 'x:1', 3)).toThrow(TooManySiblingsError)
    // With the context, the write replaces the siblings instead of adding one.
    expect(siblingCount(mint(clock, put('merged', clock), 'x:1', 3).next)).toBe(1)
  })

  it('defaults to the engine-wide sibling limit', () => {
    let clock: DvvSet | null = null
    for (let i = 0; i < LIMITS.siblings; i++) clock = mint(clock, put(`v${i}`), `w${i}:1`).next
    const error = (() => { try { mint(clock, put('x'), 'x:1'); return undefined } catch (e) { return e } })()
    expect(error).toBeInstanceOf(TooManySiblingsError)
    expect(error).toMatchObject({ siblings: LIMITS.siblings + 1, limit: LIMITS.siblings })
  })
})
