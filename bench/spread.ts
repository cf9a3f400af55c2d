/**
 * How the page reports a figure measured once per run: every run's value, not
 * the best one, with their median, and a verdict that holds only when every
 * run met the target.
 */

/** The middle value, the mean of the two middle ones for an even count; NaN when no run measured it. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * The run whose value is the median: the one the page shows in full. For an
 * even count the lower of the two middle ones, for ties the earliest run; a
 * run that did not measure the value ranks lowest.
 */
export function medianIndex(values: readonly number[]): number {
  const ranked = values
    .map((value, index) => ({ value: Number.isNaN(value) ? -Infinity : value, index }))
    .sort((a, b) => a.value - b.value || a.index - b.index)
  return ranked[Math.floor((ranked.length - 1) / 2)]?.index ?? 0
}

/** "38 %, 41 %, 44 % (median 41 %)": each run's value in run order, then the median; one run's value alone. */
export function formatSpread(values: readonly number[], format: (value: number) => string): string {
  const shown = (value: number): string => (Number.isNaN(value) ? '?' : format(value))
  const each = values.map(shown).join(', ')
  return values.length < 2 ? each : `${each} (median ${shown(median(values))})`
}

/** "yes (3 of 3)" when every run met the target, otherwise "**no** (1 of 3)": how many runs met it. */
export function verdict(met: readonly boolean[]): string {
  const count = met.filter(Boolean).length
  const of = `(${count} of ${met.length})`
  return met.length > 0 && count === met.length ? `yes ${of}` : `**no** ${of}`
}
