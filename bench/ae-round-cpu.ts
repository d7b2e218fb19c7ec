/**
 * CPU cost of one anti-entropy round between two daemons (issue 14), both in this process
 * so that process.cpuUsage counts the asker, the responder and the transport between them:
 * A and B assembled by the daemon package's own `startDaemon` (FsStorage + libp2p), N=2
 * W=2, no periodic rounds. A writes W1a's 10,000 keys; then, `--runs` times, one of
 *   - "rewrite": every key written again (every tree dirty, as after W1a),
 *   - "w1c": 1,000 new keys (as during W1c),
 *   - "idle": nothing (every tree clean: the round's cost without roots to recompute),
 * and `A.peer.runAntiEntropyRound()` is timed: CPU ms and wall ms, best and median.
 * The round runs at full speed (unpaced): pacing adds pauses, not CPU.
 *
 *   npm run build && node --import tsx --conditions=@ringstore/source bench/ae-round-cpu.ts --runs 10
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, parseStartArgs, startDaemon } from 'ringstore'
import type { RunningDaemon } from 'ringstore'
import { clusterSecret, freePort, pollUntil } from './daemons.js'
import { burst, cartValue } from './write-loops.js'

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 10
const KEYS = 10_000
const NEW_KEYS = 1_000

function cpuMs (): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

async function start (dir: string, name: string, secret: string, bootstrap: string[]): Promise<RunningDaemon> {
  const options = parseStartArgs([
    '--data-dir', join(dir, name), '--cluster-secret', secret,
    '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--http', `127.0.0.1:${await freePort()}`,
    ...bootstrap.flatMap((addr) => ['--bootstrap', addr]),
    '--n', '2', '--r', '1', '--w', '2', '--anti-entropy-interval-ms', '0', '--log-level', 'warn'
  ])
  if (options === null) throw new Error('no options')
  return await startDaemon(options, createLogger('warn'))
}

async function write (a: RunningDaemon, from: number, count: number): Promise<void> {
  const { errors } = await burst(async (i) => { await a.peer.put(`k${i}`, cartValue(i, Date.now())); return true }, from, count, 64)
  if (errors > 0) throw new Error(`${errors} writes failed`)
}

async function timedRound (a: RunningDaemon): Promise<{ cpu: number, wall: number, repaired: number }> {
  const cpu = cpuMs()
  const wall = performance.now()
  const { keysRepaired } = await a.peer.runAntiEntropyRound()
  return { cpu: cpuMs() - cpu, wall: performance.now() - wall, repaired: keysRepaired }
}

function summary (samples: number[]): string {
  const sorted = [...samples].sort((x, y) => x - y)
  return `best ${(sorted[0] ?? NaN).toFixed(1)}, median ${(sorted[Math.floor(sorted.length / 2)] ?? NaN).toFixed(1)}`
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ringstore-ae-round-'))
  const daemons: RunningDaemon[] = []
  try {
    const secret = await clusterSecret(dir, 'pair')
    const a = await start(dir, 'a', secret, [])
    daemons.push(a)
    daemons.push(await start(dir, 'b', secret, a.addrs))
    await pollUntil('B in A\'s ring', async () => a.peer.ring().members.size === 2, 30_000, 50)
    await write(a, 0, KEYS)
    await timedRound(a)
    const results: Record<'rewrite' | 'w1c' | 'idle', { cpu: number[], wall: number[], repaired: number }> = {
      rewrite: { cpu: [], wall: [], repaired: 0 },
      w1c: { cpu: [], wall: [], repaired: 0 },
      idle: { cpu: [], wall: [], repaired: 0 }
    }
    for (let run = 0; run < runs; run++) {
      for (const kind of ['rewrite', 'w1c', 'idle'] as const) {
        if (kind === 'rewrite') await write(a, 0, KEYS)
        if (kind === 'w1c') await write(a, KEYS + run * NEW_KEYS, NEW_KEYS)
        const round = await timedRound(a)
        results[kind].cpu.push(round.cpu)
        results[kind].wall.push(round.wall)
        results[kind].repaired += round.repaired
      }
    }
    for (const [kind, r] of Object.entries(results)) {
      console.log(`${kind}: round CPU ms (A + B) ${summary(r.cpu)}; wall ms ${summary(r.wall)}; keys repaired ${r.repaired}`)
    }
  } finally {
    for (const daemon of daemons.reverse()) await daemon.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
