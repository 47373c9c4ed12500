import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CoreIndicators } from './core.indicators';
import { HealthController } from './health.controller';
import { HealthRegistry } from './health.registry';
import { LifecycleState } from './lifecycle.state';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HealthRegistry, LifecycleState, CoreIndicators],
  exports: [HealthRegistry, LifecycleState],
})
export class HealthModule {}
