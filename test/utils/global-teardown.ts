import { adminUrl, RUN_ID_ENV, TEMPLATE_ENV, withAdminClient } from './test-database';

/** Drops this run's template and any clone a crashed test file left behind. */
export default async function globalTeardown(): Promise<void> {
  const runId = process.env[RUN_ID_ENV];
  if (!adminUrl() || !runId) return;
  await withAdminClient(async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
      [`bulwark\\_t\\_${runId}\\_%`, process.env[TEMPLATE_ENV]],
    );
    for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}
