// Lint rules. The important ones are the purity fences: `core` has no I/O, no timers, no
// clock and no randomness at all; `peer` reaches time, randomness and the network only
// through the injected Clock and Network, so that the simulator can replay any run.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const impureGlobals = [
  { name: 'setTimeout', message: 'inject a Clock instead (determinism)' },
  { name: 'setInterval', message: 'inject a Clock instead (determinism)' },
  { name: 'setImmediate', message: 'inject a Clock instead (determinism)' },
  { name: 'clearTimeout', message: 'inject a Clock instead (determinism)' },
  { name: 'clearInterval', message: 'inject a Clock instead (determinism)' },
  { name: 'performance', message: 'inject a Clock instead (determinism)' },
  { name: 'fetch', message: 'no I/O here: go through the injected Network' },
  { name: 'process', message: 'no process access here (runs in browsers too)' },
  { name: 'crypto', message: 'use @noble/hashes (identical in browser and Node) or the injected Random' }
]
const impureProperties = [
  { object: 'Date', property: 'now', message: 'inject a Clock instead (determinism)' },
  { object: 'Math', property: 'random', message: 'inject a Random instead (determinism)' }
]
const impureImports = {
  patterns: [
    { group: ['node:*', 'fs', 'fs/*', 'path', 'os', 'net', 'http', 'child_process', 'worker_threads'], message: 'no Node I/O in the engine: it runs in browsers and the simulator' },
    { group: ['libp2p', '@libp2p/*', '@chainsafe/*'], message: 'no libp2p in the engine: use the injected Network' }
  ]
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'packages/daemon/lib/**', 'bench/results/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error'
    }
  },
  {
    files: ['packages/core/src/**/*.ts', 'packages/peer/src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-properties': ['error', ...impureProperties],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: 'inject a Clock instead (determinism)' }],
      'no-restricted-imports': ['error', impureImports]
    }
  },
  {
    // The one place real time enters: the hosts' Clock. The engine never imports it.
    files: ['packages/peer/src/hosts/system-clock.ts'],
    rules: { 'no-restricted-globals': 'off', 'no-restricted-properties': 'off', 'no-restricted-syntax': 'off' }
  },
  {
    // Node's native SHA-256 (computation, not I/O); the browser and the simulator get
    // @noble/hashes through the same `#sha256` import (packages/core/package.json).
    files: ['packages/core/src/sha256-node.ts'],
    rules: { 'no-restricted-imports': 'off' }
  },
  {
    // core is also synchronous: no promises at all.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date']", message: 'inject a Clock instead (determinism)' },
        { selector: 'FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]', message: 'core is synchronous and pure' },
        { selector: "NewExpression[callee.name='Promise']", message: 'core is synchronous and pure' }]
    }
  }
)
