import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LazyAbortController, type AbortListener } from '../../src/abort/lazy-abort-controller.js'

function recorder(calls: string[], name: string): AbortListener {
  return { handleEvent: () => calls.push(name) }
}

test('abort() tells each listener once, in the order added, and only the first reason counts', () => {
  const controller = new LazyAbortController()
  const calls: string[] = []
  const a = recorder(calls, 'a')
  controller.signal.addEventListener('abort', a)
  controller.signal.addEventListener('abort', recorder(calls, 'b'))
  controller.signal.addEventListener('abort', a)
  assert.equal(controller.signal.aborted, false)
  controller.signal.throwIfAborted()
  const reason = new Error('first')
  controller.abort(reason)
  controller.abort(new Error('second'))
  assert.deepEqual(calls, ['a', 'b'])
  assert.equal(controller.signal.aborted, true)
  assert.equal(controller.signal.reason, reason)
  assert.throws(() => controller.signal.throwIfAborted(), (error: unknown) => error === reason)
})

test('a removed listener, or one added after the abort, is not called', () => {
  const controller = new LazyAbortController()
  const calls: string[] = []
  const removed = recorder(calls, 'removed')
  controller.signal.addEventListener('abort', removed)
  controller.signal.addEventListener('abort', recorder(calls, 'kept'))
  controller.signal.removeEventListener('abort', removed)
  controller.signal.removeEventListener('abort', recorder(calls, 'never added'))
  controller.abort(new Error('stop'))
  controller.signal.addEventListener('abort', recorder(calls, 'late'))
  assert.deepEqual(calls, ['kept'])
})

test('toAbortSignal() makes one AbortSignal that follows the abort, made before or after it', () => {
  const before = new LazyAbortController()
  const signal = before.signal.toAbortSignal()
  assert.equal(before.signal.toAbortSignal(), signal, 'the same signal every time')
  let fired = 0
  signal.addEventListener('abort', () => fired++)
  const reason = new Error('gone')
  before.abort(reason)
  assert.equal(fired, 1)
  assert.equal(signal.aborted, true)
  assert.equal(signal.reason, reason)

  const after = new LazyAbortController()
  after.abort(reason)
  assert.equal(after.signal.toAbortSignal().aborted, true)
  assert.equal(after.signal.toAbortSignal().reason, reason)
})
