import { ENV_SCHEMA, type EnvKey } from './env.schema';

/** Renders `.env.example` from the schema: every variable, its default and its one-line meaning. */
export function renderEnvExample(): string {
  const lines = [
    '# Bulwark configuration. Every variable the service reads, with its default.',
    '# Generated from src/config/env.schema.ts (npm run env:example); a unit test keeps the two in step.',
    '',
  ];
  for (const key of Object.keys(ENV_SCHEMA) as EnvKey[]) {
    const spec = ENV_SCHEMA[key];
    lines.push(`# ${spec.doc}${spec.secret ? ' (secret: never logged)' : ''}`);
    lines.push(spec.default === undefined ? `# ${key}=` : `${key}=${spec.default}`);
    lines.push('');
  }
  return lines.join('\n');
}
