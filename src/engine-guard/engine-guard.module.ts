import { Module } from '@nestjs/common';
import { EngineFaultsService } from './engine-faults.service';
import { EngineGuardInterceptor } from './engine-guard.interceptor';
import { ENGINE_GUARD_METRIC_PROVIDERS } from './engine-guard.metrics';
import { EngineGuardService } from './engine-guard.service';
import { EngineGuardSettings } from './engine-guard.settings';

@Module({
  providers: [
    ...ENGINE_GUARD_METRIC_PROVIDERS,
    EngineGuardSettings,
    EngineGuardService,
    EngineFaultsService,
    EngineGuardInterceptor,
  ],
  exports: [EngineGuardSettings, EngineGuardService, EngineFaultsService, EngineGuardInterceptor],
})
export class EngineGuardModule {}
