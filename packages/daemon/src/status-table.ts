/**
 * `ringstore status`'s human-readable view of a GET /status body: the daemon, one row per
 * member as this daemon sees it (status, reachability, admission, partitions), the ring's
 * balance, hints and keys. Tools use `--json` (the body as is), not this text.
 */

/** The parts of GET /status this view reads (http/status.ts). */
export interface StatusView {
  readonly peerId: string
  readonly cluster: string
  readonly clusterId: string
  readonly config: { readonly q: number, readonly n: number, readonly r: number, readonly w: number }
  readonly members: ReadonlyArray<{
    readonly peerId: string
    readonly status: string
    readonly weight: number
    readonly zone: string
    readonly reachable: boolean
    readonly admitted?: boolean
    readonly admission?: { readonly maxWeight: number, readonly zone: string } | null
  }>
  readonly connected: number
  readonly ring: {
    readonly q: number
    readonly members: ReadonlyArray<{ readonly id: string, readonly partitions: number }>
    readonly partitionsPerMember?: { readonly min: number, readonly max: number, readonly mean: number } | null
  }
  readonly hintsPending: number
  /** Absent from daemons of older versions. */
  readonly hintsByTarget?: Readonly<Record<string, number>>
  /** The hint store's figures; absent from daemons of older versions. */
  readonly hintBytes?: number
  readonly hintQuota?: { readonly totalBytes: number, readonly perTargetBytes: number, readonly maxAgeMs: number }
  readonly hintsRefused?: Readonly<Record<string, number>>
  readonly hintsExpired?: number
  readonly keys: number
}

export function renderStatus (status: StatusView, base: string): string {
  const { config, ring } = status
  const partitions = new Map(ring.members.map((m) => [m.id, m.partitions]))
  const rows = status.members.map((m) => [
    m.peerId === status.peerId ? `${m.peerId} *` : m.peerId,
    m.status,
    m.peerId === status.peerId ? 'self' : m.reachable ? 'yes' : 'no',
    String(m.weight),
    m.zone,
    String(partitions.get(m.peerId) ?? 0),
    m.admitted === true ? 'yes' : 'no',
    m.admission == null ? '-' : `max weight ${m.admission.maxWeight}, zone ${m.admission.zone}`,
    String(status.hintsByTarget?.[m.peerId] ?? 0)
  ])
  const spread = ring.partitionsPerMember
  const lines = [
    `daemon  ${status.peerId} at ${base}`,
    `cluster ${status.cluster} (id ${status.clusterId})`,
    `q=${config.q} n=${config.n} r=${config.r} w=${config.w}   keys held ${status.keys}   hints pending ${status.hintsPending}   connected peers ${status.connected}`,
    ...hintLine(status),
    '',
    ...table(['MEMBER (* = this daemon)', 'STATUS', 'REACHABLE', 'WEIGHT', 'ZONE', 'PARTITIONS', 'ADMITTED', 'CERTIFICATE', 'HINTS FOR IT'], rows),
    '',
    spread == null
      ? `ring: ${ring.q} partitions, no owner yet`
      : `ring: ${ring.q} partitions over ${ring.members.filter((m) => m.partitions > 0).length} owners; per owner min ${spread.min}, max ${spread.max}, mean ${spread.mean}`,
    ''
  ]
  return lines.join('\n')
}

/** One line on the hint store's bounds (none for a daemon too old to report them). */
function hintLine (status: StatusView): string[] {
  const quota = status.hintQuota
  if (quota === undefined || status.hintBytes === undefined) return []
  const refused = Object.values(status.hintsRefused ?? {}).reduce((a, b) => a + b, 0)
  const days = Math.round(quota.maxAgeMs / 8_640_000) / 10
  return [`hints: ${mib(status.hintBytes)} held, quota ${mib(quota.totalBytes)} (${mib(quota.perTargetBytes)} per member)   refused ${refused}   expired ${status.hintsExpired ?? 0} (max age ${days} d)`]
}

function mib (bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(bytes < 1024 ** 2 && bytes > 0 ? 3 : 1)} MiB`
}

/** Left-aligned columns, two spaces apart. */
function table (head: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(head), ...rows.map(line)]
}
