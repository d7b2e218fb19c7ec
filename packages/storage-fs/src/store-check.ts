/**
 * A check of an LMDB store in a child process, before this process maps it.
 *
 * WHY: LMDB maps `data.mdb` and trusts its pages. A page overwritten with garbage makes it
 * follow wild page numbers or fail one of its assertions, and the process dies by a signal
 * without a word: with 3 random pages (seeded) overwritten in a 0.9 MB store, reading every
 * entry died by SIGABRT (mdb.c "Assertion 'IS_LEAF(mp)' failed in mdb_cursor_next()"),
 * SIGSEGV or SIGBUS on 9 seeds of 30 and threw an error on 4. Worse, a garbage page can
 * also end a cursor's walk early without an error (421 of 2,000 entries read): of 60 such
 * stores whose plain read passed, writing killed 11 by a signal. lmdb-header.ts checks the
 * meta pages and the free-page list (lmdb-freelist.ts); this reads the rest. The child
 * opens the store read-only, reads every entry of the root database and of each named one
 * (the pages every read of the daemon can reach), and checks that the keys come in order
 * and as many as each database's record counts. A child that dies by a signal, fails, or
 * does not finish in time condemns the store: the daemon refuses to start with a message
 * instead of crashing later. With those checks, all 60 stores were refused, none crashed.
 *
 * Not covered: damage within a value (the engine's record checksums catch it: core's
 * codec-seal.ts) and pages no database reaches (free pages: LMDB overwrites them whole).
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { STORE_CHECK_BASE_MS, STORE_CHECK_BYTES_PER_MS } from './constants.js'

/**
 * The child: `node -e CHILD LMDB_ENTRY DIR MAP_SIZE NAME...`. Plain CommonJS, so that it
 * runs the same from the sources and from the daemon's bundle (packages/daemon/build.mjs).
 * Touching each value copies it out of the map: every page the entry lives on is read.
 */
const CHILD = `
const [entry, path, mapSize, ...names] = process.argv.slice(1)
const { open } = require(entry)
const env = open({ path, readOnly: true, maxDbs: names.length + 1, mapSize: Number(mapSize), encoding: 'binary', keyEncoding: 'binary' })
// Every entry, in strictly ascending key order, as many as the database's own record says:
// a garbage page does not always crash a cursor, it can end the walk early or out of order.
const walk = (db, name, keep) => {
  const seen = []
  let last = null
  let count = 0
  for (const { key, value } of db.getRange({})) {
    if (last !== null && Buffer.compare(last, key) >= 0) throw new Error('database ' + name + ': keys out of order after entry ' + count)
    last = Buffer.from(key)
    count += value.length >= 0 ? 1 : 0
    if (keep) seen.push(last)
  }
  const expected = db.getStats().entryCount
  if (count !== expected) throw new Error('database ' + name + ': read ' + count + ' entries, its record says ' + expected)
  return seen
}
// The root database lists the named ones (each name with a trailing NUL); only those present
// are opened (read-only: nothing is created).
const present = new Set(walk(env, '(root)', true).map((key) => key.toString('utf8').replace(/\\0$/, '')))
for (const name of names.filter((n) => present.has(n))) walk(env.openDB({ name, encoding: 'binary', keyEncoding: 'binary' }), name, false)
env.close()
`

/** Where `lmdb` loads from, for the child (resolved from this package, as our own import is). */
function lmdbEntry (): string {
  return createRequire(import.meta.url).resolve('lmdb')
}

/** The time the child may take for a data file of `bytes` (constants.ts). */
export function storeCheckTimeoutMs (bytes: number): number {
  return STORE_CHECK_BASE_MS + Math.ceil(bytes / STORE_CHECK_BYTES_PER_MS)
}

/**
 * Reads every entry of the store in `dir` (named databases `names`) in a child process,
 * killed after `timeoutMs`. Resolves null when the child read them all, else a sentence
 * saying how it failed.
 */
export async function checkStoreInChild (dir: string, names: readonly string[], mapSize: number, timeoutMs: number): Promise<string | null> {
  const child = spawn(process.execPath, ['-e', CHILD, lmdbEntry(), dir, String(mapSize), ...names], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => { if (stderr.length < 4096) stderr += chunk })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c, s) => { resolve([c, s]) })
  }).finally(() => { clearTimeout(timer) })
  if (timedOut) return `reading every page did not finish within ${timeoutMs / 1000} s (a page loop?)`
  if (signal !== null) return `reading its pages crashed a check process (${signal}${assertion(stderr)}): pages are corrupt`
  if (code !== 0) return `reading its pages failed: ${lastError(stderr)}`
  return null
}

/** LMDB's assertion message, when the child printed one (" at mdb.c:…: Assertion …"). */
function assertion (stderr: string): string {
  const line = stderr.split('\n').find((l) => l.includes('Assertion'))
  return line === undefined ? '' : `, ${line.trim().slice(0, 200)}`
}

/** The error line of a failed child (node prints the source line and a caret first). */
function lastError (stderr: string): string {
  const line = stderr.split('\n').find((l) => /^\w*Error\b|^Error:|MDB_/.test(l.trim()))
  return (line ?? stderr.trim().split('\n').pop() ?? 'no message').trim().slice(0, 300)
}
