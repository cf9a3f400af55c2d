import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { loadNodeFlags } from '../src/cli/service-runtime.ts'
import type { LoadReport } from '../src/load/load-report.ts'
import { BenchProcess } from './bench-process.ts'
import { summaCli } from './bench-session.ts'

/** Runs one `summa load` with `args`; `name` names its JSON report in the log dir. */
export type RunLoad = (args: string[], name: string) => Promise<LoadReport>

/**
 * `summa load` in a process of its own, as a user runs it, so that its CPU is
 * counted apart from the servers'. Its reports and output stay in `logs`.
 */
export function loadRunner(logs: string, env: NodeJS.ProcessEnv): RunLoad {
  return async (args, name) => {
    const json = path.join(logs, `load-${name}.json`)
    const child = new BenchProcess(
      `load-${name}`,
      process.execPath,
      // With the V8 settings `bin/summa load` uses: the client's own pauses count in what it measures.
      [...loadNodeFlags, summaCli, 'load', ...args, '--quiet', '--json', json],
      env,
      `${logs}/load.log`,
    )
    const code = await child.exited
    // 1 is a breached threshold, which the bench judges itself from the report.
    if (code !== 0 && code !== 1) throw new Error(`summa load exited ${code}; see ${logs}/load.log`)
    return JSON.parse(await readFile(json, 'utf8')) as LoadReport
  }
}
