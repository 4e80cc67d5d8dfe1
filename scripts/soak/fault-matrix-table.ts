// Runs every cell of the fault matrix (scripts/soak/fault-cells.ts) and prints what was
// measured as a markdown table, for docs/reliability.md. Exits 1 when a cell disagrees with what
// the test expects.
//
//   npx tsx scripts/soak/fault-matrix-table.ts > /tmp/matrix.md
import { CELLS, MATRIX_RETRY, mismatches, outcomeText } from './fault-cells.js'

const GROUP_TITLES = {
  connection: 'Connection',
  status: 'Status',
  body: '200 body',
  oauth: 'OAuth error',
  redirect: 'Redirect',
} as const

const escape = (text: string): string => text.replaceAll('|', '\\|')

const lines = [
  `Client: \`retry: { retries: ${MATRIX_RETRY.retries}, minDelayMs: ${MATRIX_RETRY.minDelayMs}, maxDelayMs: ${MATRIX_RETRY.maxDelayMs}, ` +
    `attemptTimeoutMs: ${MATRIX_RETRY.attemptTimeoutMs}, deadlineMs: ${MATRIX_RETRY.deadlineMs} }\`, a test clock whose \`sleep\` ` +
    'advances time (so `Retry-After` waits are recorded, not slept), a fresh reference server per row.',
  '',
  '| | Fault | Injected by | Client outcome | Requests the server saw | Time |',
  '| --- | --- | --- | --- | ---: | ---: |',
]
let failed = 0
for (const cell of CELLS) {
  const run = await cell.run()
  const problems = mismatches(cell, run)
  if (problems.length > 0) {
    failed++
    process.stderr.write(`MISMATCH ${cell.name}: ${problems.join('; ')}\n`)
  }
  const waited = run.waitedMs.length > 0 ? `, waited ${run.waitedMs.map((ms) => `${ms / 1000} s`).join(', ')} (Retry-After)` : ''
  const stray = run.strayRequests !== undefined ? `; redirect target contacted ${run.strayRequests}×` : ''
  lines.push(
    `| ${GROUP_TITLES[cell.group]} | ${escape(cell.name)} | ${escape(cell.injectedBy)} | ${escape(outcomeText(cell, run).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT'))}${waited}${stray} | ${run.requests} | ${run.elapsedMs} ms |`,
  )
}
process.stdout.write(lines.join('\n') + '\n')
if (failed > 0) {
  process.stderr.write(`${failed} cell(s) disagree with test/reliability/fault-matrix.test.ts\n`)
  process.exitCode = 1
}
