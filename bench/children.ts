/**
 * Starting the benchmark's own child processes (load generator, floor nodes) and reading
 * their JSON result lines. They run TypeScript through `node --import tsx` (one process
 * each, no launcher in between) and pass their progress lines through to our stderr.
 */
import { join } from 'node:path'
import { REPO_ROOT } from './daemons.js'
import type { FloorClientResult, FloorRole } from './floor-node.js'
import type { LoadgenConfig, PhaseResult } from './loadgen.js'
import { parseJson, spawnChild, stopChild, waitForJson } from './procs.js'
import type { Child } from './procs.js'

function script (name: string): string[] {
  // The condition: workspace imports load the TypeScript sources (package.json exports), not dist/.
  return ['--conditions=@ringstore/source', '--import', 'tsx', join(REPO_ROOT, 'bench', name)]
}

/** Runs the load generator to the end; one result per phase, in order. */
export async function runLoadgen (config: LoadgenConfig): Promise<PhaseResult[]> {
  const child = spawnChild('loadgen', process.execPath, [...script('loadgen.ts'), JSON.stringify(config)], { cwd: REPO_ROOT })
  const results: PhaseResult[] = []
  child.onLine((line) => {
    const value = parseJson(line)
    if (value !== undefined) results.push(value as PhaseResult)
  })
  const code = await child.exited
  if (code !== 0) throw new Error(`loadgen exited with ${code}`)
  if (results.length !== config.phases.length) throw new Error(`loadgen gave ${results.length} of ${config.phases.length} results`)
  return results
}

export interface FloorEcho {
  readonly child: Child
  readonly addr: string
  readonly http: string
}

export async function startFloorEcho (valueBytes: number): Promise<FloorEcho> {
  const role: FloorRole = { role: 'echo', valueBytes }
  const child = spawnChild('floor-echo', process.execPath, [...script('floor-node.ts'), JSON.stringify(role)], { cwd: REPO_ROOT })
  const ready = await waitForJson(child, (v): v is { addr: string, http: string } => (v as { event?: unknown }).event === 'ready', 60_000)
  return { child, addr: ready.addr, http: ready.http }
}

export async function runFloorClient (role: Extract<FloorRole, { role: 'client' }>): Promise<FloorClientResult> {
  const child = spawnChild('floor-client', process.execPath, [...script('floor-node.ts'), JSON.stringify(role)], { cwd: REPO_ROOT })
  const timeoutMs = 60_000 + 2 * (role.durationMs + role.warmupMs)
  try {
    return await waitForJson(child, (v): v is FloorClientResult => (v as Partial<FloorClientResult>).inflight !== undefined, timeoutMs)
  } finally {
    await stopChild(child)
  }
}
