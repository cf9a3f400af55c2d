import assert from 'node:assert/strict'
import { test } from 'node:test'
import { incompatibilities } from './json-schema-compat.ts'

const v1 = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    sum: { type: 'string', pattern: '^-?\\d+$' },
    note: { type: 'string' },
  },
  required: ['id', 'sum'],
  $defs: { headers: { type: 'object', properties: { 'x-id': { type: 'string' } }, required: ['x-id'] } },
}
const copy = () => structuredClone(v1) as typeof v1 & Record<string, unknown>

test('identical, re-described or with a new optional property: compatible', () => {
  assert.deepEqual(incompatibilities(v1, copy()), [])
  const next = copy()
  Object.assign(next.properties, { extra: { type: 'number' } })
  Object.assign(next.properties.id, { description: 'now documented' })
  assert.deepEqual(incompatibilities(v1, next), [])
})

test('a required property removed or made optional', () => {
  const removed = copy()
  delete (removed.properties as Record<string, unknown>).sum
  removed.required = ['id']
  assert.deepEqual(incompatibilities(v1, removed), ['#/sum: required property removed'])
  const optional = copy()
  optional.required = ['id']
  assert.deepEqual(incompatibilities(v1, optional), ['#/sum: no longer required'])
})

test('a new required property, or an optional one made required', () => {
  const added = copy()
  Object.assign(added.properties, { extra: { type: 'string' } })
  added.required = ['id', 'sum', 'extra']
  assert.deepEqual(incompatibilities(v1, added), ['#/extra: new required property'])
  const required = copy()
  required.required = ['id', 'sum', 'note']
  assert.deepEqual(incompatibilities(v1, required), ['#/note: made required'])
})

test('a retyped property, also inside $defs, and a removed definition', () => {
  const retyped = copy()
  retyped.properties.sum = { type: 'number' } as never
  assert.deepEqual(incompatibilities(v1, retyped), [
    '#/sum: type changed from "string" to "number"',
    '#/sum: pattern changed from "^-?\\\\d+$" to none',
  ])
  const header = copy()
  header.$defs.headers.properties['x-id'] = { type: 'string', format: 'uuid' } as never
  assert.deepEqual(incompatibilities(v1, header), [
    '#/$defs/headers/x-id: format changed from none to "uuid"',
  ])
  const gone = copy()
  gone.$defs = {} as never
  assert.deepEqual(incompatibilities(v1, gone), ['#/$defs/headers: definition removed'])
})
