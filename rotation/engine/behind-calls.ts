/**
 * Ordering for work that runs alongside a call to the outside world (`npm run bench`, issue 11 item 2).
 *
 * When a journal write runs alongside a Key Vault, provider or consumer call, both wait on the same CPU
 * before they leave: each request is built in promise jobs (serialising, the SDK pipeline's policies,
 * TLS) before it is written to its socket. Whichever is started first does not reliably leave first: the
 * SDK pipelines interleave job by job, and the shorter one wins. Measured on the benchmark's timeline, the
 * journal write left first at every overlap, and the call that carries Azure's latency, the one on the
 * rotation's critical path, left 2–4 ms later.
 *
 * `behindCalls` starts its work once every pending promise job has run: it steps into a promise job, then
 * waits for `process.nextTick`, whose queue Node runs only when the promise job queue is empty. By then the
 * calls started before it have been written to their sockets (a keep-alive socket is handed to a request
 * on an earlier tick), and the journal's request is built while they are in flight. The work itself is
 * unchanged; it starts a fraction of a millisecond later, well inside the call it runs alongside. Not
 * `setImmediate`: that lets the event loop turn (timers, I/O) before the write starts.
 */
export function behindCalls<T>(start: () => Promise<T>): Promise<T> {
  return Promise.resolve()
    .then(() => new Promise<void>((resolve) => process.nextTick(resolve)))
    .then(start);
}
