// The targets the package holds itself to, each against what this run measured.
import { formatCount, formatRatio } from '../lib/stats.js'
import type { Results } from '../results.js'
import { callMedian, freshRatio, jwtRatio, ok, rangeText, serverRatio, stampedeRounds, wallNs } from './figures.js'
import { discoveryRatio, lifetimeTotals } from './discovery.js'
import { dpopHitRatio, dpopRequestRatio } from './dpop.js'
import { fleetTargets } from './fleet.js'
import { observabilityTargets } from './observability.js'
import type { Table } from './table.js'

export interface Target {
  readonly what: string
  readonly target: string
  readonly measured: string
  /** `undefined` when it could not be measured. */
  readonly met: boolean | undefined
}

/** A target on a ratio: at most (`≤`) or at least (`≥`) `bound`. */
function ratioTarget(what: string, ratio: number, direction: '≤' | '≥', bound: number): Target {
  return {
    what,
    target: `${direction} ${bound}x`,
    measured: formatRatio(ratio),
    met: Number.isFinite(ratio) ? (direction === '≤' ? ratio <= bound : ratio >= bound) : undefined,
  }
}

export function targets(results: Results): Target[] {
  const list: Target[] = []
  if (results.cached['token-client'] !== undefined) {
    const cachedRatio = callMedian(results.cached['token-client']) / callMedian(results.cached.floor)
    list.push(ratioTarget('1. Cached getToken vs awaited Map lookup', cachedRatio, '≤', 2))
  }
  if (results.stampede['token-client'] !== undefined) {
    for (const size of results.settings.stampedeSizes) {
      const rounds = stampedeRounds(results.stampede['token-client'], size)
      const requests = rounds.map((round) => round.requests)
      const failed = rounds.reduce((sum, round) => sum + round.failed, 0)
      list.push({
        what: `2. Cold stampede of ${formatCount(size)}: token requests`,
        target: '1',
        measured: rounds.length === 0 ? 'n/a' : `${rangeText(requests)} (in each of ${rounds.length} rounds)${failed > 0 ? `, ${failed} calls failed` : ''}`,
        met: rounds.length === 0 ? undefined : requests.every((count) => count === 1) && failed === 0,
      })
    }
  }
  if (results.fresh['token-client'] !== undefined) {
    list.push(ratioTarget('3. Fresh acquisition vs raw undici.request', freshRatio(results, 'token-client', wallNs), '≤', 1.1))
  }
  if (results.jwt?.['jwt-token-client'] !== undefined) {
    list.push(
      ratioTarget('3b. Fresh acquisition, private_key_jwt (ES256) vs raw undici.request + one jose SignJWT', jwtRatio(results, 'jwt-token-client', wallNs), '≤', 1.1),
    )
  }
  if (results.discovery?.lifetime !== undefined) {
    const lifetime = ok(results.discovery.lifetime)
    const totals = lifetime === undefined ? undefined : lifetimeTotals(lifetime)
    list.push({
      what: "3c. Discovery (issuer): metadata requests over one client's lifetime",
      target: '1 per client lifetime',
      measured: totals === undefined ? 'n/a' : `${formatCount(totals.metadataRequests)} for ${formatCount(totals.tokenRequests)} tokens`,
      met: totals === undefined ? undefined : totals.metadataRequests === 1,
    })
  }
  if (results.discovery?.fresh?.['discovery-issuer'] !== undefined) {
    list.push(ratioTarget('3c. Fresh acquisition with issuer vs with tokenUrl', discoveryRatio(results, 'discovery-issuer', wallNs), '≤', 1.05))
  }
  if (results.dpop?.request?.['dpop-auth-fetch'] !== undefined) {
    list.push(
      ratioTarget('3d. DPoP request, cached token: createAuthFetch vs undici fetch + one jose SignJWT (ES256)', dpopRequestRatio(results, 'dpop-auth-fetch', wallNs), '≤', 1.2),
    )
  }
  if (results.dpop?.hit !== undefined) {
    list.push(ratioTarget('3d. Cached getToken with DPoP vs without', dpopHitRatio(ok(results.dpop.hit)), '≤', 1.05))
  }
  if (results.servers['reference-opaque'] !== undefined) {
    list.push(
      ratioTarget('5. Reference server (opaque) tokens/s vs oidc-provider', serverRatio(results, 'reference-opaque', 'oidc-provider'), '≥', 2.5),
      ratioTarget('5. Reference server (opaque) tokens/s vs bare node:http', serverRatio(results, 'reference-opaque', 'bare-http'), '≥', 0.6),
    )
  }
  list.push(...fleetTargets(results))
  list.push(...observabilityTargets(results, ratioTarget))
  return list
}

const metText = (met: boolean | undefined): string => (met === undefined ? 'not measured' : met ? 'met' : 'NOT met')

export function targetsTable(results: Results): Table {
  return {
    title: 'Targets',
    headers: ['what', 'target', 'measured', ''],
    align: 'lrrl',
    rows: targets(results).map((target) => [target.what, target.target, target.measured, metText(target.met)]),
    notes: results.settings.quick
      ? ['quick run: rounds this short leave the JIT cold and the machine unsettled; judge the targets on a full run']
      : [],
  }
}
