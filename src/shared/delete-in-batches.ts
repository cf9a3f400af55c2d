/**
 * Runs a bounded delete until it deletes fewer rows than its limit. Each step
 * is its own short transaction (no long locks), and a backlog larger than one
 * step is still cleared in one housekeeping run instead of growing under load.
 */
export async function deleteInBatches(step: () => Promise<number>, limit: number): Promise<number> {
  let total = 0
  for (;;) {
    const deleted = await step()
    total += deleted
    if (deleted < limit) return total
  }
}
