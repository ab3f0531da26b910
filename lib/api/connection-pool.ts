// The tester's connections to one API node: one undici Client per keep-alive connection, each
// carrying one request at a time. Idle connections wait on a stack, so taking one costs the same
// with 5 or 500 open (undici's Pool scans its whole list on every request), and the most recently
// used connection is used again while it is warm. With a cap, requests wait in order for one.
import { Client } from 'undici';

/** Gets a connection that is its alone until it hands it back with `release`. */
export interface Job {
  start(client: Client): void;
}

export class ConnectionPool {
  private readonly idle: Client[] = [];
  private readonly open: Client[] = [];
  private waiting: Job[] = [];
  private waitingHead = 0;
  private closed = false;

  /** @param max most connections open at once; null: as many as requests in flight. */
  constructor(
    private readonly url: string,
    private readonly max: number | null,
  ) {
    if (max !== null && !(Number.isSafeInteger(max) && max >= 1)) throw new Error(`connections must be a whole number of at least 1, or null for no cap (got ${max})`);
  }

  get size(): number {
    return this.open.length;
  }

  /** Runs `job` with a connection now, or in arrival order once one is released. False when closed. */
  run(job: Job): boolean {
    if (this.closed) return false;
    const client = this.idle.pop() ?? this.grow();
    if (client) job.start(client);
    else this.waiting.push(job);
    return true;
  }

  /** Hands a connection back: to the next waiting job, or to the idle stack. */
  release(client: Client): void {
    if (this.waitingHead < this.waiting.length) {
      const job = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as unknown as Job;
      // Drop the consumed head now and then, so a long queue does not keep its past alive.
      if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.waitingHead);
        this.waitingHead = 0;
      }
      job.start(client);
      return;
    }
    this.idle.push(client);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.open.map((c) => c.close()));
  }

  private grow(): Client | undefined {
    if (this.max !== null && this.open.length >= this.max) return undefined;
    const client = new Client(this.url, { pipelining: 1 });
    this.open.push(client);
    return client;
  }
}
