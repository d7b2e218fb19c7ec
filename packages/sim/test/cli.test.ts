import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

/**
 * Run the CLI in its own process (as `npm run sim` does) and collect its output. The
 * condition makes workspace imports load the TypeScript sources, not a (stale) dist/.
 */
function sim (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@ringstore/source', '--import', 'tsx', CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

describe('npm run sim', () => {
  it('prints a byte-identical summary for the same seeds and exits 0 when all hold', async () => {
    const [a, b] = await Promise.all([sim('--peers', '5', '--seeds', '4', '--from', '30'), sim('--peers', '5', '--seeds', '4', '--from', '30')])
    expect(a.code).toBe(0)
    expect(a.stdout).toBe(b.stdout)
    expect(a.stdout).toMatch(/seeds 4 \(30\.\.33\)\s+peers 5/)
    expect(a.stdout).toMatch(/lost 0 {2}resurrected 0 {2}violations 0/)
    expect(a.stdout).toMatch(/OK: every invariant held/)
  })

  it('replays one seed, and prints JSON on request', async () => {
    const run = await sim('--seed', '42', '--json', '--faults', 'light')
    expect(run.code).toBe(0)
    const parsed = JSON.parse(run.stdout) as { summary: { seeds: number, firstSeed: number, faults: string }, failures: unknown[] }
    expect(parsed.summary).toMatchObject({ seeds: 1, firstSeed: 42, faults: 'light' })
    expect(parsed.failures).toEqual([])
  })

  it('explains itself, and rejects bad usage with exit status 2', async () => {
    const help = await sim('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--seeds N/)
    expect(help.stdout).toMatch(/--cold-start/)
    const bad = await sim('--faults', 'apocalyptic')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--faults must be none, light or heavy/)
    expect((await sim('--peers', '0')).code).toBe(2)
    expect((await sim('--no-such-flag')).code).toBe(2)
    const badFsync = await sim('--fsync-ms', '5,1')
    expect(badFsync.code).toBe(2)
    expect(badFsync.stderr).toMatch(/--fsync-ms must be A,B/)
  })

  it('takes a disk latency range', async () => {
    const run = await sim('--seed', '3', '--fsync-ms', '1,60', '--ops', '20')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/OK: every invariant held/)
  })
})
