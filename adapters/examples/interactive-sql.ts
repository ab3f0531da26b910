// A worked example of an adapter written outside bankrun (adapters/README.md walks through it).
// It imports nothing from bankrun: copy it next to your own code, swap the driver, keep the
// rules. It talks to PostgreSQL through `pg` with an interactive transaction — BEGIN, read with
// row locks, decide, write, COMMIT — the shape most SQL databases (TiDB, MySQL, Spanner's
// PostgreSQL interface) need; bankrun's own adapters/postgres.ts does the same in one statement.
//
//   npm run contract -- --adapter ./interactive-sql.ts --config '{"url":"postgres://postgres@127.0.0.1:5432/postgres"}'
//   npx tsx notebooks/byo.ts --adapter ./interactive-sql.ts --config '{"url":"…"}'
//
// The rules every adapter keeps:
// 1. The ledger row with the transfer's id goes in the SAME transaction as the balance change.
// 2. Every failure is classified: `kind: 'definite'` (certainly not applied) or
//    `kind: 'indeterminate'` (may have been applied). bankrun tells them apart by `kind`, not by
//    class, so an adapter defines its own error classes.
// 3. Before COMMIT is sent, any failure is definite (the transaction is rolled back). Once COMMIT
//    is in flight, only an answer that proves a rollback is definite; a lost connection or a
//    timeout is indeterminate.
// 4. A transfer whose id is already in the ledger with the same money is 'ok' (applied once,
//    by an earlier attempt); with other money it is refused (definite).
// 5. Conflicts the database aborts (SQLSTATE 40001, 40P01) are retried here, and counted.
import pg from 'pg';

class DefiniteError extends Error {
  readonly kind = 'definite';
}
class IndeterminateError extends Error {
  readonly kind = 'indeterminate';
}

type Balances = Record<string, number>;
interface Transfer { id: string; from: string; to: string; amount: number }

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 10;

export async function create(config: Record<string, string>) {
  if (!config.url) throw new DefiniteError('config.url is required, e.g. postgres://user@host:5432/db');
  const timeoutMs = Number(config.timeoutMs ?? 4000);
  // statement_timeout: the database gives up before bankrun's API node does (its deadline is
  // the --timeout of the run, minus a little).
  return new InteractiveSqlStore(new pg.Pool({ connectionString: config.url, max: 10, statement_timeout: timeoutMs, connectionTimeoutMillis: 2000 }));
}

class InteractiveSqlStore {
  private retryCount = 0;

  constructor(private readonly pool: pg.Pool) {
    // A connection that dies while idle must not crash the API node.
    pool.on('error', () => undefined);
  }

  async setup(accounts: Balances): Promise<void> {
    await this.inTransaction('BEGIN', async (c) => {
      await c.query('CREATE TABLE IF NOT EXISTS ex_accounts (id text PRIMARY KEY, balance bigint NOT NULL)');
      await c.query('CREATE TABLE IF NOT EXISTS ex_ledger (id text PRIMARY KEY, src text NOT NULL, dst text NOT NULL, amount bigint NOT NULL)');
      await c.query('DELETE FROM ex_ledger');
      await c.query('DELETE FROM ex_accounts');
      for (const [id, balance] of Object.entries(accounts)) {
        await c.query('INSERT INTO ex_accounts (id, balance) VALUES ($1, $2)', [id, balance]);
      }
    });
  }

  async transfer(t: Transfer): Promise<'ok' | 'insufficient'> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transferOnce(t);
      } catch (err) {
        const code = (err as { code?: string }).code;
        // A conflict aborts the whole transaction before it commits: nothing applied, try again.
        if (code && RETRYABLE.has(code) && !(err instanceof IndeterminateError) && attempt < MAX_ATTEMPTS) {
          this.retryCount++;
          await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
          continue;
        }
        throw err;
      }
    }
  }

  private async transferOnce(t: Transfer): Promise<'ok' | 'insufficient'> {
    return this.inTransaction('BEGIN ISOLATION LEVEL SERIALIZABLE', async (c) => {
      const earlier = await c.query<{ src: string; dst: string; amount: string }>('SELECT src, dst, amount FROM ex_ledger WHERE id = $1', [t.id]);
      if (earlier.rows[0]) {
        const e = earlier.rows[0];
        if (e.src === t.from && e.dst === t.to && Number(e.amount) === t.amount) return 'ok';
        throw new DefiniteError(`transfer id ${t.id} is already in the ledger for other money`);
      }
      // Both rows locked, in id order so that two opposite transfers never deadlock.
      const rows = await c.query<{ id: string; balance: string }>('SELECT id, balance FROM ex_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE', [t.from, t.to]);
      const from = rows.rows.find((r) => r.id === t.from);
      if (!from || rows.rows.length !== 2) throw new DefiniteError(`unknown account in transfer ${t.id}`);
      if (Number(from.balance) < t.amount) return 'insufficient';
      await c.query('UPDATE ex_accounts SET balance = balance - $2 WHERE id = $1', [t.from, t.amount]);
      await c.query('UPDATE ex_accounts SET balance = balance + $2 WHERE id = $1', [t.to, t.amount]);
      await c.query('INSERT INTO ex_ledger (id, src, dst, amount) VALUES ($1, $2, $3, $4)', [t.id, t.from, t.to, t.amount]);
      return 'ok';
    });
  }

  async read(): Promise<Balances> {
    return this.inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (c) => balancesOf((await c.query('SELECT id, balance FROM ex_accounts')).rows));
  }

  async audit(): Promise<{ balances: Balances; transfers: string[] }> {
    return this.inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (c) => ({
      balances: balancesOf((await c.query('SELECT id, balance FROM ex_accounts')).rows),
      transfers: (await c.query<{ id: string }>('SELECT id FROM ex_ledger')).rows.map((r) => r.id),
    }));
  }

  retries(): number {
    return this.retryCount;
  }

  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      throw new DefiniteError(`no answer: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * BEGIN, `work`, COMMIT on one connection, with rule 3: before COMMIT is sent every failure is
   * definite; a failure of the COMMIT itself is definite only when the server answered it with
   * an error (it rolled back), and indeterminate when the answer was lost.
   */
  private async inTransaction<T>(begin: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw new DefiniteError(`no connection: ${(err as Error).message}`);
    }
    c.on('error', () => undefined);
    let committing = false;
    try {
      await c.query(begin);
      const value = await work(c);
      committing = true;
      await c.query('COMMIT');
      c.release();
      return value;
    } catch (err) {
      const answered = typeof (err as { code?: unknown }).code === 'string' && !/^08/.test((err as { code: string }).code);
      c.release(true); // never reuse a connection in an unknown state
      if (err instanceof DefiniteError) throw err;
      if (committing && !answered) throw new IndeterminateError(`commit sent, answer lost: ${(err as Error).message}`);
      const e = answered ? Object.assign(new DefiniteError((err as Error).message), { code: (err as { code: string }).code }) : new DefiniteError((err as Error).message);
      throw e;
    }
  }
}

function balancesOf(rows: { id: string; balance: string }[]): Balances {
  return Object.fromEntries(rows.map((r) => [r.id, Number(r.balance)]));
}
