/**
 * The writes of W1, whatever carries them (HTTP to a daemon, or `Peer.put` in the peer's
 * own process): the 262-byte cart value, a burst with a fixed number in flight, and an
 * open loop at a fixed rate. `write(i)` stores key `k{i}` and resolves true on an ack.
 */
import { Samples, round3 } from './stats.js'

/** W1 (bench/README.md): "each value a 262-byte shopping-cart JSON string carrying its write time". */
export const CART_BYTES = 262
/** W1c's slowest writes kept in the results, in time order. */
export const SLOWEST_KEPT = 10

export type WriteFn = (i: number) => Promise<boolean>

export function cartValue (i: number, writtenAt: number): Buffer {
  const cart = {
    cart: `cart-${i}`,
    user: `user-${i % 997}`,
    items: [{ sku: 'sku-10423', qty: 2, cents: 1999 }, { sku: 'sku-20771', qty: 1, cents: 4550 }],
    currency: 'EUR',
    writtenAt
  }
  const bare = JSON.stringify({ ...cart, pad: '' })
  const missing = CART_BYTES - Buffer.byteLength(bare)
  if (missing < 0) throw new Error(`cart JSON already ${Buffer.byteLength(bare)} bytes`)
  return Buffer.from(JSON.stringify({ ...cart, pad: 'x'.repeat(missing) }))
}

/** Keys `from..from+count-1`, `inFlight` at a time; ack latencies and failures. */
export async function burst (write: WriteFn, from: number, count: number, inFlight: number): Promise<{ samples: Samples, errors: number }> {
  const samples = new Samples()
  let errors = 0
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = from + next++
      const since = performance.now()
      if (await write(i)) samples.add(performance.now() - since)
      else errors++
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker))
  return { samples, errors }
}

export interface OpenLoopResult {
  readonly samples: Samples
  readonly errors: number
  /** The slowest writes: when each was due (ms after the first) and its latency. */
  readonly slowest: Array<{ dueAtMs: number, ms: number }>
  /** Wall-clock time (ms since the epoch) of the first write, to match daemon logs. */
  readonly startedAtEpochMs: number
}

/** Key i is due at t0 + i/rate; its latency counts from then (no coordinated omission). */
export async function openLoop (write: WriteFn, from: number, count: number, rate: number): Promise<OpenLoopResult> {
  const samples = new Samples()
  const timeline: Array<{ dueAtMs: number, ms: number }> = []
  let errors = 0
  const pending: Array<Promise<void>> = []
  const t0 = performance.now()
  const startedAtEpochMs = Math.round(performance.timeOrigin + t0)
  for (let i = 0; i < count; i++) {
    const due = t0 + i * 1000 / rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(write(from + i).then((ok) => {
      if (!ok) {
        errors++
        return
      }
      const ms = performance.now() - due
      samples.add(ms)
      timeline.push({ dueAtMs: round3(due - t0), ms: round3(ms) })
    }))
  }
  await Promise.all(pending)
  const slowest = timeline.sort((x, y) => y.ms - x.ms).slice(0, SLOWEST_KEPT).sort((x, y) => x.dueAtMs - y.dueAtMs)
  return { samples, errors, slowest, startedAtEpochMs }
}
