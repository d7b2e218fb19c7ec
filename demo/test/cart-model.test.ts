import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import {
  CartInputError, MAX_QUANTITY, addItem, cartLines, emptyCart, mergeAllCarts, mergeCarts,
  quantityOf, removeItem, sameCart, setQuantity
} from '../src/cart-model.js'
import type { CartState, CartTag } from '../src/cart-model.js'
import { CART_LIMITS, CartDecodeError, cartToJson, decodeCart, encodeCart } from '../src/cart-codec.js'

// Few items and writers, so that random histories collide on the same lines often.
const ITEMS = ['mug', 'teapot', 'kettle', 'apron'] as const
const WRITERS = ['w0', 'w1', 'w2'] as const
const RUNS = { numRuns: 400 }

type Op =
  | { readonly kind: 'set', readonly item: string, readonly quantity: number }
  | { readonly kind: 'add', readonly item: string, readonly count: number }
  | { readonly kind: 'remove', readonly item: string }

const itemArb = fc.constantFrom(...ITEMS)
const opOn = (items: fc.Arbitrary<string>): fc.Arbitrary<Op> => fc.oneof(
  fc.record({ kind: fc.constant('set' as const), item: items, quantity: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('add' as const), item: items, count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('remove' as const), item: items })
)
const opArb = opOn(itemArb)

function apply (cart: CartState, writer: string, op: Op): CartState {
  switch (op.kind) {
    case 'set': return setQuantity(cart, writer, op.item, op.quantity)
    case 'add': return addItem(cart, writer, op.item, op.count)
    case 'remove': return removeItem(cart, op.item)
  }
}

function applyAll (cart: CartState, writer: string, ops: readonly Op[]): CartState {
  return ops.reduce((c, op) => apply(c, writer, op), cart)
}

/** One step of a history over three replicas: a local change, or replica `to` merging `from`. */
type Step = { readonly at: number, readonly op: Op } | { readonly from: number, readonly to: number }
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ at: fc.integer({ min: 0, max: 2 }), op: opArb }) },
  { weight: 1, arbitrary: fc.record({ from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) }) }
)

/** The three replicas' states after a random history: states a real cluster can reach. */
const reachableArb: fc.Arbitrary<CartState[]> = fc.array(stepArb, { maxLength: 30 }).map((steps) => {
  const replicas = [emptyCart(), emptyCart(), emptyCart()]
  for (const step of steps) {
    if ('op' in step) replicas[step.at] = apply(replicas[step.at] as CartState, WRITERS[step.at] as string, step.op)
    else replicas[step.to] = mergeCarts(replicas[step.to] as CartState, replicas[step.from] as CartState)
  }
  return replicas
})

/** Any well-formed state (every tag's dot within the context), reachable or not: same dots
 * with different quantities on two states, several tags per writer, and so on. */
const wellFormedArb: fc.Arbitrary<CartState> = fc.record({
  seen: fc.tuple(...WRITERS.map(() => fc.integer({ min: 0, max: 4 }))),
  picks: fc.array(fc.record({ item: itemArb, writer: fc.integer({ min: 0, max: 2 }), seq: fc.integer({ min: 1, max: 4 }), quantity: fc.integer({ min: 1, max: 5 }) }), { maxLength: 8 })
}).map(({ seen, picks }) => {
  const context = WRITERS.map((w, i) => [w, seen[i] as number] as const).filter(([, n]) => n > 0)
  const items = new Map<string, CartTag[]>()
  for (const p of picks) {
    const writer = WRITERS[p.writer] as string
    if (p.seq > (seen[p.writer] as number)) continue
    const tags = items.get(p.item) ?? []
    if (tags.some((t) => t.writer === writer && t.seq === p.seq)) continue
    tags.push({ writer, seq: p.seq, quantity: p.quantity })
    tags.sort((a, b) => a.writer.localeCompare(b.writer) || a.seq - b.seq)
    items.set(p.item, tags)
  }
  return { context, items }
})

const threeArb = fc.oneof(reachableArb, fc.tuple(wellFormedArb, wellFormedArb, wellFormedArb))

function expectSame (a: CartState, b: CartState): void {
  expect(cartToJson(a)).toBe(cartToJson(b))
  expect(sameCart(a, b)).toBe(true)
}

describe('cart merge is a join (state-based CRDT laws)', () => {
  it('is commutative', () => {
    fc.assert(fc.property(threeArb, ([a, b]) => { expectSame(mergeCarts(a!, b!), mergeCarts(b!, a!)) }), RUNS)
  })
  it('is associative', () => {
    fc.assert(fc.property(threeArb, ([a, b, c]) => {
      expectSame(mergeCarts(mergeCarts(a!, b!), c!), mergeCarts(a!, mergeCarts(b!, c!)))
    }), RUNS)
  })
  it('is idempotent, and merging what one already has changes nothing', () => {
    fc.assert(fc.property(threeArb, ([a, b]) => {
      expectSame(mergeCarts(a!, a!), a!)
      const ab = mergeCarts(a!, b!)
      expectSame(mergeCarts(ab, b!), ab)
    }), RUNS)
  })
  it('mergeAllCarts folds the join, the empty cart its identity', () => {
    fc.assert(fc.property(threeArb, ([a, b, c]) => {
      expectSame(mergeAllCarts([a!, b!, c!]), mergeCarts(c!, mergeCarts(b!, a!)))
      expectSame(mergeCarts(emptyCart(), a!), a!)
    }), RUNS)
  })
  it('keeps reachable states small: at most one live tag per writer per item', () => {
    fc.assert(fc.property(reachableArb, (replicas) => {
      const merged = mergeAllCarts(replicas)
      for (const tags of merged.items.values()) {
        expect(new Set(tags.map((t) => t.writer)).size).toBe(tags.length)
      }
      expect(merged.context.length).toBeLessThanOrEqual(WRITERS.length)
    }), RUNS)
  })
})

/** A shared base state, then two tabs (writers wa, wb) changing it concurrently. */
const forkArb = fc.record({
  base: reachableArb.map(mergeAllCarts),
  opsA: fc.array(opArb, { maxLength: 8 }),
  opsB: fc.array(opArb, { maxLength: 8 })
})

describe('cart merge semantics', () => {
  it('loses no concurrent add: an item one side added survives whatever the other side did', () => {
    fc.assert(fc.property(forkArb, itemArb, fc.integer({ min: 1, max: 3 }), (fork, item, count) => {
      const others = fork.opsA.filter((op) => op.item !== item)
      const a = applyAll(addItem(applyAll(fork.base, 'wa', fork.opsA), 'wa', item, count), 'wa', others)
      const b = applyAll(fork.base, 'wb', fork.opsB) // may even remove or change the same item
      const merged = mergeCarts(a, b)
      expect(quantityOf(merged, item)).toBeGreaterThanOrEqual(quantityOf(a, item))
      // and every item the other side holds after touching it is still there
      for (const op of fork.opsB) if (quantityOf(b, op.item) > 0) expect(quantityOf(merged, op.item)).toBeGreaterThan(0)
    }), RUNS)
  })

  it('resurrects no remove: removed on one side, untouched elsewhere, stays removed after any merge', () => {
    fc.assert(fc.property(forkArb, itemArb, fc.array(opArb, { maxLength: 4 }), (fork, item, staleOps) => {
      const untouched = (ops: readonly Op[]): Op[] => ops.filter((op) => op.item !== item)
      const a = applyAll(removeItem(applyAll(fork.base, 'wa', fork.opsA), item), 'wa', untouched(fork.opsA))
      const b = applyAll(fork.base, 'wb', untouched(fork.opsB))
      const stale = applyAll(fork.base, 'wc', untouched(staleOps)) // a replica that never heard of the remove
      for (const merged of [mergeCarts(a, b), mergeCarts(mergeCarts(b, stale), a), mergeAllCarts([stale, a, b, fork.base])]) {
        expect(quantityOf(merged, item)).toBe(0)
        expect(merged.items.has(item)).toBe(false)
      }
    }), RUNS)
  })

  it('merges quantities by the stated rule: untouched keeps, one side changed wins, both changed → the larger', () => {
    fc.assert(fc.property(forkArb, (fork) => {
      const a = applyAll(fork.base, 'wa', fork.opsA)
      const b = applyAll(fork.base, 'wb', fork.opsB)
      const merged = mergeCarts(a, b)
      for (const item of ITEMS) {
        const touchedA = fork.opsA.some((op) => op.item === item)
        const touchedB = fork.opsB.some((op) => op.item === item)
        const expected = touchedA && touchedB
          ? Math.max(quantityOf(a, item), quantityOf(b, item))
          : touchedA ? quantityOf(a, item) : touchedB ? quantityOf(b, item) : quantityOf(fork.base, item)
        expect(quantityOf(merged, item)).toBe(expected)
      }
    }), RUNS)
  })

  it('concrete: two tabs bump 2 → 3 and 2 → 5: the cart shows 5', () => {
    const base = setQuantity(emptyCart(), 'w0', 'mug', 2)
    const merged = mergeCarts(setQuantity(base, 'wa', 'mug', 3), setQuantity(base, 'wb', 'mug', 5))
    expect(cartLines(merged)).toEqual([{ item: 'mug', quantity: 5 }])
    expect(merged.items.get('mug')).toHaveLength(2) // both changes kept until the next edit
    expect(merged.items.get('mug')?.map((t) => t.writer)).toEqual(['wa', 'wb'])
    expect(setQuantity(merged, 'wa', 'mug', 1).items.get('mug')).toEqual([{ writer: 'wa', seq: 2, quantity: 1 }])
  })

  it('concrete: removed on one side, changed on the other: the change wins', () => {
    const base = setQuantity(emptyCart(), 'w0', 'mug', 2)
    const merged = mergeCarts(removeItem(base, 'mug'), setQuantity(base, 'wb', 'mug', 4))
    expect(quantityOf(merged, 'mug')).toBe(4)
  })

  it('rejects bad operation arguments with CartInputError', () => {
    const cart = emptyCart()
    for (const bad of [-1, 1.5, MAX_QUANTITY + 1, Number.NaN]) {
      expect(() => setQuantity(cart, 'w', 'mug', bad)).toThrow(CartInputError)
    }
    expect(() => setQuantity(cart, '', 'mug', 1)).toThrow(CartInputError)
    expect(() => addItem(cart, 'w', '', 1)).toThrow(CartInputError)
    expect(() => addItem(cart, 'w', 'mug', 0)).toThrow(CartInputError)
    expect(quantityOf(addItem(setQuantity(cart, 'w', 'mug', MAX_QUANTITY), 'w', 'mug'), 'mug')).toBe(MAX_QUANTITY)
  })
})

function decodeOutcome (bytes: Uint8Array): 'ok' | 'rejected' {
  try {
    const cart = decodeCart(bytes)
    // Whatever decodes must be a valid, canonical cart.
    expect(sameCart(decodeCart(encodeCart(cart)), cart)).toBe(true)
    return 'ok'
  } catch (error) {
    if (error instanceof CartDecodeError) return 'rejected'
    throw error
  }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('cart encoding', () => {
  it('round-trips every state through JSON bytes, canonically', () => {
    fc.assert(fc.property(threeArb, ([a]) => {
      const bytes = encodeCart(a!)
      const back = decodeCart(bytes)
      expectSame(back, a!)
      expect(encodeCart(back)).toEqual(bytes)
    }), RUNS)
  })

  it('rejects random bytes and random JSON with CartDecodeError only', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => { decodeOutcome(bytes) }), RUNS)
    fc.assert(fc.property(fc.json(), (json) => { expect(decodeOutcome(text(json))).toBe('rejected') }), RUNS)
  })

  it('rejects mutated carts: any field swapped for a random JSON value', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is mutated at any depth
    type Doc = any
    const valid: Doc = { v: 1, ctx: [['w0', 2]], items: [['mug', [['w0', 2, 3]]]] }
    const paths: Array<(doc: Doc, x: unknown) => void> = [
      (d, x) => { d.v = x }, (d, x) => { d.ctx = x }, (d, x) => { d.items = x },
      (d, x) => { d.ctx[0][0] = x }, (d, x) => { d.ctx[0][1] = x }, (d, x) => { d.items[0][0] = x },
      (d, x) => { d.items[0][1] = x }, (d, x) => { d.items[0][1][0][1] = x }, (d, x) => { d.items[0][1][0][2] = x }
    ]
    fc.assert(fc.property(fc.integer({ min: 0, max: paths.length - 1 }), fc.jsonValue(), (which, value) => {
      const doc = structuredClone(valid)
      paths[which]!(doc, value)
      decodeOutcome(text(JSON.stringify(doc)))
    }), RUNS)
  })

  it('rejects each malformed case', () => {
    const bad = [
      'not json', '[]', 'null', '{"v":2,"ctx":[],"items":[]}', '{"v":1,"items":[]}',
      '{"v":1,"ctx":[["w",0]],"items":[]}', '{"v":1,"ctx":[["w",1],["w",2]],"items":[]}',
      '{"v":1,"ctx":[["w",1]],"items":[["mug",[["w",2,1]]]]}', // dot beyond the context
      '{"v":1,"ctx":[["w",1]],"items":[["mug",[["w",1,0]]]]}', // quantity 0
      `{"v":1,"ctx":[["w",1]],"items":[["mug",[["w",1,${MAX_QUANTITY + 1}]]]]}`,
      '{"v":1,"ctx":[["w",1]],"items":[["mug",[]]]}', '{"v":{"toString":0},"ctx":[],"items":[]}', // CI seed 60086628
      '{"v":{"valueOf":0,"toString":0},"ctx":[],"items":[]}', '{"v":1,"ctx":[["w",1]],"items":[["mug",[["w",1,1],["w",1,2]]]]}',
      '{"v":1,"ctx":[["w",1]],"items":[["mug",[["w",1,1]]],["mug",[["w",1,1]]]]}',
      '{"v":1,"ctx":[["w\\u0000",1]],"items":[]}', '{"v":1,"ctx":[["w",1.5]],"items":[]}'
    ]
    for (const s of bad) expect(decodeOutcome(text(s)), s).toBe('rejected')
    expect(decodeOutcome(new Uint8Array([0xff, 0xfe, 0x7b]))).toBe('rejected')
    const tooMany = { v: 1, ctx: [['w', 1]], items: Array.from({ length: CART_LIMITS.items + 1 }, (_, i) => [`i${i}`, [['w', 1, 1]]]) }
    expect(decodeOutcome(text(JSON.stringify(tooMany)))).toBe('rejected')
    expect(decodeOutcome(new Uint8Array(CART_LIMITS.bytes + 1).fill(0x20))).toBe('rejected')
  })
})
