/**
 * Serves the built shopping-cart demo (`demo/dist`, made by `npm run build:demo`) so that
 * `npm start` gives a working shop at the daemon's own origin, where the page finds the
 * cluster through `GET /status`. Only GET/HEAD of files inside the root: the path is
 * decoded once, must stay inside the root after resolution (no `..`, no NUL, no encoded
 * separators escaping), and directories other than `/` are not listed.
 */
import { readFile, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IMMUTABLE_MAX_AGE_S, MAX_STATIC_FILE_BYTES } from '../constants.js'
import { HttpError } from './respond.js'

/** demo/dist at the repository root, from packages/daemon/src/http/. */
const DEFAULT_ROOT = fileURLToPath(new URL('../../../../demo/dist', import.meta.url))
/** Overrides the served folder (tests, or a demo built elsewhere). */
export const STATIC_ROOT_ENV = 'RINGSTORE_DEMO_DIST'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2'
}

export function staticRoot (): string {
  const override = process.env[STATIC_ROOT_ENV]
  return resolve(override !== undefined && override !== '' ? override : DEFAULT_ROOT)
}

/** Whether this request is one the static handler answers (it never claims API routes). */
export function isStaticRequest (method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD'
}

/** The file under `root` that `rawPath` names, or an HttpError (400 bad path, 404). */
export function resolveStaticPath (root: string, rawPath: string): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    throw new HttpError(400, 'bad_path', 'malformed percent-encoding in the path')
  }
  if (decoded.includes('\0') || decoded.includes('\\')) throw new HttpError(400, 'bad_path', 'the path holds a forbidden character')
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '')
  const file = resolve(root, relative)
  if (!file.startsWith(root + sep)) throw new HttpError(404, 'not_found', 'no such file')
  return file
}

export async function serveStatic (root: string, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  const file = resolveStaticPath(root, rawPath)
  const info = await stat(file).catch(() => null)
  if (info === null || !info.isFile() || info.size > MAX_STATIC_FILE_BYTES) {
    const built = await stat(resolve(root, 'index.html')).then((s) => s.isFile(), () => false)
    // Same code as any unknown route (clients match on it); the message says how to get the demo.
    if (!built) throw new HttpError(404, 'not_found', `no such route; the demo is not built (no ${root}/index.html): run \`npm run build:demo\``)
    throw new HttpError(404, 'not_found', 'no such route or file; see /kv/{key}, /status, /metrics, or / for the demo')
  }
  const body = await readFile(file)
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
  // Vite names assets by content hash, so they never change; the page itself must be revalidated.
  const cache = file.includes(`${sep}assets${sep}`) ? `public, max-age=${IMMUTABLE_MAX_AGE_S}, immutable` : 'no-cache'
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(body.byteLength), 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' })
  res.end(req.method === 'HEAD' ? undefined : body)
}
