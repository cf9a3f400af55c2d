/**
 * The rules of one target's rate sweep, fed one rate at a time in increasing
 * order: how many attempts a rate gets, whether the sweep goes on, and the two
 * rates the report gives.
 */
export class Sweep {
  /** Highest rate that passed with every lower rate passed too (0: none). */
  sustained = 0
  /** Highest rate the target kept up with, whatever its p99 (0: none). */
  capacity = 0
  /** Set once the target stopped keeping up: higher rates are not tried. */
  done = false
  #previousPassed = true
  #allPassed = true

  /**
   * A failed step is tried once more, unless the rate below failed too: then
   * the target is past its limit and a second try would only cost time.
   */
  get attempts(): number {
    return this.#previousPassed ? 2 : 1
  }

  /** Records a rate's final verdict: `passed` (p99 and errors) and `keptUp` (throughput). */
  record(rate: number, passed: boolean, keptUp: boolean): void {
    // A lucky step above a failed one does not raise the sustained rate.
    this.#allPassed &&= passed
    if (this.#allPassed) this.sustained = rate
    this.#previousPassed = passed
    // Past the p99 limit the sweep goes on while the target keeps up with the offered rate, so the
    // chart shows where each one saturates even when other load on the machine spoils p99.
    if (keptUp) this.capacity = rate
    else this.done = true
  }
}
