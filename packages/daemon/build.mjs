#!/usr/bin/env node
/* global console, performance, process, URL */
// Builds the daemon: src/cli.ts and the workspace packages it imports (@ringstore/*, all
// TypeScript) into ONE ES module, dist/cli.js, which bin/ringstore.js runs. Running the
// compiled bundle instead of the sources through tsx's loader saves ~40 MB of RSS and
// ~0.6 s of CPU at every daemon start (measured: packages/daemon/README.md, "Build").
//
// Third-party packages stay external and load from node_modules as they are: lmdb has a
// native addon, and libp2p & co. are already JavaScript. The build checks that each of
// them resolves from dist/ (a package nested in packages/X/node_modules would not) and is
// one of this package's own `dependencies` (so that `npm install ringstore` brings it).
//
// `npm run build` (root) runs this; so do `npm install` (prepare), `npm start`,
// `npm run bench`, the vitest global setup and the e2e global setup. ~0.3 s.
//
// Usage: node packages/daemon/build.mjs            (build, print one line)
//        import { buildDaemon } from '.../build.mjs' (returns the esbuild result)
import { readFileSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const PKG_DIR = fileURLToPath(new URL('.', import.meta.url))
const DEPENDENCIES = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).dependencies ?? {}
const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url))
export const DIST_DIR = fileURLToPath(new URL('./dist/', import.meta.url))
export const BUNDLE = fileURLToPath(new URL('./dist/cli.js', import.meta.url))
/** The source files the bundle was built from (repo-relative), for the bin's staleness warning. */
export const INPUTS = fileURLToPath(new URL('./dist/inputs.json', import.meta.url))

/**
 * Bare imports other than @ringstore/* stay `import`s of node_modules packages; the
 * workspace packages are bundled (their package.json `exports` point at .ts sources).
 */
const externalThirdParty = {
  name: 'external-third-party',
  setup (b) {
    const checked = new Map()
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      // `#…` are package.json subpath imports of a workspace package (core's `#sha256`):
      // bundled like the package itself, resolved with the "node" condition.
      if (args.path.startsWith('@ringstore/') || args.path.startsWith('node:') || args.path.startsWith('#')) return undefined
      if (args.pluginData === 'probe') return undefined
      const name = packageName(args.path)
      if (DEPENDENCIES[name] === undefined) {
        return { errors: [{ text: `${args.path} (imported by ${relative(REPO_DIR, args.importer)}) is not in packages/daemon/package.json dependencies: an installed \`ringstore\` would lack it` }] }
      }
      if (!checked.has(name)) {
        // Resolve from the daemon package, as the bundle in its dist/ will (no node_modules
        // there): fails for a package nested in another workspace's node_modules.
        const found = await b.resolve(args.path, { kind: args.kind, resolveDir: PKG_DIR, pluginData: 'probe' })
        checked.set(name, found.errors.length === 0)
      }
      if (checked.get(name) !== true) {
        return { errors: [{ text: `${args.path} (imported by ${relative(REPO_DIR, args.importer)}) does not resolve from ${relative(REPO_DIR, DIST_DIR)}: hoist it to the root node_modules` }] }
      }
      return { path: args.path, external: true }
    })
  }
}

/**
 * Each source keeps the meaning of its own `import.meta.url` (e.g. src/http/static.ts finds
 * demo/dist relative to itself): it becomes the source file's URL, computed at run time
 * from the bundle's location, so the checkout can move.
 */
const sourceImportMetaUrl = {
  name: 'source-import-meta-url',
  setup (b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      const fromDist = relative(DIST_DIR, args.path).split('\\').join('/')
      const expr = `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`
      return { contents: text.replaceAll('import.meta.url', expr), loader: 'ts' }
    })
  }
}

function packageName (specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

export async function buildDaemon () {
  const result = await build({
    // Metafile paths (the inputs list) are then repo-relative.
    absWorkingDir: REPO_DIR,
    entryPoints: [fileURLToPath(new URL('./src/cli.ts', import.meta.url))],
    outfile: BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Readable output and a linked map: NODE_OPTIONS=--enable-source-maps for .ts lines in
    // stack traces (off by default: Node then parses the map at every start).
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // Workspace packages from their TypeScript sources (the first condition of their
    // package.json exports and of core's `#sha256` imports), never a stale dist/.
    conditions: ['@ringstore/source'],
    plugins: [externalThirdParty, sourceImportMetaUrl]
  })
  const inputs = Object.keys(result.metafile.inputs).sort()
  writeFileSync(INPUTS, `${JSON.stringify(inputs, null, 1)}\n`)
  return result
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const t0 = performance.now()
  try {
    const result = await buildDaemon()
    const files = Object.keys(result.metafile.inputs).length
    const bytes = readFileSync(BUNDLE).length
    console.log(`ringstore: built ${relative(process.cwd(), BUNDLE) || BUNDLE} (${files} sources, ${Math.round(bytes / 1024)} kB) in ${Math.round(performance.now() - t0)} ms`)
  } catch {
    // esbuild has printed the errors.
    process.exitCode = 1
  }
}
