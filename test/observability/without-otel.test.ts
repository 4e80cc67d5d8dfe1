// Without @opentelemetry/api installed: nothing fails, nothing is observed, the channels still work.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'node:test'

const run = promisify(execFile)
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

test('no @opentelemetry/api: the telemetry loads, runs every call, and is observed only through the channels', async () => {
  const { stdout } = await run(process.execPath, ['--require', fixture('hide-otel-api.cjs'), '--import', 'tsx', fixture('without-otel.ts')])
  assert.deepEqual(JSON.parse(stdout), { apiLoaded: false, observedBefore: false, observedWithSubscriber: true, value: 'token', lookups: 1 })
})
