import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { describe, it } from 'node:test'
import { createLogger } from './logger.ts'
import { type ExitingProcess, exitBySignal, onStopSignals } from './stop-signals.ts'

describe('onStopSignals', () => {
  it('takes repeats within the window as the first signal, and a later one as "stop now"', () => {
    const signals = new EventEmitter()
    let clock = 0
    const calls: string[] = []
    const remove = onStopSignals({
      graceful: (signal) => calls.push(`graceful ${signal}`),
      force: (signal) => calls.push(`force ${signal}`),
      log: createLogger({ level: 'silent', service: 'test' }),
      repeatWindowMs: 1000,
      signals,
      now: () => clock,
    })
    signals.emit('SIGINT', 'SIGINT')
    clock = 5
    signals.emit('SIGTERM', 'SIGTERM')
    clock = 999
    signals.emit('SIGINT', 'SIGINT')
    assert.deepEqual(calls, ['graceful SIGINT'])
    clock = 1000
    signals.emit('SIGTERM', 'SIGTERM')
    assert.deepEqual(calls, ['graceful SIGINT', 'force SIGTERM'])
    remove()
    assert.equal(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM'), 0)
  })
})

describe('exitBySignal', () => {
  it('removes the handlers, then exits and raises the signal from the last exit listener', () => {
    const calls: string[] = []
    const target = new EventEmitter()
    const fake = Object.assign(target, {
      pid: 4242,
      kill: (pid: number, signal: string) => {
        calls.push(`kill ${pid} ${signal}`)
        return true
      },
      exit: (code: number) => {
        calls.push(`exit ${code}`)
        target.emit('exit', code)
      },
    }) as unknown as ExitingProcess
    // Like pino's flush on exit: registered earlier, so it runs before the signal is raised.
    target.once('exit', () => calls.push('log flushed'))
    exitBySignal('SIGTERM', () => calls.push('handlers removed'), fake)
    assert.deepEqual(calls, ['handlers removed', 'exit 143', 'log flushed', 'kill 4242 SIGTERM'])
  })
})
