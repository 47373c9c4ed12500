import { CreateApiKeys1795910000000 } from './1795910000000-CreateApiKeys';

/** Every migration, in order. Listed explicitly so the app, the CLI and jest load the same set. */
export const MIGRATIONS = [CreateApiKeys1795910000000];
