import assert from 'node:assert/strict'
import { test } from 'node:test'
import { grantedLines, strimziAclLines } from './strimzi-acls.ts'

const who = {
  topic: 't',
  deadLetterTopic: 't.dlq',
  consumerGroup: 'g',
  relay: 'r',
  aggregator: 'a',
}

test("summa migrate's grants, in Strimzi's names, per principal", () => {
  assert.deepEqual(grantedLines(who, 'r'), ['Write topic t'])
  assert.deepEqual(grantedLines(who, 'a'), ['Read topic t', 'Read group g', 'Write topic t.dlq'])
  assert.deepEqual(grantedLines(who, 'nobody'), [])
})

test('a KafkaUser rule gives a line per operation; prefix, deny, host and cluster rules differ from literal allows', () => {
  assert.deepEqual(
    strimziAclLines([
      { resource: { type: 'topic', name: 't' }, operations: ['Write', 'Describe'] },
      { resource: { type: 'group', name: 'g', patternType: 'prefix' }, operations: ['Read'] },
      { type: 'deny', resource: { type: 'topic', name: 't', patternType: 'literal' }, operations: ['Read'] },
      { resource: { type: 'topic', name: 't' }, host: '10.0.0.1', operations: ['Read'] },
      { resource: { type: 'cluster' }, operations: ['IdempotentWrite'] },
    ]),
    [
      'Write topic t',
      'Describe topic t',
      'Read group g*',
      'Read topic t (deny)',
      'Read topic t from 10.0.0.1',
      'IdempotentWrite cluster',
    ],
  )
})
