import { SetMetadata } from '@nestjs/common';

export const AUDIT_METADATA = 'bulwark:audit';

export interface AuditOptions {
  /** Action recorded for this handler (e.g. DATA_EXPORT); a domain event raised by the handler wins. */
  action: string;
  entityType?: string;
  /** Route parameter holding the entity id, e.g. 'id'. */
  entityIdParam?: string;
}

/** Names the action and entity of the audit record a handler's requests produce. */
export const Audit = (options: AuditOptions): MethodDecorator => SetMetadata(AUDIT_METADATA, options);
