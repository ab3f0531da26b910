// The tester's client for one API node. Every call resolves to a classified outcome (Jepsen's
// ok / fail / info) and never throws: `fail` only when the operation certainly had no effect.

import type { Client, Dispatcher } from 'undici';
import { ConnectionPool } from './connection-pool.ts';
import type { Audit, Balances, Transfer } from '../store.ts';

export type OutcomeType = 'ok' | 'fail' | 'info';

export interface ApiOutcome<T = unknown> {
  type: OutcomeType;
  value?: T;
  /** Why a fail or info happened, e.g. "insufficient", "unavailable: …", "timeout". */
  error?: string;
  /** Conflict retries the adapter reported for a transfer. */
  retries?: number;
  /** Account versions after an ok transfer, where the adapter reports them. */
  versions?: Record<string, number>;
}

export interface ApiClientOptions {
  /** The API node's name (n1, …): the history's `node`. */
  name: string;
  url: string;
  /** Wall-clock limit per operation, queueing in the pool included. */
  timeoutMs?: number;
  /** Setup creates schemas and rows, so it may take longer than one transfer. */
  setupTimeoutMs?: number;
  /** Most connections kept open to the node; each carries one request at a time. */
  connections?: number;
}

/** An HTTP answer (status > 0) or why there was none (status 0). */
interface Reply {
  status: number;
  body?: Record<string, unknown>;
  /** No HTTP answer: "timeout", "api-unreachable" or the socket error. */
  error?: string;
  /** The request certainly never left: the connection itself could not be made. */
  unsent?: boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** Errors raised while connecting, before any byte of the request was written. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class ApiClient {
  readonly name: string;
  readonly url: string;
  private readonly connections: ConnectionPool;
  private readonly timeoutMs: number;
  private readonly setupTimeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.name = opts.name;
    this.url = opts.url;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.setupTimeoutMs = opts.setupTimeoutMs ?? 60_000;
    // No cap by default: every request goes out at once, and the drivers bound what is in flight.
    // With a cap, a request that times out still waiting for a connection is a definite fail.
    this.connections = new ConnectionPool(opts.url, opts.connections ?? null);
  }

  async setup(accounts: Balances): Promise<ApiOutcome> {
    return classifyWrite(await this.call('POST', '/setup', JSON.stringify({ accounts }), this.setupTimeoutMs));
  }

  async transfer(t: Transfer): Promise<ApiOutcome> {
    // Only the four fields: the node refuses extra ones, and callers' objects may carry more.
    const body = JSON.stringify({ id: t.id, from: t.from, to: t.to, amount: t.amount });
    return classifyWrite(await this.call('POST', '/transfer', body, this.timeoutMs));
  }

  async read(): Promise<ApiOutcome<{ balances: Balances }>> {
    return classifyRead(await this.call('GET', '/read', undefined, this.timeoutMs));
  }

  async audit(): Promise<ApiOutcome<Audit>> {
    return classifyRead(await this.call('GET', '/audit', undefined, this.timeoutMs));
  }

  /** Which node leads as this API node's database node sees it: ok with {leader: name | null}. */
  async leader(): Promise<ApiOutcome<{ leader: string | null }>> {
    return classifyRead(await this.call('GET', '/leader', undefined, this.timeoutMs));
  }

  /** Changes the adapter's settings (PUT /settings): ok with every setting changed so far. */
  async settings(changed: Record<string, string>): Promise<ApiOutcome<{ settings: Record<string, string> }>> {
    return classifyRead(await this.call('PUT', '/settings', JSON.stringify({ settings: changed }), this.setupTimeoutMs));
  }

  async health(): Promise<ApiOutcome<{ status: string; node: string }>> {
    return classifyRead(await this.call('GET', '/health', undefined, this.timeoutMs));
  }

  close(): Promise<void> {
    return this.connections.close();
  }

  private call(method: 'GET' | 'POST' | 'PUT', path: string, body: string | undefined, timeoutMs: number): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      const call = new Call(this.connections, { method, path, body, headers: body === undefined ? undefined : JSON_HEADERS }, timeoutMs, resolve);
      if (!this.connections.run(call)) call.settle({ status: 0, error: 'client closed', unsent: true });
    });
  }
}

/**
 * One request, as undici's dispatch handler: no response stream, no AbortController and no
 * closures per call (with undici's Pool, these and its per-request scan of every connection
 * were a third of the tester's profile at 3,000 transfers/s). undici calls
 * `onConnect` just before it writes the request, so a timeout before then (waiting for a
 * connection, or while it connects) proves the request never left: it is reported unsent and
 * aborted before a byte is written.
 */
class Call implements Dispatcher.DispatchHandlers {
  private settled = false;
  private client: Client | undefined;
  private abort: ((err?: Error) => void) | undefined;
  private status = 0;
  private chunks: Buffer[] | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly connections: ConnectionPool,
    private readonly request: Dispatcher.DispatchOptions,
    timeoutMs: number,
    private readonly resolve: (reply: Reply) => void,
  ) {
    this.timer = setTimeout(timedOut, timeoutMs, this);
  }

  /** The pool's turn: send on this connection, unless the call timed out while it waited. */
  start(client: Client): void {
    if (this.settled) return this.connections.release(client);
    this.client = client;
    client.dispatch(this.request, this);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.settled) abort();
    else this.abort = abort;
  }

  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    (this.chunks ??= []).push(chunk);
    return true;
  }

  onComplete(): void {
    const chunks = this.chunks;
    const text = chunks === undefined ? '' : chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
    this.done({ status: this.status, body: parseObject(text) });
  }

  onError(err: Error): void {
    // Status known, body lost: the answer stands, without its details.
    if (this.status > 0) return this.done({ status: this.status });
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_ERRORS.has(code)) return this.done({ status: 0, error: 'api-unreachable', unsent: true });
    this.done({ status: 0, error: `socket: ${typeof code === 'string' ? code : err.message}` });
  }

  timedOut(): void {
    if (!this.abort) return this.settle({ status: 0, error: 'timeout before sending', unsent: true });
    // Sent (or being sent): no one can say whether the node acted on it.
    this.settle({ status: 0, error: 'timeout' });
    this.abort();
  }

  settle(reply: Reply): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(reply);
  }

  private done(reply: Reply): void {
    this.connections.release(this.client!);
    this.settle(reply);
  }
}

function timedOut(call: Call): void {
  call.timedOut();
}

/** Transfer and setup: only answers that prove "not applied" are fail; anything unsure is info. */
function classifyWrite(reply: Reply): ApiOutcome {
  const { status, body } = reply;
  const retries = typeof body?.retries === 'number' ? body.retries : undefined;
  const versions = body?.versions && typeof body.versions === 'object' ? (body.versions as Record<string, number>) : undefined;
  if (status === 200) return { type: 'ok', retries, ...(versions ? { versions } : {}) };
  if (status === 409) return { type: 'fail', error: 'insufficient', retries };
  if (status === 0) return { type: reply.unsent ? 'fail' : 'info', error: reply.error };
  // 400 invalid and 503 unavailable are definite; so is any other 4xx (refused before running).
  const type = (status >= 400 && status < 500) || status === 503 ? 'fail' : 'info';
  return { type, error: answerError(reply), retries };
}

/** Reads, audits and health checks have no effect, so every error is a plain fail. */
function classifyRead<T>(reply: Reply): ApiOutcome<T> {
  if (reply.status === 200 && reply.body) return { type: 'ok', value: reply.body as T };
  return { type: 'fail', error: reply.status === 0 ? reply.error : answerError(reply) };
}

/** "unavailable: connection refused", from the node's `{status, error}` body. */
function answerError({ status, body }: Reply): string {
  const word = typeof body?.status === 'string' ? body.status : `http ${status}`;
  return typeof body?.error === 'string' ? `${word}: ${body.error}` : word;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
