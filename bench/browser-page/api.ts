/**
 * What the bench page (main.ts, in Chromium) offers the orchestrator (bench/browser.ts, in
 * Node) on `window.ringstoreBench`. Latencies are raw samples in ms (performance.now() in
 * the page); the orchestrator summarises them.
 */

export interface OfflineRun {
  /** One sequential W=1 put at a time: latency of each. */
  readonly sequentialMs: number[]
  /** The same puts with `inFlight` outstanding at once: total time. */
  readonly concurrent: { readonly puts: number, readonly inFlight: number, readonly ms: number }
  readonly hintsPending: number
  readonly keys: number
}

export interface IdbRow {
  /** Which write path (see main.ts for each). */
  readonly path: string
  readonly puts: number
  readonly ms: number
  /** Per-put latency samples (sequential paths only). */
  readonly latencyMs?: number[]
}

export interface JoinResult {
  readonly id: string
  readonly ms: number
  readonly reachableDaemons: number
}

export interface PageStatus {
  readonly hintsPending: number
  readonly keys: number
  readonly connections: number
  readonly reachable: number
}

export interface BenchPage {
  /** Fresh tab named `name`, nobody to reach (no bootstrap); `warmup` unmeasured puts first. */
  offlineAlone(opts: { name: string, puts: number, warmup: number, inFlight: number, valueBytes: number }): Promise<OfflineRun>
  /** idb-keyval set per put vs batched paths, each in a fresh database. */
  idbCompare(opts: { puts: number, valueBytes: number }): Promise<IdbRow[]>
  /** Start the tab of the sync run and wait until it sees `daemons` reachable daemons. */
  join(opts: { name: string, bootstrap: string[], daemons: number, timeoutMs: number }): Promise<JoinResult>
  /** goOffline, wait for no connection, then `puts` sequential W=1 puts to fresh keys. */
  offlineWrites(opts: { puts: number, valueBytes: number, prefix: string }): Promise<OfflineRun>
  /** faults.goOnline() (redial the bootstrap daemons); resolves when the dials settled. */
  goOnline(): Promise<number>
  status(): PageStatus
  /** Stop every peer the page started and delete their databases. */
  cleanup(): Promise<void>
}

declare global {
  interface Window { ringstoreBench?: BenchPage }
}
