// One execution of a named prepared statement whose answer is at most one row, handed to pg as a
// Submittable (the extension point pg-cursor and pg-query-stream use). Per call it costs one small
// object and a callback: no pg Query (event emitter, config clone, Result, per-field parsers) and
// no promise of pg's own. The row's fields arrive as the server sent them (text, or null).
import type pg from 'pg';

export type RawRow = (string | null)[];

/** The parts of pg's Connection a Submittable drives (pg's own Query uses the same). */
interface Connection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  stream: { cork?(): void; uncork?(): void };
  parse(msg: { name: string; text: string; types: unknown[] }): void;
  bind(msg: { statement: string; values: unknown[] }): void;
  describe(msg: { type: 'P'; name: string }): void;
  execute(msg: { portal: string }): void;
  sync(): void;
}

export class RowQuery {
  private row: RawRow | undefined;
  private settled = false;

  /** `done` is called once: with the row (undefined when none), or with the error. */
  constructor(
    readonly name: string,
    readonly text: string,
    private readonly values: string[],
    private readonly done: (err: Error | undefined, row: RawRow | undefined) => void,
  ) {}

  submit(connection: Connection): void {
    const known = connection.parsedStatements[this.name] !== undefined || connection.submittedNamedStatements[this.name] !== undefined;
    // One write for the whole exchange, as pg's Query does.
    connection.stream.cork?.();
    try {
      if (!known) {
        connection.parse({ name: this.name, text: this.text, types: [] });
        connection.submittedNamedStatements[this.name] = this.text;
      }
      connection.bind({ statement: this.name, values: this.values });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '' });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
  }

  handleRowDescription(): void {}

  handleDataRow(msg: { fields: RawRow }): void {
    this.row ??= msg.fields;
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: { sendCopyFail(msg: string): void }): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}

  /** A server error (ReadyForQuery still follows, for no query), a dead socket, or a refused call. */
  handleError(err: Error): void {
    this.settle(err, undefined);
  }

  handleReadyForQuery(): void {
    this.settle(undefined, this.row);
  }

  /** Runs on `client`: resolves with the row (undefined when the statement returned none). */
  static run(client: pg.ClientBase, sql: { name: string; text: string }, values: string[]): Promise<RawRow | undefined> {
    return new Promise((resolve, reject) => {
      const query = new RowQuery(sql.name, sql.text, values, (err, row) => (err ? reject(err) : resolve(row)));
      client.query(query as unknown as pg.Submittable);
    });
  }

  private settle(err: Error | undefined, row: RawRow | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.done(err, row);
  }
}
