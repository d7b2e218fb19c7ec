/**
 * The scratch web app of e2e/pack.spec.ts, built by `vite build` against the installed
 * @ringstore/browser tarball (never the repo's sources). Query: `daemon` (a daemon's HTTP
 * URL, which allows this page's origin), `cap` (a capability id), `node` (the key the
 * Node script wrote). It writes its own key, reads it and the Node script's key back, and
 * shows the outcome as JSON in #out.
 */
import { capabilityKey, createBrowserPeer, fetchBootstrap } from '@ringstore/browser'

const out = document.getElementById('out') as HTMLElement
const params = new URL(window.location.href).searchParams
const text = (values: readonly Uint8Array[]): string[] => values.map((v) => new TextDecoder().decode(v))

try {
  // The three lines of the README ("Use as a library"), then a wait for the members.
  const tab = await createBrowserPeer(await fetchBootstrap(params.get('daemon') ?? ''))
  const w = tab.peer.config.w
  while (tab.status().members.filter((m) => m.weight > 0 && m.reachable).length < w) await new Promise((resolve) => setTimeout(resolve, 50))
  const key = capabilityKey(params.get('cap') ?? '', 'from-browser')
  await tab.put(key, new TextEncoder().encode('hello from the browser'))
  const own = text((await tab.get(key)).values)
  // The Node script's write reached W=2 counting its own replica, so perhaps one daemon
  // only when it stopped; this tab's R=2 read counts its own (empty) replica too. Then watch
  // the key: the watch's first renewal fetches the version a member holds, within 30 s.
  const nodeKey = params.get('node') ?? ''
  let node = text((await tab.get(nodeKey)).values)
  if (node.length === 0) {
    node = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no version of ${nodeKey} within 30 s`)) }, 30_000)
      const unwatch = tab.watch(nodeKey, (change) => {
        if (change.values.length === 0) return
        clearTimeout(timer)
        unwatch()
        resolve(text(change.values))
      })
    })
  }
  out.textContent = JSON.stringify({ key, own, node, peer: tab.id })
  await tab.stop()
} catch (error) {
  out.textContent = JSON.stringify({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
}
