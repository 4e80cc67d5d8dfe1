// The chart of docs/benchmarks.svg: a panel of bars per section, the floor grey, this package blue,
// the others orange.
import { MEMORY_SCOPES } from '../config.js'
import type { Outcome } from '../lib/child.js'
import { formatBytes, formatCount, formatNs, formatRatio, max, median, min } from '../lib/stats.js'
import type { Results } from '../results.js'
import { CLIENTS, type ClientId } from '../subjects/clients.js'
import { SERVERS, type ServerKind } from '../subjects/servers.js'
import { callMedian, freshRatio, latency, ok, roundsMedian, serverRatio, stampedeRounds, wallNs } from './figures.js'

interface Bar {
  readonly label: string
  /** NaN when failed or not run. */
  readonly value: number
  readonly text: string
  readonly kind: 'floor' | 'ours' | 'other'
}

interface Panel {
  readonly title: string
  readonly scale: 'log' | 'linear'
  readonly bars: readonly Bar[]
}

const COLORS = { floor: '#9aa5b1', ours: '#2b6cb0', other: '#dd8a3c' } as const

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

function kindOf(id: ClientId): Bar['kind'] {
  return id === 'floor' ? 'floor' : id === 'token-client' ? 'ours' : 'other'
}

function panels(results: Results): Panel[] {
  const list: Panel[] = []
  const clientBars = (
    outcomes: Partial<Record<ClientId, Outcome<unknown>>>,
    value: (id: ClientId) => number,
    text: (id: ClientId, value: number) => string,
    floorLabel?: string,
  ): Bar[] =>
    CLIENTS.filter((client) => outcomes[client.id] !== undefined).map((client) => {
      const amount = value(client.id)
      return {
        label: client.id === 'floor' && floorLabel !== undefined ? floorLabel : client.label,
        value: amount,
        text: Number.isFinite(amount) ? text(client.id, amount) : 'failed',
        kind: kindOf(client.id),
      }
    })
  if (Object.keys(results.cached).length > 0) {
    const floor = callMedian(results.cached.floor)
    list.push({
      title: 'Repeated (cached) call: time per call, log scale (shorter is better)',
      scale: 'log',
      bars: clientBars(
        results.cached,
        (id) => callMedian(results.cached[id]),
        (_, ns) => `${formatNs(ns)} (${formatRatio(ns / floor)})`,
        'floor: awaited Map lookup',
      ),
    })
  }
  const biggest = max(results.settings.stampedeSizes as number[])
  if (Object.keys(results.stampede).length > 0) {
    list.push({
      title: `Cold stampede of ${formatCount(biggest)} calls: token requests the server saw, log scale (fewer is better)`,
      scale: 'log',
      bars: clientBars(
        results.stampede,
        (id) => {
          const rounds = stampedeRounds(results.stampede[id], biggest)
          return rounds.length === 0 ? Number.NaN : median(rounds.map((round) => round.requests))
        },
        (id, requests) => {
          const rounds = stampedeRounds(results.stampede[id], biggest)
          return `${formatCount(requests)} in ${formatNs(median(rounds.map((round) => round.ms)) * 1e6)}`
        },
        'floor: one shared raw request',
      ),
    })
  }
  if (Object.keys(results.fresh).length > 0) {
    list.push({
      title: 'Fresh acquisition: time per new token, one at a time (shorter is better)',
      scale: 'linear',
      bars: clientBars(
        results.fresh,
        (id) => callMedian(results.fresh[id]),
        (id, ns) => `${formatNs(ns)} (${formatRatio(freshRatio(results, id, wallNs))})`,
        'floor: raw undici.request',
      ),
    })
  }
  if (Object.keys(results.memory).length > 0) {
    const floor = roundsMedian(results.memory.floor, (round) => round.heapBytes)
    list.push({
      title: `Memory: heap with ${formatCount(MEMORY_SCOPES)} cached scopes (smaller is better)`,
      scale: 'linear',
      bars: clientBars(
        results.memory,
        (id) => roundsMedian(results.memory[id], (round) => round.heapBytes),
        (id, bytes) => {
          const filled = min((ok(results.memory[id]) ?? []).map((round) => round.filled))
          return filled < MEMORY_SCOPES
            ? `${formatBytes(bytes)} for only ${formatCount(filled)} scopes (filling slowed down)`
            : `${formatBytes(bytes)} (${formatRatio(bytes / floor)})`
        },
        'floor: Map of scope to token',
      ),
    })
  }
  if (Object.keys(results.servers).length > 0) {
    const tps = (kind: ServerKind) => roundsMedian(results.servers[kind], (round) => round.tokensPerSecond)
    list.push({
      title: 'Token servers: tokens per second under the same load (longer is better)',
      scale: 'linear',
      bars: SERVERS.filter((server) => results.servers[server.kind] !== undefined).map(({ kind, label }) => ({
        label,
        value: tps(kind),
        text: Number.isFinite(tps(kind))
          ? `${formatCount(tps(kind))}/s (${formatRatio(serverRatio(results, kind, 'bare-http'))}), p99 ${latency(roundsMedian(results.servers[kind], (round) => round.p99Ms))}`
          : 'failed',
        kind: kind === 'bare-http' ? 'floor' : kind.startsWith('reference') ? 'ours' : 'other',
      })),
    })
  }
  return list
}

export function renderSvg(results: Results): string {
  const width = 960
  const labelWidth = 290
  const barArea = 430
  const rowHeight = 22
  const parts: string[] = []
  let y = 0
  const { machine } = results
  parts.push(
    `<text x="16" y="${(y += 28)}" font-size="16" font-weight="bold">oauth2-client-credentials benchmarks</text>`,
    `<text x="16" y="${(y += 20)}" font-size="12" fill="#555">${escapeXml(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}${results.settings.quick ? ', quick run' : ''}; ratios are to the floor (grey)`)}</text>`,
  )
  for (const panel of panels(results)) {
    y += 30
    parts.push(`<text x="16" y="${y}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`)
    y += 8
    const values = panel.bars.map((bar) => bar.value).filter((value) => Number.isFinite(value) && value > 0)
    const top = values.length === 0 ? 1 : Math.max(...values)
    const bottom = values.length === 0 ? 1 : Math.min(...values)
    const length = (value: number): number => {
      if (!Number.isFinite(value) || value <= 0) return 0
      if (panel.scale === 'linear') return (value / top) * barArea
      // Log scale from a decade below the smallest value, so that the smallest bar still shows.
      const low = Math.log10(bottom) - 1
      const high = Math.log10(top)
      return ((Math.log10(value) - low) / Math.max(high - low, 1e-9)) * barArea
    }
    for (const bar of panel.bars) {
      const barLength = Math.max(length(bar.value), Number.isFinite(bar.value) ? 2 : 0)
      const middle = y + rowHeight / 2 + 4
      parts.push(
        `<text x="${labelWidth - 8}" y="${middle}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${barLength.toFixed(1)}" height="${rowHeight - 6}" fill="${COLORS[bar.kind]}"/>`,
        `<text x="${(labelWidth + barLength + 6).toFixed(1)}" y="${middle}" font-size="12" fill="#222">${escapeXml(bar.text)}</text>`,
      )
      y += rowHeight
    }
  }
  y += 16
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`
}
