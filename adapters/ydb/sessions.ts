// Query-service sessions, pooled: opening one costs two RPCs (CreateSession, then an AttachSession
// stream whose first message confirms it), so a transfer reuses an idle one instead.
import { YDBError } from '@ydbjs/error';
import { StatusIds_StatusCode } from '@ydbjs/api/operation';
import type { QueryClient } from './query.ts';

export interface Session {
  id: string;
  /** Closes the attach stream, which ends the session on the server. */
  attach: AbortController;
  dead: boolean;
}

/**
 * A session lives while its attach stream is open, and the stream ending (node restart,
 * server-side close) marks it dead. A session that saw any error is dropped rather than reused.
 */
export class SessionPool {
  private readonly idle: Session[] = [];
  private closed = false;

  constructor(private readonly client: QueryClient, private readonly max: number) {}

  async acquire(signal: AbortSignal): Promise<Session> {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) if (!s.dead) return s;
    return this.open(signal);
  }

  release(s: Session, reusable: boolean): void {
    if (reusable && !s.dead && !this.closed && this.idle.length < this.max) this.idle.push(s);
    else void this.drop(s);
  }

  /** Ends every idle session; those in use end when released. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.allSettled(idle.map((s) => this.drop(s)));
  }

  private async open(signal: AbortSignal): Promise<Session> {
    signal.throwIfAborted();
    const res = await this.client.createSession({}, { signal });
    if (res.status !== StatusIds_StatusCode.SUCCESS) throw new YDBError(res.status, res.issues);
    const s: Session = { id: res.sessionId, attach: new AbortController(), dead: false };
    const states = this.client.attachSession({ sessionId: s.id }, { signal: s.attach.signal })[Symbol.asyncIterator]();
    // The stream outlives this call, so the call's signal only guards its first message.
    const onAbort = (): void => s.attach.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const first = await states.next();
      if (first.done) throw new YDBError(StatusIds_StatusCode.BAD_SESSION, []);
      if (first.value.status !== StatusIds_StatusCode.SUCCESS) throw new YDBError(first.value.status, first.value.issues);
    } catch (err) {
      void this.drop(s);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    void this.watch(s, states);
    return s;
  }

  private async watch(s: Session, states: AsyncIterator<{ status: StatusIds_StatusCode }>): Promise<void> {
    try {
      for (;;) {
        const next = await states.next();
        if (next.done || next.value.status !== StatusIds_StatusCode.SUCCESS) return;
      }
    } catch {
      // The stream failed: the session is gone either way.
    } finally {
      s.dead = true;
      s.attach.abort();
    }
  }

  private async drop(s: Session): Promise<void> {
    s.dead = true;
    s.attach.abort();
    await this.client.deleteSession({ sessionId: s.id }, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  }
}
