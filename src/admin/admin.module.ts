import { Module } from '@nestjs/common';
import { AdminGuard } from './admin.guard';
import { ApiKeysController } from './api-keys.controller';
import { AuditLogsController } from './audit-logs.controller';
import { EngineGuardModule } from '../engine-guard/engine-guard.module';
import { EngineController } from './engine.controller';

/** All admin HTTP routes live here; each controller composes another module's exported service. */
@Module({
  imports: [EngineGuardModule],
  controllers: [ApiKeysController, EngineController, AuditLogsController],
  providers: [AdminGuard],
})
export class AdminModule {}
