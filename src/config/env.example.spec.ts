import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEnvExample } from './env.example';
import { ENV_SCHEMA } from './env.schema';

describe(renderEnvExample.name, () => {
  it('matches the committed .env.example (run npm run env:example after changing the schema)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    expect(committed).toBe(renderEnvExample());
  });

  it('documents every schema variable with its default, or commented out when it has none', () => {
    const rendered = renderEnvExample();
    for (const [key, spec] of Object.entries(ENV_SCHEMA)) {
      const line = spec.default === undefined ? `# ${key}=` : `${key}=${spec.default}`;
      expect(rendered.split('\n')).toContain(line);
      expect(rendered).toContain(`# ${spec.doc}`);
    }
  });

  it('marks secret variables and gives them no value', () => {
    const lines = renderEnvExample().split('\n');
    for (const key of ['ADMIN_API_KEY', 'DATABASE_URL'] as const) {
      const at = lines.indexOf(`# ${key}=`);
      expect(at).toBeGreaterThan(0);
      expect(lines[at - 1]).toContain('(secret: never logged)');
    }
  });
});
