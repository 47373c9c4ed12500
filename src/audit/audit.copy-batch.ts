import { DatabaseError, type ClientBase } from 'pg';

/** PostgreSQL frontend messages a batch sends after its statement text. */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]); // 'c', length 4

interface BackendMessage {
  text?: string;
}

type Stream = NodeJS.WritableStream & { cork(): void; uncork(): void };
interface Connection {
  stream: Stream;
  query(text: string): void;
}

interface Batch {
  text: string;
  data: Buffer;
  written: boolean;
  commands: string[];
  resolve(commands: string[]): void;
  reject(err: Error): void;
}

/**
 * Audit batches in one round trip each, written back to back on one connection: every batch is a simple query whose
 * statements include `COPY … FROM STDIN`, with the COPY data and CopyDone written right behind the query text (one
 * corked write) instead of after CopyInResponse. PostgreSQL reads the data once the COPY starts; if a statement before
 * or during the COPY fails, it drops the CopyData/CopyDone it did not ask for, skips the rest of that query string and
 * answers ReadyForQuery, so the connection stays in step for the next batch.
 *
 * A batch sent while earlier ones are still in the database is written at once, behind them: PostgreSQL starts it the
 * moment the one before commits, instead of waiting a round trip and whatever the Node event loop is busy with.
 *
 * A pg "submittable": the client hands it the connection when it is its turn and forwards the backend's messages
 * until ReadyForQuery. Each ReadyForQuery settles the oldest batch; while batches are outstanding, the pipeline queues
 * itself again, so the client keeps forwarding their messages to it. On an ErrorResponse the client calls
 * handleError and forgets the query before that batch's ReadyForQuery (which it then consumes itself); the pipeline
 * fails that batch alone and queues itself for the ones behind it. A connection error fails every batch.
 */
export class CopyBatchPipeline {
  private readonly batches: Batch[] = [];
  /** The connection while the client has this pipeline active (undefined while it waits in the client's queue). */
  private connection: Connection | undefined;
  private queued = false;

  constructor(private readonly client: ClientBase) {}

  /** Batches sent and not yet answered. */
  get outstanding(): number {
    return this.batches.length;
  }

  /** Sends `text` (a simple query containing one COPY … FROM STDIN) with `data` as the COPY input. */
  send(text: string, data: Buffer): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      const batch: Batch = { text, data, written: false, commands: [], resolve, reject };
      this.batches.push(batch);
      if (this.connection) this.write(batch, this.connection);
      else this.enqueue();
    });
  }

  submit(connection: Connection): void {
    this.queued = false;
    this.connection = connection;
    for (const batch of this.batches) if (!batch.written) this.write(batch, connection);
  }

  private write(batch: Batch, connection: Connection): void {
    const header = Buffer.allocUnsafe(5);
    header[0] = COPY_DATA;
    header.writeUInt32BE(batch.data.length + 4, 1);
    connection.stream.cork();
    connection.query(batch.text);
    connection.stream.write(header);
    connection.stream.write(batch.data);
    connection.stream.write(COPY_DONE);
    connection.stream.uncork();
    batch.written = true;
  }

  /** Asks the client for the connection again (it hands it over once the current query's ReadyForQuery arrives). */
  private enqueue(): void {
    this.connection = undefined;
    if (this.queued || !this.batches.length) return;
    this.queued = true;
    (this.client as unknown as { query(q: CopyBatchPipeline): unknown }).query(this);
  }

  handleCopyInResponse(): void {
    // The data is already on its way (see write).
  }

  handleRowDescription(): void {}

  handleDataRow(): void {}

  handleEmptyQuery(): void {}

  handleCommandComplete(msg: BackendMessage): void {
    this.batches[0]?.commands.push(msg.text ?? '');
  }

  handleError(err: Error): void {
    if (err instanceof DatabaseError) {
      // PostgreSQL refused this batch; the ones written behind it are still coming.
      this.batches.shift()?.reject(err);
      this.enqueue();
      return;
    }
    // The connection failed (or the client is no longer queryable): nothing more will arrive.
    this.connection = undefined;
    this.queued = false;
    for (const batch of this.batches.splice(0)) batch.reject(err);
  }

  handleReadyForQuery(): void {
    const batch = this.batches.shift();
    batch?.resolve(batch.commands);
    this.enqueue();
  }

  /** pg replaces this with its timeout hook when query_timeout is set; outcomes travel through send's promises. */
  callback(): void {}
}

/** Runs `text` (a simple query containing one COPY … FROM STDIN) with `data` as the COPY input, in one round trip. */
export function copyBatch(client: ClientBase, text: string, data: Buffer): Promise<string[]> {
  return new CopyBatchPipeline(client).send(text, data);
}
