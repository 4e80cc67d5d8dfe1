// Runs the type-level tests (options.test-d.ts) with a consumer's usual settings: strict, without
// exactOptionalPropertyTypes. `npm run typecheck` checks the same file with the repository's stricter ones.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url))

test('wrong option types fail to compile, right ones compile (tsc -p test/types/tsconfig.json)', { timeout: 60_000 }, async () => {
  const result = await promisify(execFile)(process.execPath, [TSC, '-p', 'test/types/tsconfig.json'], { cwd: REPO }).catch(
    (error: { stdout?: string; stderr?: string }) => error,
  )
  assert.equal(`${result.stdout ?? ''}${result.stderr ?? ''}`, '', 'tsc reports nothing')
})

test('the type tests still hold their refusals', async () => {
  const source = await readFile(new URL('./options.test-d.ts', import.meta.url), 'utf8')
  const refusals = source.split('\n').filter((line) => line.trimStart().startsWith('// @ts-expect-error')).length
  assert.ok(refusals >= 30, `${refusals} @ts-expect-error lines`)
})
