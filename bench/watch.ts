/**
 * Live updates and visitors (bench/README.md, "watch"):
 *
 * - **Watch latency.** Three daemons (N=3, W=2) and a watcher: a client peer (weight 0)
 *   embedded in this process, the daemon package's own startDaemon, which watches one
 *   capability key (`Peer.watch`). A writer PUTs that key through daemon 1 over HTTP at a
 *   steady rate, each write with the context of the one before (one version at a time).
 *   For each write: from the PUT sent to the watcher's listener hearing that value, beside
 *   the PUT's own round trip in the same run (the floor: the write itself) and their ratio.
 * - **Member table against visitors.** Client peers (weight 0, like browser tabs) come, write
 *   a key of their own and go, one after another; the member table of each daemon is read
 *   before and after, and the daemons' resident memory.
 */
import { join } from 'node:path'
import { startClientPeer } from './client-peer.js'
import type { ClientPeer } from './client-peer.js'
import { clusterSecret, freePort, startDaemon, waitForMembers } from './daemons.js'
import type { Daemon } from './daemons.js'
import { getJson, httpRequest, keepAliveAgent } from './http.js'
import type { BenchOptions } from './options.js'
import { memoryOf, stopChild } from './procs.js'
import { Samples, round3 } from './stats.js'
import type { LatencySummary } from './stats.js'

export interface WatchResult {
  readonly method: string
  readonly writes: number
  readonly rate: number
  /** Writes whose value the listener heard (each version is heard once at most). */
  readonly heard: number
  /** PUT sent → the watcher's listener called with that value. */
  readonly watchLatency: LatencySummary
  /** The PUT's own round trip (sent → 204): the floor in the same run. */
  readonly putLatency: LatencySummary
  readonly ratio: { readonly p50: number, readonly p99: number }
  readonly visitors: {
    readonly count: number
    /** Member table size at each daemon before and after the visitors. */
    readonly membersBefore: readonly number[]
    readonly membersAfter: readonly number[]
    /** Daemons' resident memory (MB) before and after. */
    readonly rssMbBefore: readonly number[]
    readonly rssMbAfter: readonly number[]
  }
}

const KEY = 'cap/bench-watched-capability-key-0'

async function startCluster (dir: string, options: BenchOptions): Promise<{ daemons: Daemon[] }> {
  const secret = await clusterSecret(dir, 'watch')
  const daemons: Daemon[] = []
  for (let i = 0; i < 3; i++) {
    daemons.push(await startDaemon({
      name: `watch-${i + 1}`,
      dataDir: join(dir, `watch-${i + 1}`),
      p2pPort: await freePort(),
      httpPort: await freePort(),
      bootstrap: daemons.length === 0 ? [] : [daemons[0]?.addr ?? ''],
      clusterSecret: secret,
      n: 3,
      r: 2,
      w: 2,
      logLevel: options.logLevel,
      logFile: join(dir, `watch-${i + 1}.log`)
    }))
  }
  await waitForMembers(daemons, 3)
  return { daemons }
}

/** The daemon's member table size and cluster id (GET /status). */
async function membersOf (agent: ReturnType<typeof keepAliveAgent>, d: Daemon): Promise<{ members: number, clusterId: string }> {
  const s = await getJson(agent, d.endpoint, '/status') as { members?: unknown[], clusterId?: string }
  return { members: s.members?.length ?? -1, clusterId: s.clusterId ?? '' }
}

async function waitUntil (what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export async function runWatch (options: BenchOptions, dir: string, log: (msg: string) => void): Promise<WatchResult> {
  const writes = options.quick ? 100 : 500
  const rate = 50
  const visitorCount = options.quick ? 10 : 50
  const { daemons } = await startCluster(dir, options)
  const agent = keepAliveAgent(4)
  const { clusterId } = await membersOf(agent, daemons[0] as Daemon)
  const client = async (name: string, at: Daemon): Promise<ClientPeer> => await startClientPeer(join(dir, name), clusterId, [at.addr])
  try {
    const watcher = await client('watcher', daemons[1] as Daemon)
    const heardAt = new Map<number, number>()
    try {
      await waitUntil('the watcher to know the members', () => watcher.peer.status().members.filter((m) => m.weight > 0 && m.reachable).length >= 3, 30_000)
      watcher.peer.watch(KEY, (change) => {
        const now = performance.now()
        for (const value of change.values) {
          const i = Number(new TextDecoder().decode(value).slice(1))
          if (!heardAt.has(i)) heardAt.set(i, now)
        }
      })
      // The watch reaches the members with the next renewal: let it land before writing.
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      log(`watch: ${writes} writes at ${rate}/s through daemon 1, a client watcher on daemon 2`)
      const sentAt: number[] = []
      const put = new Samples()
      let context: string | undefined
      const path = `/kv/${encodeURIComponent(KEY)}?w=2`
      const start = performance.now()
      for (let i = 0; i < writes; i++) {
        const due = start + i * 1000 / rate
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        sentAt[i] = performance.now()
        const reply = await httpRequest(agent, (daemons[0] as Daemon).endpoint, 'PUT', path, new TextEncoder().encode(`w${i}`), context === undefined ? {} : { 'x-ringstore-context': context })
        put.add(performance.now() - (sentAt[i] ?? 0))
        if (reply.status !== 204) throw new Error(`PUT answered ${reply.status}: ${reply.body.toString('utf8').slice(0, 200)}`)
        const next = reply.headers['x-ringstore-context']
        if (typeof next === 'string') context = next
      }
      await waitUntil('the last write to be heard', () => heardAt.has(writes - 1), 10_000).catch(() => undefined)
      const watch = new Samples()
      for (let i = 0; i < writes; i++) {
        const heard = heardAt.get(i)
        if (heard !== undefined) watch.add(heard - (sentAt[i] ?? 0))
      }
      const watchLatency = watch.summary()
      const putLatency = put.summary()
      const membersBefore = await Promise.all(daemons.map(async (d) => (await membersOf(agent, d)).members))
      const rssMbBefore = daemons.map((d) => memoryOf(d.child).nowMb)
      log(`watch: ${visitorCount} visitors come, write and go`)
      for (let v = 0; v < visitorCount; v++) {
        const visitor = await client(`visitor-${v}`, daemons[v % 3] as Daemon)
        try {
          await waitUntil('a visitor to know the members', () => visitor.peer.status().members.filter((m) => m.weight > 0).length >= 3, 30_000)
          await visitor.peer.put(`cap/bench-visitor-capability-${String(v).padStart(4, '0')}`, new TextEncoder().encode('hello'))
        } finally {
          await visitor.stop()
        }
      }
      const membersAfter = await Promise.all(daemons.map(async (d) => (await membersOf(agent, d)).members))
      const rssMbAfter = daemons.map((d) => memoryOf(d.child).nowMb)
      return {
        method: 'watcher = a client peer (weight 0, no admission: as a tab) in the bench process, watching one key; writer = HTTP PUT with context through daemon 1, N=3 W=2',
        writes,
        rate,
        heard: heardAt.size,
        watchLatency,
        putLatency,
        ratio: { p50: round3(watchLatency.p50 / Math.max(putLatency.p50, 0.001)), p99: round3(watchLatency.p99 / Math.max(putLatency.p99, 0.001)) },
        visitors: { count: visitorCount, membersBefore, membersAfter, rssMbBefore, rssMbAfter }
      }
    } finally {
      await watcher.stop()
    }
  } finally {
    agent.destroy()
    await Promise.all(daemons.map(async (d) => await stopChild(d.child)))
  }
}

export function watchTable (r: WatchResult): string {
  const rows = [
    ['watch: PUT sent → listener', String(r.watchLatency.count), `${r.watchLatency.p50} / ${r.watchLatency.p99}`, `${r.ratio.p50}× / ${r.ratio.p99}×`],
    ['floor: the PUT itself (sent → 204)', String(r.putLatency.count), `${r.putLatency.p50} / ${r.putLatency.p99}`, '1']
  ]
  const lines = [
    `### Live updates (${r.writes} writes at ${r.rate}/s; heard ${r.heard})`,
    '',
    '| figure | samples | p50 / p99 ms | ratio to the floor |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Member tables before / after ${r.visitors.count} visitors: ${r.visitors.membersBefore.join(', ')} / ${r.visitors.membersAfter.join(', ')}; ` +
      `daemons' RSS MB: ${r.visitors.rssMbBefore.map(Math.round).join(', ')} / ${r.visitors.rssMbAfter.map(Math.round).join(', ')}`,
    ''
  ]
  return lines.join('\n')
}
