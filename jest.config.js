/** Unit specs sit beside the code; suites that need a database or HTTP live in test/. */
const transform = {
  '^.+\\.(ts|js|mjs)$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};

const fs = require('node:fs');
const path = require('node:path');

/**
 * Nest 12 and some of its dependencies ship ES modules only, and jest on Node 20 cannot require() them.
 * Such packages (type: module; some declare a "require" export that is ESM all the same) are found here and compiled to CommonJS by
 * swc on the fly (cached); CommonJS packages are left untouched.
 */
function esmOnlyPackages(dir = path.join(__dirname, 'node_modules'), found = new Set()) {
  if (!fs.existsSync(dir)) return found;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (name.startsWith('@')) {
      esmOnlyPackages(full, found);
      continue;
    }
    const manifest = path.join(full, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (pkg.type === 'module') found.add(pkg.name);
    esmOnlyPackages(path.join(full, 'node_modules'), found);
  }
  return found;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ESM_PACKAGES = [...esmOnlyPackages()].map(escape);

const common = {
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

module.exports = {
  globalSetup: '<rootDir>/test/utils/global-setup.ts',
  globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFiles: ['reflect-metadata'],
    },
  ],
  reporters: ['default', '<rootDir>/test/utils/summary-reporter.js'],
  testTimeout: 30000,
};
