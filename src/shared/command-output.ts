/** Where a command prints: its result to `out` (stdout), diagnostics to `err` (stderr). */
export interface Output {
  out: (line: string) => void
  err: (line: string) => void
}
