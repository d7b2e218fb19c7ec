/**
 * CPU cost of the Merkle roots an anti-entropy round computes (bench/README.md, "Where the
 * time goes", issue 14): q = 1,024 partition trees holding W1a's 10,000 keys, then
 * - "all dirty": every key rewritten (every tree has ~10 dirty buckets, as after W1a);
 * - "W1c": 1,000 new keys written (as during W1c: ~1 dirty bucket in ~640 trees);
 * and `root()` of all 1,024 trees timed, CPU ms (process.cpuUsage), best and median of
 * `--runs`. Run: `node --expose-gc --import tsx --conditions=@ringstore/source bench/merkle-roots.ts`.
 * The hash backend follows core's `#sha256` import map (under Node: the native one), so
 * this measures what a daemon does.
 */
import { createHash } from 'node:crypto'
import { MerkleTree, keyHash, partitionOfHash } from '@ringstore/core'

const Q = 1024
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] ?? 20) || 20

function cpuMs (): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

function digestOf (key: string, round: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${key}#${round}`).digest().subarray(0, 16))
}

const trees = Array.from({ length: Q }, () => new MerkleTree())
function write (key: string, round: number | null): void {
  const hash = keyHash(key)
  ;(trees[partitionOfHash(hash, Q)] as MerkleTree).set(key, round === null ? null : digestOf(key, round), hash)
}

/** With --expose-gc, the write phase's garbage is collected first: not the roots' cost. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

function rootsCpuMs (): number {
  collect()
  const start = cpuMs()
  for (const tree of trees) tree.root()
  return cpuMs() - start
}

function summary (samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b)
  return `best ${(sorted[0] as number).toFixed(2)} ms, median ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(2)} ms`
}

const allDirty: number[] = []
const w1c: number[] = []
for (let run = 0; run < runs; run++) {
  for (let i = 0; i < 10_000; i++) write(`k${i}`, run)
  allDirty.push(rootsCpuMs())
  for (let i = 0; i < 1_000; i++) write(`n${run * 1_000 + i}`, 0)
  w1c.push(rootsCpuMs())
  // Back to the 10,000 keys (untimed), so every run starts from the same trees.
  for (let i = 0; i < 1_000; i++) write(`n${run * 1_000 + i}`, null)
  rootsCpuMs()
}
console.log(`roots of ${Q} trees, 10,000 keys, every key rewritten: ${summary(allDirty)}`)
console.log(`roots of ${Q} trees after 1,000 new keys: ${summary(w1c)}`)
