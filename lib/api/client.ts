// The tester's client for one API node. Every call resolves to a classified outcome (Jepsen's
// ok / fail / info) and never throws: `fail` only when the operation certainly had no effect.

import { Pool } from 'undici';
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
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly setupTimeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.name = opts.name;
    this.url = opts.url;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.setupTimeoutMs = opts.setupTimeoutMs ?? 60_000;
    // No cap by default: a request queued in the tester would time out as "indeterminate" without
    // ever reaching the API node. The drivers bound what is in flight.
    this.pool = new Pool(opts.url, { connections: opts.connections ?? null, pipelining: 1 });
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
    return this.pool.close();
  }

  private async call(method: 'GET' | 'POST' | 'PUT', path: string, body: string | undefined, timeoutMs: number): Promise<Reply> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let status = 0;
    try {
      const res = await this.pool.request({ method, path, body, headers: body === undefined ? undefined : JSON_HEADERS, signal: abort.signal });
      status = res.statusCode;
      return { status, body: parseObject(await res.body.text()) };
    } catch (err) {
      // Status known, body lost: the answer stands, without its details.
      if (status > 0) return { status };
      if (abort.signal.aborted) return { status, error: 'timeout' };
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && CONNECT_ERRORS.has(code)) return { status, error: 'api-unreachable', unsent: true };
      return { status, error: `socket: ${typeof code === 'string' ? code : (err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }
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
