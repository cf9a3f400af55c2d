import * as grpc from '@grpc/grpc-js'

/**
 * A server interceptor for calls whose request never arrives whole.
 *
 * - A call that sent its headers and then nothing (or a message but never its
 *   end) holds a stream, and with it the connection, for as long as the client
 *   likes: grpc-js waits without limit unless the client set a deadline. Here
 *   the request must be complete within `timeoutMs` of the headers (for unary
 *   and server-streaming methods: the message and the end of the client's half;
 *   for client-streaming ones: the first message), or the call ends with
 *   DEADLINE_EXCEEDED. Nothing was done for it, so a retry is safe.
 * - A unary or server-streaming call whose stream ends without a whole message
 *   (no DATA, or a frame cut short: grpc-js drops the partial bytes) is answered
 *   INVALID_ARGUMENT, as summa answers any request that does not decode.
 *   grpc-js would say UNIMPLEMENTED, the gRPC spec's code for a "request
 *   cardinality violation", which reads as "no such method" to a client.
 */
export function incompleteRequests(timeoutMs: number): grpc.ServerInterceptor {
  return (method, call) => {
    let received = false
    let ended = false
    let timer: NodeJS.Timeout | undefined
    const finish = (): void => {
      ended = true
      clearTimeout(timer)
    }
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        timer = setTimeout(() => {
          intercepting.sendStatus({
            code: grpc.status.DEADLINE_EXCEEDED,
            details: `the request did not arrive within ${timeoutMs} ms of the call's headers`,
          })
        }, timeoutMs)
        timer.unref()
        next({
          onReceiveMessage: (message, nextMessage) => {
            received = true
            if (method.requestStream) clearTimeout(timer)
            nextMessage(message)
          },
          onReceiveHalfClose: (nextHalfClose) => {
            clearTimeout(timer)
            if (!received && !method.requestStream) {
              intercepting.sendStatus({
                code: grpc.status.INVALID_ARGUMENT,
                details: 'the stream ended before a whole request message',
              })
              return
            }
            nextHalfClose()
          },
          onCancel: finish,
        })
      },
      sendStatus: (status, next) => {
        if (ended) return
        finish()
        next(status)
      },
    })
    return intercepting
  }
}
