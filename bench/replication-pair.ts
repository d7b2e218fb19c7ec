/**
 * What the W1/W2 runs over HTTP (replication.ts) and the embedded-writer W1
 * (w1-embedded.ts) share about their pair of peers A and B: the quorum, how B's holdings
 * are polled, how long a catch-up may take, and the background counters read around a
 * phase.
 */
import { metricsOf, pollUntil, statusOf } from './daemons.js'
import type { Daemon } from './daemons.js'

/** N=2, W=2: an ack means the write is durable on both A and B. */
export const PAIR_QUORUM = { n: 2, r: 1, w: 2 } as const
/**
 * How often B's /status is read while waiting for it to hold the keys. A /status costs
 * the daemon ~0.5 ms of CPU (4 × a no-op route), so during the W1 burst B is polled
 * gently (±25 ms on a run of seconds); W2 lasts ~100 ms and needs the finer grain.
 */
export const W1_POLL_MS = 25
/** Longest wait for replication / catch-up before the figure is reported as timed out. */
export const CATCH_UP_TIMEOUT_MS = 120_000

/** Resolves with the ms waited once B's local key count reaches `keys`. */
export async function bHolds (b: Daemon, keys: number, timeoutMs: number): Promise<number> {
  return pollUntil(`B to hold ${keys} keys`, async () => (await statusOf(b)).keys >= keys, timeoutMs, W1_POLL_MS)
}

/** Anti-entropy and hint counters of A and B, to see what ran in the background of a phase. */
export async function backgroundOf (a: Daemon, b: Daemon): Promise<Record<string, number>> {
  const wanted = ['ringstore_antientropy_rounds_total', 'ringstore_antientropy_keys_repaired_total', 'ringstore_read_repairs_total', 'ringstore_rpc_timeouts_total']
  const out: Record<string, number> = {}
  for (const [name, d] of [['a', a], ['b', b]] as const) {
    const m = await metricsOf(d).catch(() => ({} as Record<string, number>))
    for (const key of wanted) out[`${name}.${key.replace('ringstore_', '')}`] = m[key] ?? NaN
  }
  return out
}
