import { describe, expect, it } from 'vitest';
import { RequestLog, type RequestLogEntry, redactQuery, redactUrl } from './request-log.js';

describe('redaction', () => {
  it('strips secret-looking query parameters from logged paths', () => {
    expect(
      redactQuery('?api-version=7.6&code=abc&maxresults=3&sig=x&subscription-key=k&$skiptoken=t', 'strip'),
    ).toBe('?api-version=7.6&maxresults=3');
    expect(redactQuery('?secret=s&response=r', 'strip')).toBe('?response=r');
    expect(redactQuery('', 'strip')).toBe('');
  });

  it('masks them in URLs shown to people', () => {
    expect(redactUrl('http://user:pw@127.0.0.1:7071/runtime/webhooks/eventgrid?functionName=f&code=k')).toBe(
      'http://127.0.0.1:7071/runtime/webhooks/eventgrid?functionName=f&code=REDACTED',
    );
  });
});

describe('RequestLog', () => {
  const entry = (seq: number, origin: string): RequestLogEntry => ({
    seq,
    origin,
    server: 'vault',
    method: 'GET',
    path: '/secrets',
    status: 200,
    start: '',
    end: '',
    startMs: 0,
    endMs: 0,
    durationMs: 0,
    clock: '',
  });

  it('filters by seq and origin, caps its size, and notifies listeners until they unsubscribe', () => {
    const log = new RequestLog(3);
    const seen: number[] = [];
    const stop = log.onCompleted((e) => seen.push(e.seq));
    for (let i = 1; i <= 4; i++) log.record(entry(log.nextSeq(), i % 2 ? 'kv' : 'arm'));
    stop();
    log.record(entry(log.nextSeq(), 'kv'));
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(log.list().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(log.list({ since: 3, origin: 'KV' }).map((e) => e.seq)).toEqual([5]);
    log.clear();
    expect(log.list()).toEqual([]);
  });
});
