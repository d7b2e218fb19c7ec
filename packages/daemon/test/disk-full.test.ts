/**
 * A full disk (issue: hostile input, "disk full"): a daemon whose data dir is a small tmpfs
 * (mounted in a private mount namespace of its own: `unshare`, no root needed) is written
 * to until the disk is full. Writes then answer 507 `insufficient_storage` (never a quorum
 * failure, never a crash), reads go on, /status and /metrics say so, and once space comes
 * back writes resume.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Fixture, get, metrics, poll, put, status } from './support.js'

const SMALL_DISK = fileURLToPath(new URL('./small-disk.sh', import.meta.url))
const fixture = new Fixture()
afterAll(async () => { await fixture.killAll() })

const VALUE = new Uint8Array(256 * 1024).fill(7)

describe('a full disk', () => {
  it('answers writes 507, keeps serving reads and stays up, and takes writes again once space is back', async () => {
    const mount = join(await fixture.dir(), 'small')
    await mkdir(mount)
    const launcher = ['unshare', '--user', '--map-root-user', '--mount', 'sh', SMALL_DISK, mount, '40m', String(20 * 2 ** 20)]
    // The token file outside the small disk: the test reads it from its own mount namespace.
    const d = await fixture.start('small/data', ['--n', '1', '--r', '1', '--w', '1', '--http-token-file', join(await fixture.dir(), 'small-http-token')], { launcher })
    const written: string[] = []
    let refused: Awaited<ReturnType<typeof put>> | undefined
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const reply = await put(d, `fill/${i}`, VALUE)
      if (reply.status === 204) written.push(`fill/${i}`)
      else refused = reply
    }
    expect(written.length).toBeGreaterThan(10)
    // The first write that did not fit is a 507 naming the reason, not a 503 or a 500.
    expect(refused?.status).toBe(507)
    expect(refused?.json).toMatchObject({ error: 'insufficient_storage' })
    // Writes keep being refused cleanly; the daemon stays up; reads work.
    for (let i = 0; i < 5; i++) expect((await put(d, `more/${i}`, VALUE)).status).toBe(507)
    for (const key of written.slice(0, 5)) expect((await get(d, key)).status).toBe(200)
    expect((await status(d)).storageFull).toBe(true)
    expect((await metrics(d)).get('ringstore_storage_full')).toBe(1)
    expect(d.process.exitCode).toBeNull()

    // Space comes back: the filler goes, and writes are taken again.
    d.process.stdin?.write('free\n')
    await poll('writes taken again', async () => (await put(d, 'after/0', VALUE)).status === 204, 20_000, 250)
    for (let i = 1; i < 5; i++) expect((await put(d, `after/${i}`, VALUE)).status).toBe(204)
    expect((await get(d, 'after/4')).status).toBe(200)
    expect((await status(d)).storageFull).toBe(false)
    for (const key of written) expect((await get(d, key)).status).toBe(200)
  })
})
