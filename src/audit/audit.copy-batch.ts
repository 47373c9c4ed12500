import type { ClientBase } from 'pg';

/** PostgreSQL frontend messages the batch sends after its statement text. */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]); // 'c', length 4

interface BackendMessage {
  text?: string;
}

/**
 * One audit batch in one round trip: a simple query whose statements include `COPY … FROM STDIN`, with the COPY
 * data and CopyDone written right behind the query text (one corked write) instead of after CopyInResponse.
 * PostgreSQL reads the data once the COPY starts; if a statement before or during the COPY fails, the server
 * drops CopyData/CopyDone it did not ask for, skips the rest of the query string and answers ReadyForQuery, so
 * the connection stays in step (an explicit transaction is then left aborted: the caller rolls it back).
 * Each round trip costs two system calls or more on both sides; the writer's batches used to take six.
 *
 * A pg "submittable": the client hands it the connection when it is this query's turn and forwards the backend's
 * messages; on an ErrorResponse the client calls handleError and forgets the query.
 */
export class CopyBatchQuery {
  readonly commands: string[] = [];
  readonly done: Promise<string[]>;
  private resolve!: (commands: string[]) => void;
  private reject!: (err: Error) => void;

  constructor(
    private readonly text: string,
    private readonly data: Buffer,
  ) {
    this.done = new Promise<string[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: {
    stream: NodeJS.WritableStream & { cork(): void; uncork(): void };
    query(text: string): void;
  }): void {
    const header = Buffer.allocUnsafe(5);
    header[0] = COPY_DATA;
    header.writeUInt32BE(this.data.length + 4, 1);
    connection.stream.cork();
    connection.query(this.text);
    connection.stream.write(header);
    connection.stream.write(this.data);
    connection.stream.write(COPY_DONE);
    connection.stream.uncork();
  }

  handleCopyInResponse(): void {
    // The data is already on its way (see submit).
  }

  handleRowDescription(): void {}

  handleDataRow(): void {}

  handleEmptyQuery(): void {}

  handleCommandComplete(msg: BackendMessage): void {
    this.commands.push(msg.text ?? '');
  }

  handleError(err: Error): void {
    this.reject(err);
  }

  handleReadyForQuery(): void {
    this.resolve(this.commands);
  }

  /** pg replaces this with its timeout hook when query_timeout is set; the outcome travels through `done`. */
  callback(): void {}
}

/** Runs `text` (a simple query containing one COPY … FROM STDIN) with `data` as the COPY input. */
export async function copyBatch(client: ClientBase, text: string, data: Buffer): Promise<string[]> {
  const query = new CopyBatchQuery(text, data);
  (client as unknown as { query(q: CopyBatchQuery): unknown }).query(query);
  return query.done;
}
