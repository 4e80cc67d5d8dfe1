// Builds dist/ when it is missing or older than src/, once, even when several test files ask at
// the same time (node --test runs files in parallel: two tsc runs writing dist/ at once would let
// one test read half-written files). A directory is the lock: mkdir is atomic.
import { execFile } from 'node:child_process'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
const LOCK = join(REPO, 'node_modules', '.cache', 'oauth2-client-credentials-build.lock')
const STALE_LOCK_MS = 120_000

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

/** The first source file whose compiled .js is missing or older than it; undefined when dist/ is current. */
export async function staleSource(): Promise<string | undefined> {
  for (const source of await sources(join(REPO, 'src'))) {
    const compiled = join(REPO, 'dist', relative(join(REPO, 'src'), source)).replace(/\.ts$/, '.js')
    const [from, to] = await Promise.all([stat(source), stat(compiled).catch(() => undefined)])
    if (to === undefined || to.mtimeMs < from.mtimeMs) return relative(REPO, source)
  }
  return undefined
}

async function lock(): Promise<void> {
  await mkdir(join(LOCK, '..'), { recursive: true })
  for (;;) {
    try {
      await mkdir(LOCK)
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const held = await stat(LOCK).catch(() => undefined)
      if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true })
      await sleep(50)
    }
  }
}

/** Runs `npm run build` unless dist/ is current. Resolves when dist/ can be used. */
export async function ensureBuilt(): Promise<void> {
  await lock()
  try {
    if ((await staleSource()) !== undefined) {
      await promisify(execFile)('npm', ['run', 'build'], { cwd: REPO, timeout: 60_000 })
    }
  } finally {
    await rm(LOCK, { recursive: true, force: true })
  }
}
