import { writeFileSync } from 'node:fs';
import { renderEnvExample } from '../config/env.example';

writeFileSync('.env.example', renderEnvExample());
console.log('wrote .env.example');
