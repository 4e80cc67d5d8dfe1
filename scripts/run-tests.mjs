// Runs every test/**/*.test.ts file through node's test runner with tsx.
// Node 20's `--test` does not expand globs, so the file list is built here.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return findTests(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : findTests('test').sort()
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-timeout=60000', ...files],
  { stdio: 'inherit' },
)
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
