// Medians and formatting.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values)
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values)
}

/** A duration given in nanoseconds, in the unit that suits it: `85 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a'
  if (ns < 1_000) return `${ns.toFixed(ns < 10 ? 1 : 0)} ns`
  if (ns < 1_000_000) return `${significant(ns / 1_000)} µs`
  if (ns < 1_000_000_000) return `${significant(ns / 1_000_000)} ms`
  return `${significant(ns / 1_000_000_000)} s`
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a'
  const sign = bytes < 0 ? '-' : ''
  const size = Math.abs(bytes)
  if (size < 1024) return `${sign}${size.toFixed(0)} B`
  if (size < 1024 * 1024) return `${sign}${significant(size / 1024)} KiB`
  return `${sign}${significant(size / 1024 / 1024)} MiB`
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a'
  if (ratio >= 100) return `${Math.round(ratio).toLocaleString('en-US')}x`
  if (ratio >= 10) return `${ratio.toFixed(1)}x`
  return `${ratio.toFixed(2)}x`
}

export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a'
}

/** Three significant digits, without exponent notation. */
export function significant(value: number): string {
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

/** The spread of rounds around the median: `±4%` (half the min-max range, relative to the median). */
export function formatSpread(values: readonly number[]): string {
  if (values.length < 2) return ''
  const middle = median(values)
  if (!(middle > 0)) return ''
  return `±${Math.round(((max(values) - min(values)) / 2 / middle) * 100)}%`
}

/** The value below which a share `q` (0 to 1) of `values` falls (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

/** Median, p90, p99 and max of `values`, and how many there were. */
export function quantiles(values: readonly number[]): { count: number; median: number; p90: number; p99: number; max: number } {
  return { count: values.length, median: median(values), p90: quantile(values, 0.9), p99: quantile(values, 0.99), max: max(values) }
}
