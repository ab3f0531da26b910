// The API node's HTTP server: one BankStore behind the API node contract (README, "How it is built").
// Input is validated before any store call, so invalid input changes nothing; every store
// outcome, including a throw or a hang, becomes an answer, so the node outlives its database.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withDeadline } from '../deadline.ts';
import { IndeterminateError, isCountingStore, retriesOf, type BankStore, type CountedTransfer, type Transfer } from '../store.ts';
import { MAX_BODY_BYTES, TOO_LARGE, parseBody, show, validateSettings, validateSetup, validateTransfer, type Checked } from './validate.ts';

export interface ApiServerOptions {
  /** The node's name (n1, n2, …), reported by /health. */
  name: string;
  /** Longest wait for the store on /transfer, /read and /audit; then 504 and the late result is ignored. */
  deadlineMs?: number;
  /** Setup may create schemas and many rows, so it gets its own, longer deadline. */
  setupDeadlineMs?: number;
  /** Absent when the adapter has no settings: PUT /settings then answers 404. */
  settings?: SettingsHook;
}

/** How the node changes its adapter's settings (AdapterModule.settings in lib/store.ts). */
export interface SettingsHook {
  /** The config keys that may change. */
  names: readonly string[];
  /** Opens a store with the node's config and these settings over it (all changes so far). */
  open(settings: Record<string, string>): Promise<BankStore>;
}

export interface ApiServer {
  readonly server: http.Server;
  /** The store in use: PUT /settings replaces it. */
  readonly store: BankStore;
  /** Resolves with the bound port (port 0 picks a free one). */
  listen(port?: number, host?: string): Promise<number>;
  /** Stops accepting, lets requests in flight finish for up to `graceMs` (default: the deadline), then drops them. */
  close(graceMs?: number): Promise<void>;
}

interface Answer {
  status: number;
  body: object;
  headers?: Record<string, string>;
}

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  handle(req: http.IncomingMessage): Promise<Answer>;
}

/** Idle keep-alive connections live longer than the client's pool keeps them (it reads the hint). */
const KEEP_ALIVE_MS = 65_000;
const HEALTH_DEADLINE_MS = 1000;

export function createApiServer(initialStore: BankStore, opts: ApiServerOptions): ApiServer {
  const deadlineMs = opts.deadlineMs ?? 4000;
  const setupDeadlineMs = opts.setupDeadlineMs ?? 60_000;
  let store = initialStore;
  let accounts: ReadonlySet<string> | undefined;
  /** Every setting changed so far: a second change keeps the first. */
  let settings: Record<string, string> = {};

  /**
   * The account set, for validating transfers: learnt from this node's /setup, or else read from
   * the database once (the bank was set up through another API node). Undefined until it exists.
   */
  async function knownAccounts(): Promise<ReadonlySet<string> | undefined> {
    if (accounts) return accounts;
    const balances = await storeCall(() => store.read(), deadlineMs);
    if (Object.keys(balances).length > 0) accounts = new Set(Object.keys(balances));
    return accounts;
  }

  const routes: Record<string, Route> = {
    '/setup': {
      method: 'POST',
      async handle(req) {
        const input = await readJson(req, validateSetup);
        if (!input.ok) return invalid(input.error);
        await storeCall(() => store.setup(input.value), setupDeadlineMs);
        // Learnt only once the store has the accounts, so transfers never run ahead of setup.
        accounts = new Set(Object.keys(input.value));
        return { status: 200, body: { status: 'ok' } };
      },
    },
    '/transfer': {
      method: 'POST',
      async handle(req) {
        // Known after the first transfer: no await (and no extra turn of the event loop) after that.
        const known = accounts ?? (await knownAccounts());
        const input = await readJson(req, (body) => validateTransfer(body, known));
        if (!input.ok) return invalid(input.error);
        let counted: CountedTransfer;
        try {
          counted = await storeCall(() => transferWithRetries(store, input.value), deadlineMs);
        } catch (err) {
          const a = errorAnswer(err);
          return { ...a, body: { ...a.body, retries: retriesOf(err) } };
        }
        const { result, retries, versions } = counted;
        if (result === 'ok') return { status: 200, body: { status: 'ok', retries, ...(versions ? { versions } : {}) } };
        if (result === 'insufficient') return { status: 409, body: { status: 'insufficient', retries } };
        throw new Error(`store answered ${show(result)} to a transfer`);
      },
    },
    '/read': {
      method: 'GET',
      async handle() {
        // A store that reports versions answers them with the balances, from the same snapshot.
        if (store.readVersioned) return { status: 200, body: await storeCall(() => store.readVersioned!(), deadlineMs) };
        return { status: 200, body: { balances: await storeCall(() => store.read(), deadlineMs) } };
      },
    },
    '/audit': {
      method: 'GET',
      async handle() {
        const { balances, transfers } = await storeCall(() => store.audit(), deadlineMs);
        return { status: 200, body: { balances, transfers } };
      },
    },
    '/leader': {
      method: 'GET',
      async handle() {
        if (!store.leader) return { status: 404, body: { status: 'unsupported', error: 'this adapter cannot say which node leads' } };
        const leader = await storeCall(() => store.leader!(), Math.min(HEALTH_DEADLINE_MS, deadlineMs));
        return { status: 200, body: { leader: leader ?? null } };
      },
    },
    '/settings': {
      method: 'PUT',
      async handle(req) {
        const hook = opts.settings;
        if (!hook) return { status: 404, body: { status: 'unsupported', error: 'this adapter has no settings to change' } };
        const input = await readJson(req, (body) => validateSettings(body, hook.names));
        if (!input.ok) return invalid(input.error);
        const next = { ...settings, ...input.value };
        let opened: BankStore;
        const opening = hook.open(next);
        try {
          opened = await withDeadline(opening, setupDeadlineMs, () => new Error(`no store within ${setupDeadlineMs} ms`));
        } catch (err) {
          // The adapter refused a value (or could not start): the old store stays in use, and a
          // store that opens too late is closed when it does.
          opening.then((late) => late.close(), () => undefined).catch(() => undefined);
          return invalid(`the adapter refused these settings: ${describe(err)}`);
        }
        try {
          // A config that parses but cannot reach the database must not replace one that can.
          await withDeadline(Promise.resolve().then(() => opened.ping()), deadlineMs, () => new Error(`no answer within ${deadlineMs} ms`));
        } catch (err) {
          void opened.close().catch(() => undefined);
          return { status: 503, body: { status: 'unavailable', error: `a store with these settings does not answer: ${describe(err)}` } };
        }
        const old = store;
        store = opened;
        settings = next;
        // Calls still running on the old store finish within their deadline; then it goes.
        setTimeout(() => void old.close().catch(() => undefined), deadlineMs).unref();
        return { status: 200, body: { status: 'ok', settings } };
      },
    },
    '/health': {
      method: 'GET',
      async handle() {
        // A short deadline keeps /health snappy while the database node is paused.
        try {
          await storeCall(() => store.ping(), Math.min(HEALTH_DEADLINE_MS, deadlineMs));
          return { status: 200, body: { status: 'up', node: opts.name } };
        } catch (err) {
          return { status: 503, body: { status: 'down', node: opts.name, error: describe(err) } };
        }
      },
    },
  };

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    answer(routes, req).then(
      (a) => send(res, a),
      (err) => send(res, errorAnswer(err)),
    );
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;

  return {
    server,
    get store() {
      return store;
    },
    listen: (port = 0, host = '127.0.0.1') => listen(server, port, host),
    close: (graceMs = deadlineMs) => close(server, graceMs),
  };
}

async function answer(routes: Record<string, Route>, req: http.IncomingMessage): Promise<Answer> {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const route = routes[query < 0 ? url : url.slice(0, query)];
  if (!route) return { status: 404, body: { status: 'not-found', error: `no route ${show(url)}` } };
  if (req.method !== route.method) {
    return {
      status: 405,
      body: { status: 'method-not-allowed', error: `${route.method} only` },
      headers: { allow: route.method },
    };
  }
  return route.handle(req);
}

/**
 * One transfer and the retries it took. Counting stores report them per call; for the others
 * the delta of the running total is the fallback, which under concurrency also counts the
 * retries of transfers running meanwhile (an over-count).
 */
async function transferWithRetries(store: BankStore, t: Transfer): Promise<CountedTransfer> {
  if (isCountingStore(store)) return store.transferCounted(t);
  const before = store.retries();
  const result = await store.transfer(t);
  return { result, retries: store.retries() - before };
}

/** Settles with the store's answer, or with an indeterminate error after `ms`; a late answer is dropped. */
function storeCall<T>(work: () => Promise<T>, ms: number): Promise<T> {
  // A synchronous throw from the store becomes a rejection (without a promise and a turn more per call).
  let call: Promise<T>;
  try {
    call = work();
  } catch (err) {
    call = Promise.reject(err);
  }
  return withDeadline(call, ms, () => new IndeterminateError(`no answer from the store within ${ms} ms`));
}

/** Errors are told apart by their `kind`, not instanceof: adapters may load their own copy of store.ts. */
function errorAnswer(err: unknown): Answer {
  const kind = (err as { kind?: unknown } | null)?.kind;
  if (kind === 'definite') return { status: 503, body: { status: 'unavailable', error: describe(err) } };
  if (kind === 'indeterminate') return { status: 504, body: { status: 'indeterminate', error: describe(err) } };
  // Unknown failures may have happened after a commit: indeterminate, never "certainly not".
  return { status: 500, body: { status: 'indeterminate', error: String(err) } };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function invalid(error: string): Answer {
  // The rest of an oversized body is still coming: close rather than read it to reuse the connection.
  const headers = error === TOO_LARGE ? { connection: 'close' } : undefined;
  return { status: 400, body: { status: 'invalid', error }, headers };
}

async function readJson<T>(req: http.IncomingMessage, validate: (body: unknown) => Checked<T>): Promise<Checked<T>> {
  const raw = await readBody(req);
  if (raw === undefined) return { ok: false, error: TOO_LARGE };
  const parsed = parseBody(raw);
  return parsed.ok ? validate(parsed.value) : parsed;
}

/** The whole body, or undefined as soon as it passes the limit: the rest is discarded, not kept. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return Promise.resolve(undefined);
  // Unnamed callbacks: under tsx a named one costs a defineProperty each time it is made (once a request).
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req
      .on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) {
          chunks.push(chunk);
        } else {
          chunks.length = 0; // resolving again later changes nothing
          resolve(undefined);
        }
      })
      // A transfer's body comes in one chunk: used as it is, not copied.
      .on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)))
      .on('error', reject);
  });
}

function send(res: http.ServerResponse, a: Answer): void {
  if (res.headersSent) return;
  const text = JSON.stringify(a.body);
  res.writeHead(a.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...a.headers,
  });
  res.end(text);
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
