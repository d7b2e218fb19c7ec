/**
 * `npm run bench`: the benchmark (bench/README.md). Sections, each in fresh child processes:
 *   floor   — libp2p RPC and HTTP with nothing stored (floor.ts)
 *   cluster — 3 daemons, N=3 R=2 W=2, YCSB-A-like load, closed and open loop (cluster.ts)
 *   w1, w2  — the two-peer replication workload defined in bench/README.md (replication.ts)
 *   browser — the browser peer in headless Chromium: offline puts, IndexedDB, sync (browser.ts)
 *   ring    — replica load of the ring against its fair share, and list changes per join (ring-load.ts, in process)
 * Progress goes to stderr, the tables to stdout, every figure to a JSON file under
 * bench/results/. Every child is killed when this process ends, however it ends.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { runWatch } from './watch.js'
import { runBrowser } from './browser.js'
import { runCluster } from './cluster.js'
import { REPO_ROOT, daemonCommand } from './daemons.js'
import { runFloor } from './floor.js'
import { HELP, SECTIONS, parseOptions } from './options.js'
import type { BenchOptions } from './options.js'
import { killAll } from './procs.js'
import { runReplication } from './replication.js'
import { runRingLoad } from './ring-load.js'
import { render } from './report.js'
import { tailFigures } from './tail.js'
import type { BenchResults } from './report.js'

const started = performance.now()

function log (msg: string): void {
  process.stderr.write(`[bench +${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}\n`)
}

function resultPaths (options: BenchOptions, date: string): string[] {
  if (options.out !== undefined) return [options.out]
  const dir = join(REPO_ROOT, 'bench', 'results')
  if (options.quick) return [join(dir, 'quick.json')]
  if (options.sections.size < SECTIONS.length) return [join(dir, `partial-${[...options.sections].join('-')}.json`)]
  return [join(dir, 'latest.json'), join(dir, `bench-${date}.json`)]
}

async function section<T> (name: string, errors: Record<string, string>, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run()
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    errors[name] = message
    log(`${name} FAILED: ${message}`)
    return undefined
  }
}

async function main (): Promise<number> {
  let options: BenchOptions | null
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)} (see --help)\n`)
    return 2
  }
  if (options === null) {
    process.stdout.write(HELP)
    return 0
  }
  const date = new Date().toISOString()
  const daemon = daemonCommand()
  const dir = mkdtempSync(join(tmpdir(), 'ringstore-bench-'))
  log(`sections: ${[...options.sections].join(', ')}${options.quick ? ' (quick)' : ''}; data and logs in ${dir}`)
  const loadBefore = loadavg()
  const errors: Record<string, string> = {}
  const results: { -readonly [K in keyof BenchResults]: BenchResults[K] } = {}
  if (options.sections.has('floor')) results.floor = await section('floor', errors, async () => runFloor(options, log))
  if (options.sections.has('cluster')) results.cluster = await section('cluster', errors, async () => runCluster(options, dir, log))
  if (options.sections.has('w1') || options.sections.has('w2')) {
    results.replication = await section('replication', errors, async () => runReplication(options, dir, log))
  }
  if (options.sections.has('browser')) results.browser = await section('browser', errors, async () => runBrowser(options, dir, log))
  if (options.sections.has('watch')) results.watch = await section('watch', errors, async () => runWatch(options, dir, log))
  if (options.sections.has('ring')) results.ring = await section('ring', errors, async () => runRingLoad())
  results.tail = tailFigures(results.floor, results.cluster, results.replication)
  const failed = Object.keys(errors).length > 0
  const document = {
    meta: {
      date,
      quick: options.quick,
      sections: [...options.sections],
      node: process.version,
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      // Other work on the machine skews every figure: the load average says how much there was.
      loadAverage1m: { before: loadBefore[0], after: loadavg()[0] },
      daemonCommand: [daemon.command, ...daemon.args].join(' '),
      options: { ...options, sections: [...options.sections] }
    },
    ...results,
    ...(failed ? { errors } : {})
  }
  const paths = resultPaths(options, date.slice(0, 10))
  for (const path of paths) {
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`)
  }
  process.stdout.write(render(results))
  log(`results: ${paths.join(', ')}`)
  if (failed || options.keep) log(`data dirs and daemon logs kept in ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
  return failed ? 1 : 0
}

main().then((code) => {
  killAll()
  process.exit(code)
}, (err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  killAll()
  process.exit(1)
})
