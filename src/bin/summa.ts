#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { addCommand, migrateCommand, totalCommand } from '../cli/commands.ts'
import { isServiceName, runService } from '../cli/run-service.ts'
import { runUp } from '../cli/up.ts'
import { type Config, loadConfig } from '../shared/config.ts'
import { SummaError } from '../shared/errors.ts'

const usage = `summa: a gRPC calculator whose sums reach a running total exactly once.

Usage:
  summa up                          run everything (broker, calculator, relay, aggregator) until Ctrl-C
  summa add NUM1 NUM2 [--id UUID]   call Add; reusing --id replays the first answer
  summa total                       print GET /total
  summa migrate [--no-topics]       create the database schema (and the Kafka topics)
  summa calculator|relay|aggregator run one service in the foreground
  summa load [options]              drive load and report latency (summa load --help)

Configuration comes from environment variables; see the README for each and its default.`

const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) }

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(usage)
    return command === undefined ? 2 : 0
  }
  const config = loadConfig(process.env)
  if (isServiceName(command)) {
    await runService(command, config)
    return -1 // the service owns the process from here; it exits on a signal
  }
  switch (command) {
    case 'up':
      return runUp(config, process.env)
    case 'add':
      return addCommandFromArgs(config, rest)
    case 'total':
      return totalCommand(config, io)
    case 'migrate': {
      const { values } = parseArgs({ args: rest, options: { 'no-topics': { type: 'boolean' } } })
      return migrateCommand(config, io, { topics: values['no-topics'] !== true })
    }
    case 'load': {
      // Imported on demand: service processes start from this file too and need not carry the load tool.
      const { loadCommand } = await import('../load/load-command.ts')
      return loadCommand(config, rest, {
        ...io,
        progress: (line) => process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`),
      })
    }
    default:
      io.err(`unknown command: ${command}\n\n${usage}`)
      return 2
  }
}

/** Parsed by hand: `summa add -5 3` must read -5 as a number, not as an option. */
function addCommandFromArgs(config: Config, args: string[]): Promise<number> {
  const numbers: string[] = []
  let id: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--id') id = args[++i]
    else if (arg.startsWith('--id=')) id = arg.slice('--id='.length)
    else numbers.push(arg)
  }
  if (numbers.length !== 2) {
    io.err('usage: summa add NUM1 NUM2 [--id UUID]')
    return Promise.resolve(2)
  }
  return addCommand(config, { num1: numbers[0]!, num2: numbers[1]!, ...(id === undefined ? {} : { id }) }, io)
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (error: unknown) => {
    const summa = SummaError.from(error)
    console.error(summa.code === 'INTERNAL' ? error : `summa: ${summa.message}`)
    process.exitCode = 1
  },
)
