/**
 * Counters and latency samples the engine keeps about itself. Plain numbers: the daemon
 * renders them as Prometheus text, the simulator reads them into its summary.
 */
import { LATENCY_SAMPLES_MAX } from './constants.js'
import type { HintQuota } from './errors.js'

export type Operation = 'get' | 'put' | 'delete'

export interface PeerMetrics {
  readonly requests: Record<Operation, number>
  readonly quorumFailures: Record<Operation, number>
  /** Latency observations in ms per operation, for histograms (bounded ring buffer). */
  readonly latencyMs: Record<Operation, number[]>
  hintsStored: number
  hintsDelivered: number
  /** Hints refused because they would pass a quota (data/hint-store.ts), per quota. */
  readonly hintsRefused: Record<HintQuota, number>
  /** Hints deleted for being older than config.hintMaxAgeMs (cluster/hint-expiry.ts). */
  hintsExpired: number
  readRepairs: number
  /** Digest reads that found a replica's version different from ours (it was then fetched). */
  readDigestMismatches: number
  antiEntropyKeysRepaired: number
  antiEntropyRounds: number
  partitionsTransferred: number
  tombstonesCollected: number
  invalidFrames: number
  /** Requests refused because the caller's role may not call that protocol (protocol/router.ts). */
  forbiddenRequests: number
  /**
   * Reads that met a stored record failing its checksum or decoding (never served: a get
   * counts that replica as failed, and the record is repaired from the others).
   */
  corruptRecords: number
  /**
   * Keys whose merge could not be stored (a merged version past the storage bound, core's
   * LIMITS.storedSiblings / MAX_CLOCK_BYTES): skipped, logged, the rest of their batch kept.
   */
  mergesRefused: number
  /**
   * Records of recent supersessions (young value-less clock entries, core versions-prune.ts)
   * truncation dropped from a stored version past core's LIMITS.youngClockEntries: each is a
   * superseded value a lagging replica may bring back as a sibling.
   */
  youngRecordsDropped: number
  /** siblingsOnRead[k] = reads that returned k siblings. */
  readonly siblingsOnRead: Record<number, number>
}


export function createMetrics (): PeerMetrics {
  return {
    requests: { get: 0, put: 0, delete: 0 },
    quorumFailures: { get: 0, put: 0, delete: 0 },
    latencyMs: { get: [], put: [], delete: [] },
    hintsStored: 0,
    hintsDelivered: 0,
    hintsRefused: { total: 0, 'per-target': 0 },
    hintsExpired: 0,
    readRepairs: 0,
    readDigestMismatches: 0,
    antiEntropyKeysRepaired: 0,
    antiEntropyRounds: 0,
    partitionsTransferred: 0,
    tombstonesCollected: 0,
    invalidFrames: 0,
    forbiddenRequests: 0,
    corruptRecords: 0,
    mergesRefused: 0,
    youngRecordsDropped: 0,
    siblingsOnRead: {}
  }
}

export function observeLatency (metrics: PeerMetrics, op: Operation, ms: number): void {
  const samples = metrics.latencyMs[op]
  if (samples.length >= LATENCY_SAMPLES_MAX) samples.splice(0, samples.length - LATENCY_SAMPLES_MAX + 1)
  samples.push(ms)
}
