// The fault matrix: one test per way the token endpoint can fail. Each asserts the
// client's outcome (a token after N attempts within the deadline, or a typed error at once), how many
// requests the server saw, and so that nothing final is ever retried. The cells live in
// scripts/soak/fault-cells.ts; `npx tsx scripts/soak/fault-matrix-table.ts` prints them as a table.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CELLS, mismatches } from '../../scripts/soak/fault-cells.js'

const GROUPS = {
  connection: 'connection faults',
  status: 'statuses',
  body: 'bodies of a 200',
  oauth: 'OAuth errors',
  redirect: 'redirects',
} as const

for (const [group, title] of Object.entries(GROUPS)) {
  describe(`fault matrix: ${title}`, () => {
    for (const cell of CELLS.filter((candidate) => candidate.group === group)) {
      test(cell.name, async () => {
        const run = await cell.run()
        assert.deepEqual(mismatches(cell, run), [], `${cell.name} (${cell.injectedBy})`)
        if (run.outcome !== 'token') {
          // A typed error, and final ones come after exactly one request.
          assert.equal(run.error?.code, run.outcome)
          if (!['TRANSPORT_ERROR', 'TIMEOUT'].includes(run.outcome) && !/^(OAuthError|UnexpectedStatusError) (5\d\d|408|429)\b/.test(run.detail)) {
            assert.equal(run.requests, 1, 'a final error is never retried')
          }
        }
      })
    }
  })
}

test('fault matrix: every fault the issue lists has a cell', () => {
  const names = CELLS.map((cell) => cell.name).join('\n')
  for (const needed of [
    /refused/, /reset before headers/, /reset after headers/, /slow headers past/, /slow body/, /truncated body/,
    /^500/m, /^502/m, /^503/m, /^504/m, /503 with Retry-After: 2/, /503 with Retry-After as an HTTP date/,
    /429 with Retry-After: 2/, /429 with Retry-After as an HTTP date/, /200 with an HTML page/, /labelled/,
    /over the cap/, /invalid JSON/, /expires_in as a string/, /expires_in missing/, /expires_in negative/,
    /token_type "N_A"/, /invalid_request/, /invalid_client/, /invalid_grant/, /unauthorized_client/,
    /unsupported_grant_type/, /invalid_scope/, /invalid_target/, /to another origin/,
  ]) {
    assert.match(names, needed)
  }
})
