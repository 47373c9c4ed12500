import { CreateApiKeys1795910000000 } from './1795910000000-CreateApiKeys';
import { CreateAuditLog1795920000000 } from './1795920000000-CreateAuditLog';
import { AuditChainAdvance1795930000000 } from './1795930000000-AuditChainAdvance';
import { AuditWriteCost1795940000000 } from './1795940000000-AuditWriteCost';

/** Every migration, in order. Listed explicitly so the app, the CLI and jest load the same set. */
export const MIGRATIONS = [
  CreateApiKeys1795910000000,
  CreateAuditLog1795920000000,
  AuditChainAdvance1795930000000,
  AuditWriteCost1795940000000,
];
