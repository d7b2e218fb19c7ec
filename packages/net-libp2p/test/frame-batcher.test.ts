import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { FrameBatcher, afterFlushes, defaultFlushScheduler } from '../src/frame-batcher.js'
import { FrameDecoder, encodeLength } from '../src/framing.js'

/** A batcher whose flushes run only when the test says so. */
function manual (options: { maxPieceBytes?: number, copyLimit?: number, send?: (piece: Uint8Array) => void } = {}) {
  const sent: Uint8Array[] = []
  const errors: unknown[] = []
  const queued: Array<() => void> = []
  const batcher = new FrameBatcher({
    send: options.send ?? ((piece) => { sent.push(piece) }),
    onError: (err) => { errors.push(err) },
    schedule: (flush) => { queued.push(flush) },
    ...(options.maxPieceBytes === undefined ? {} : { maxPieceBytes: options.maxPieceBytes }),
    ...(options.copyLimit === undefined ? {} : { copyLimit: options.copyLimit })
  })
  const endTurn = (): void => { for (const flush of queued.splice(0)) flush() }
  return { batcher, sent, errors, queued, endTurn }
}

function frame (length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill)
}

function push (batcher: FrameBatcher, payload: Uint8Array): void {
  batcher.push(encodeLength(payload.byteLength), payload)
}

function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.byteLength }
  return out
}

describe('FrameBatcher', () => {
  it('sends the frames of one turn as one piece, in order, after the turn', () => {
    const { batcher, sent, queued, endTurn } = manual()
    const frames = [frame(3, 1), frame(200, 2), frame(0, 3), frame(1000, 4)]
    for (const f of frames) push(batcher, f)
    expect(sent).toEqual([])
    expect(queued).toHaveLength(1)
    endTurn()
    expect(sent).toHaveLength(1)
    expect(new FrameDecoder().push(sent[0] as Uint8Array)).toEqual(frames)
    expect(batcher.pending).toBe(false)
  })

  it('passes a frame above the copy limit on uncopied, right after the piece holding its prefix', () => {
    const { batcher, sent, endTurn } = manual({ copyLimit: 100 })
    const small = frame(10, 1)
    const big = frame(101, 2)
    push(batcher, small)
    push(batcher, big)
    push(batcher, small)
    endTurn()
    expect(sent).toHaveLength(3)
    expect(sent[1]).toBe(big)
    expect(sent[0]).toEqual(concat([encodeLength(10), small, encodeLength(101)]))
    expect(new FrameDecoder().push(concat(sent))).toEqual([small, big, small])
  })

  it('starts a new turn after a flush: one schedule per turn', () => {
    const { batcher, sent, queued, endTurn } = manual()
    push(batcher, frame(5, 1))
    push(batcher, frame(5, 2))
    expect(queued).toHaveLength(1)
    endTurn()
    push(batcher, frame(5, 3))
    expect(queued).toHaveLength(1)
    endTurn()
    expect(sent).toHaveLength(2)
  })

  it('keeps every byte in order and every copied piece within the bound, whatever the frame sizes', () => {
    fc.assert(fc.property(
      fc.array(fc.nat({ max: 3000 }), { maxLength: 40 }),
      fc.integer({ min: 64, max: 4096 }),
      fc.integer({ min: 0, max: 4096 }),
      (sizes, maxPieceBytes, copyLimit) => {
        const { batcher, sent, endTurn } = manual({ maxPieceBytes, copyLimit })
        const frames = sizes.map((size, i) => frame(size, i % 251))
        for (const f of frames) push(batcher, f)
        endTurn()
        const big = new Set(frames.filter((f) => f.byteLength > Math.min(copyLimit, maxPieceBytes)))
        for (const piece of sent) {
          if (!big.has(piece)) expect(piece.byteLength).toBeLessThanOrEqual(maxPieceBytes)
          expect(piece.byteLength).toBeGreaterThan(0)
        }
        const expected = concat(frames.flatMap((f) => [encodeLength(f.byteLength), f]))
        expect(Buffer.from(concat(sent)).equals(expected)).toBe(true)
      }
    ), { numRuns: 300 })
  })

  it('reports a throwing sink once, drops the rest of the batch, and never throws', () => {
    let calls = 0
    const { batcher, errors, endTurn } = manual({
      copyLimit: 10,
      send: () => { calls++; throw new Error('stream closed') }
    })
    push(batcher, frame(5, 1))
    push(batcher, frame(50, 2))
    expect(() => { endTurn() }).not.toThrow()
    expect(calls).toBe(1)
    expect(errors).toHaveLength(1)
    expect(batcher.pending).toBe(false)
  })

  it('sends nothing after discard, and ignores later frames', () => {
    const { batcher, sent, endTurn } = manual()
    push(batcher, frame(5, 1))
    batcher.discard()
    push(batcher, frame(5, 2))
    endTurn()
    batcher.flush()
    expect(sent).toEqual([])
  })

  it('flushes at once on demand (before the stream closes)', () => {
    const { batcher, sent, endTurn } = manual()
    push(batcher, frame(5, 1))
    batcher.flush()
    expect(sent).toHaveLength(1)
    endTurn()
    expect(sent).toHaveLength(1)
  })
})

describe('the default end-of-turn scheduler', () => {
  it('runs every flush of the turn once, then the after-flush tasks', async () => {
    const order: string[] = []
    afterFlushes(() => { order.push('after') })
    defaultFlushScheduler(() => { order.push('flush 1') })
    defaultFlushScheduler(() => {
      order.push('flush 2')
      // A flush writing to a corked socket schedules its uncork during the turn.
      afterFlushes(() => { order.push('after 2') })
    })
    expect(order).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual(['flush 1', 'flush 2', 'after', 'after 2'])
  })

  it('keeps going when a task throws', async () => {
    const order: string[] = []
    defaultFlushScheduler(() => { throw new Error('boom') })
    defaultFlushScheduler(() => { order.push('next') })
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual(['next'])
  })
})
