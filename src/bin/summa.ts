#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { failureMessage } from '../cli/failure-message.ts'
import { type Config, loadConfig } from '../shared/config.ts'
import { parseInt64 } from '../shared/int64.ts'
import { redactSecrets } from '../shared/redact.ts'
import { isServiceName, runService } from './run-service.ts'

const usage = `summa: a gRPC calculator whose sums reach a running total exactly once.

Usage:
  summa up                          run everything (broker, calculator, relay, aggregator) until Ctrl-C
    [--replicas N | --calculators N --relays N --aggregators N]   N of each (ports +100 per replica)
  summa add NUM1 NUM2 [--id UUID]   call Add; reusing --id replays the first answer
  summa total                       print GET /total
  summa migrate [--no-topics]       create the database schema (and the Kafka topics)
  summa reset --yes                 delete every request, event and total in the database
  summa calculator|relay|aggregator run one service in the foreground
  summa verify --ledger FILE [--audit FILE]… [--settle-ms N]
                                    compare a client ledger with what was applied; exit 1 on any anomaly
                                    (--audit once per aggregator's audit.jsonl, or an export)
  summa audit export [--out FILE]   the whole audit log from PostgreSQL: every applied event once, in order
  summa dlq redrive [--skip-invalid] [--dry-run]
                                    send dead letters that decode now back to their topic
  summa load [options]              drive load and report latency (summa load --help)
  summa health URL [--timeout-ms N] exit 0 when URL answers 2xx (a container healthcheck)
  summa keys create --scopes add,read [--id NAME]
                                    make an API key; prints it once and the entry to configure
  summa --version                   print the version

add, total, load, reset and dlq take --api-key KEY (else SUMMA_API_KEY) when API keys are configured.
Configuration comes from environment variables; see the README for each and its default.`

const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) }

// Every command's modules are imported when that command runs: the three services
// start from this file too, and a service process should carry only its own code
// (the calculator neither the Kafka client nor the tools).
async function main(argv: string[]): Promise<number> {
  const [command, ...commandArgs] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(usage)
    return command === undefined ? 2 : 0
  }
  if (command === '--version' || command === '-v') {
    const { packageVersion } = await import('../shared/version.ts')
    io.out(packageVersion())
    return 0
  }
  const config = loadConfig(process.env)
  // Every client command takes the key the same way; taken out before each parses its own options.
  const { takeApiKey } = await import('../cli/credentials.ts')
  const { apiKey, args: rest } = takeApiKey(commandArgs, config)
  if (isServiceName(command)) {
    await runService(command, config)
    return -1 // the service owns the process from here; it exits on a signal
  }
  switch (command) {
    case 'up': {
      const { runUp } = await import('../cli/up.ts')
      const { parseReplicaCounts } = await import('../cli/replica-plan.ts')
      return runUp(config, process.env, parseReplicaCounts(rest))
    }
    case 'add':
      return addCommandFromArgs(config, rest, apiKey)
    case 'total':
      return (await import('../cli/total-command.ts')).totalCommand(config, io, apiKey)
    case 'reset':
      return (await import('../cli/reset-command.ts')).resetCommand(
        config,
        io,
        rest.includes('--yes'),
        apiKey,
      )
    case 'keys': {
      const { keysCommand } = await import('../cli/keys-command.ts')
      return keysCommand(rest, io)
    }
    case 'migrate': {
      const { values } = parseArgs({ args: rest, options: { 'no-topics': { type: 'boolean' } } })
      const { migrateCommand } = await import('../cli/migrate-command.ts')
      return migrateCommand(config, io, { topics: values['no-topics'] !== true })
    }
    case 'verify': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ledger: { type: 'string' },
          audit: { type: 'string', multiple: true },
          'settle-ms': { type: 'string' },
        },
      })
      if (values.ledger === undefined) {
        io.err('usage: summa verify --ledger FILE [--audit FILE]… [--settle-ms N]')
        return 2
      }
      const settleMs = Number(values['settle-ms'] ?? 0)
      const { verifyCommand } = await import('../verify/verify-command.ts')
      return verifyCommand(
        config,
        { ledger: values.ledger, settleMs, ...(values.audit === undefined ? {} : { audit: values.audit }) },
        io,
      )
    }
    case 'audit': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { out: { type: 'string' } },
      })
      if (positionals[0] !== 'export') {
        io.err('usage: summa audit export [--out FILE]')
        return 2
      }
      const { auditExportCommand } = await import('../cli/audit-export.ts')
      return auditExportCommand(config, values.out === undefined ? {} : { out: values.out }, io)
    }
    case 'dlq': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { 'skip-invalid': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
      })
      if (positionals[0] !== 'redrive') {
        io.err('usage: summa dlq redrive [--skip-invalid] [--dry-run]')
        return 2
      }
      const { requireAdminKey } = await import('../cli/credentials.ts')
      requireAdminKey(config, apiKey, 'summa dlq redrive')
      const { dlqRedriveCommand } = await import('../dlq/redrive-command.ts')
      return dlqRedriveCommand(
        config,
        { skipInvalid: values['skip-invalid'] === true, dryRun: values['dry-run'] === true },
        io,
      )
    }
    case 'health': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { 'timeout-ms': { type: 'string' } },
      })
      const timeoutMs = Number(values['timeout-ms'] ?? 2000)
      if (positionals.length !== 1 || !/^https?:\/\//.test(positionals[0]!) || !(timeoutMs > 0)) {
        io.err('usage: summa health URL [--timeout-ms N]')
        return 2
      }
      const { healthCommand } = await import('../cli/health-command.ts')
      return healthCommand(positionals[0]!, timeoutMs, io)
    }
    case 'load': {
      const { loadCommand } = await import('../load/load-command.ts')
      return loadCommand(config, rest, apiKey, {
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
async function addCommandFromArgs(
  config: Config,
  args: string[],
  apiKey: string | undefined,
): Promise<number> {
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
    return 2
  }
  for (const [name, text] of [
    ['NUM1', numbers[0]!],
    ['NUM2', numbers[1]!],
  ] as const) {
    if (parseInt64(text) === undefined) {
      io.err(
        `summa add: ${name} must be an integer from -9223372036854775808 to 9223372036854775807, got ${JSON.stringify(text)}`,
      )
      return 2
    }
  }
  const { addCommand } = await import('../cli/add-command.ts')
  return addCommand(
    config,
    { num1: numbers[0]!, num2: numbers[1]!, ...(id === undefined ? {} : { id }) },
    io,
    apiKey,
  )
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (error: unknown) => {
    // One line, credentials masked: a wrong password or a database that does not answer is
    // an operator's problem to fix, not a bug, and a stack would bury the one useful line.
    const command = process.argv[2] ?? ''
    console.error(`summa ${command}: ${failureMessage(error)}`)
    const level = process.env.SUMMA_LOG_LEVEL
    if ((level === 'debug' || level === 'trace') && error instanceof Error && error.stack !== undefined) {
      console.error(redactSecrets(error.stack))
    }
    process.exitCode = 1
  },
)
