/**
 * The summary of many seeds, as the CLI prints it. Deterministic: it holds only what the
 * runs computed (no wall-clock time), so the same seeds give byte-identical summaries.
 */
import { FAILURE_VIOLATIONS_SHOWN } from './constants.js'
import { MEMBER_ONLY } from './rogue.js'
import type { RogueStats } from './rogue.js'
import type { RunOptions, RunResult } from './run.js'
import { replayCommand } from './run.js'

export interface Summary {
  readonly seeds: number
  readonly firstSeed: number
  readonly lastSeed: number
  readonly peers: number
  readonly faults: string
  readonly ops: number
  readonly acknowledged: number
  readonly failed: number
  /** Of the failed, writes refused at the sibling cap (not violations). */
  readonly atSiblingCap: number
  readonly pending: number
  /** Acknowledged writes some replica lost: the checker's lost-write violations. */
  readonly lost: number
  /** Acknowledged writes superseded later whose actor truncation dropped from a full clock: not lost. */
  readonly truncated: number
  readonly resurrected: number
  readonly violations: number
  readonly maxConvergenceRounds: number
  /** convergenceRounds[k] = seeds that converged after k anti-entropy rounds. */
  readonly convergenceRounds: Record<number, number>
  /** siblingHistogram[k] = keys (summed over seeds) whose converged version had k siblings. */
  readonly siblingHistogram: Record<number, number>
  /** The most entries any final replica's clock held, over the seeds. */
  readonly maxClockEntries: number
  readonly faultsInjected: number
  readonly faultCounts: Record<string, number>
  readonly tombstonesCollected: number
  readonly virtualMs: number
  /** Requests the peers sent by type, summed over seeds (the background work shows here). */
  readonly requests: Record<string, number>
  /** Member records moved by `members` replies (pulls and gossip rounds). */
  readonly memberRecords: Record<string, number>
  readonly failingSeeds: number[]
  /** Rogue runs: the rogue's requests, summed over seeds. */
  readonly rogue?: RogueTotals
}

export interface RogueTotals {
  readonly sent: number
  /** Request types sent at least once, out of every type there is. */
  readonly types: number
  readonly memberOnly: number
  readonly forbidden: number
  readonly unavailable: number
  readonly unanswered: number
  readonly served: number
  readonly ownWrites: number
  readonly forgedWrites: number
  readonly ownValuesHeld: number
}

function rogueTotals (results: readonly RunResult[]): RogueTotals | undefined {
  const stats = results.flatMap((r) => r.rogue === undefined ? [] : [r.rogue])
  if (stats.length === 0) return undefined
  const sum = (f: (s: RogueStats & { ownValuesHeld: number }) => number): number => stats.reduce((n, s) => n + f(s), 0)
  const types = new Set(stats.flatMap((s) => Object.keys(s.sent)))
  return {
    sent: sum((s) => Object.values(s.sent).reduce((a, b) => a + b, 0)),
    types: types.size,
    memberOnly: sum((s) => [...MEMBER_ONLY].reduce((n, type) => n + (s.sent[type] ?? 0), 0)),
    forbidden: sum((s) => s.forbidden),
    unavailable: sum((s) => s.unavailable),
    unanswered: sum((s) => s.unanswered),
    served: sum((s) => s.served),
    ownWrites: sum((s) => s.ownWrites),
    forgedWrites: sum((s) => s.forgedWrites),
    ownValuesHeld: sum((s) => s.ownValuesHeld)
  }
}

function add (into: Record<number, number>, key: number, count: number): void {
  into[key] = (into[key] ?? 0) + count
}

export function summarize (results: readonly RunResult[], options: Pick<RunOptions, 'peers' | 'faults'>): Summary {
  const rounds: Record<number, number> = {}
  const siblings: Record<number, number> = {}
  const faultCounts: Record<string, number> = {}
  const requests: Record<string, number> = {}
  const memberRecords: Record<string, number> = {}
  for (const r of results) {
    for (const [type, n] of Object.entries(r.requests)) requests[type] = (requests[type] ?? 0) + n
    for (const [type, n] of Object.entries(r.memberRecords ?? {})) memberRecords[type] = (memberRecords[type] ?? 0) + n
    for (const [kind, n] of Object.entries(r.faultCounts)) faultCounts[kind] = (faultCounts[kind] ?? 0) + n
    add(rounds, r.convergenceRounds, 1)
    for (const [k, n] of Object.entries(r.siblingHistogram)) add(siblings, Number(k), n)
  }
  const sum = (f: (r: RunResult) => number): number => results.reduce((s, r) => s + f(r), 0)
  const rogue = rogueTotals(results)
  return {
    seeds: results.length,
    firstSeed: results[0]?.seed ?? 0,
    lastSeed: results.at(-1)?.seed ?? 0,
    peers: options.peers,
    faults: options.faults,
    ops: sum((r) => r.ops),
    acknowledged: sum((r) => r.acknowledged),
    failed: sum((r) => r.failed),
    atSiblingCap: sum((r) => r.atSiblingCap),
    pending: sum((r) => r.pending),
    lost: sum((r) => r.lost),
    truncated: sum((r) => r.truncated),
    resurrected: sum((r) => r.resurrected),
    violations: sum((r) => r.violations.length),
    maxConvergenceRounds: results.reduce((m, r) => Math.max(m, r.convergenceRounds), 0),
    convergenceRounds: rounds,
    siblingHistogram: siblings,
    maxClockEntries: results.reduce((m, r) => Math.max(m, r.maxClockEntries ?? 0), 0),
    faultsInjected: sum((r) => r.faultsInjected),
    faultCounts: Object.fromEntries(Object.entries(faultCounts).sort(([a], [b]) => a < b ? -1 : 1)),
    tombstonesCollected: sum((r) => r.tombstonesCollected),
    virtualMs: sum((r) => r.virtualMs),
    requests,
    memberRecords,
    failingSeeds: results.filter((r) => r.violations.length > 0).map((r) => r.seed),
    ...(rogue === undefined ? {} : { rogue })
  }
}

const histogramText = (h: Record<number, number>): string =>
  Object.entries(h).sort(([a], [b]) => Number(a) - Number(b)).map(([k, n]) => `${k}:${n}`).join(' ') || '-'

export function formatSummary (s: Summary): string {
  return [
    `seeds ${s.seeds} (${s.firstSeed}..${s.lastSeed})  peers ${s.peers}  faults ${s.faults} (${s.faultsInjected} injected)`,
    `cluster events: ${Object.entries(s.faultCounts).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`,
    `ops ${s.ops}  acknowledged writes ${s.acknowledged}  failed ${s.failed}${s.atSiblingCap > 0 ? ` (${s.atSiblingCap} at the sibling cap)` : ''}  unanswered (coordinator crashed) ${s.pending}`,
    `lost ${s.lost}  resurrected ${s.resurrected}  violations ${s.violations}  (superseded writes whose actor clock truncation forgot: ${s.truncated})`,
    `convergence rounds: max ${s.maxConvergenceRounds}  seeds by rounds ${histogramText(s.convergenceRounds)}`,
    `siblings per key (converged): ${histogramText(s.siblingHistogram)}  clock entries per key: max ${s.maxClockEntries}`,
    `tombstones collected after the check: ${s.tombstonesCollected}`,
    `virtual time ${(s.virtualMs / 1000).toFixed(1)} s`,
    `requests per peer and virtual second: ${requestRates(s)}`,
    `member records moved per peer and virtual second, by request: ${rates(s, s.memberRecords)}`,
    ...(s.rogue === undefined ? [] : [rogueText(s.rogue)]),
    s.failingSeeds.length === 0 ? 'OK: every invariant held' : `FAILED seeds: ${s.failingSeeds.join(' ')}`
  ].join('\n')
}

/** The most sent request types, per peer and virtual second (a peer's background work costs what it owns: this must not grow with the cluster). */
function requestRates (s: Summary): string {
  return rates(s, s.requests)
}

/** The largest counts by type, per peer and virtual second. */
function rates (s: Summary, counts: Record<string, number>): string {
  const peerSeconds = s.peers * s.virtualMs / 1000
  if (peerSeconds === 0) return '-'
  return Object.entries(counts).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).slice(0, REQUEST_TYPES_SHOWN)
    .map(([type, n]) => `${type} ${(n / peerSeconds).toFixed(2)}`).join(', ') || '-'
}

/** Request types the summary shows (the most sent). */
const REQUEST_TYPES_SHOWN = 5

function rogueText (r: RogueTotals): string {
  return `rogue: ${r.sent} requests of ${r.types} types; member-only ${r.memberOnly}: forbidden ${r.forbidden}, unavailable ${r.unavailable}; ` +
    `others served ${r.served}; unanswered ${r.unanswered}; client writes of its own ${r.ownWrites} (${r.ownValuesHeld} values on final replicas), forged ${r.forgedWrites}`
}

/** A failing seed's report: the replay command and its violations. */
export function formatFailure (result: RunResult, options: Partial<RunOptions>, maxViolations = FAILURE_VIOLATIONS_SHOWN): string {
  const lines = [`seed ${result.seed}: ${result.violations.length} violation(s) — replay: ${replayCommand(result.seed, options)}`]
  for (const v of result.violations.slice(0, maxViolations)) lines.push(`  [${v.kind}] ${v.message}`)
  if (result.violations.length > maxViolations) lines.push(`  … ${result.violations.length - maxViolations} more`)
  return lines.join('\n')
}
