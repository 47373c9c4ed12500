import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Real-PostgreSQL test databases. With TEST_DATABASE_URL set, global setup migrates one template per jest
 * run and every test file clones its own database from it (CREATE DATABASE ... TEMPLATE), so files run in
 * parallel and never see each other's rows. Without it, tests use in-memory PGlite.
 */
export const TEMPLATE_ENV = 'BULWARK_TEST_TEMPLATE_DB';
export const RUN_ID_ENV = 'BULWARK_TEST_RUN_ID';

export function adminUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

export function urlForDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl(), application_name: 'bulwark-tests' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template; undefined when running on PGlite. */
export async function createTestDatabase(): Promise<TestDatabase | undefined> {
  const base = adminUrl();
  const template = process.env[TEMPLATE_ENV];
  if (!base || !template) return undefined;
  const name = `bulwark_t_${process.env[RUN_ID_ENV] ?? 'x'}_${randomBytes(5).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: urlForDatabase(base, name),
    drop: () => withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
