import { Module } from '@nestjs/common';
import { AdminGuard } from './admin.guard';
import { ApiKeysController } from './api-keys.controller';

/** All admin HTTP routes live here; each controller composes another module's exported service. */
@Module({
  controllers: [ApiKeysController],
  providers: [AdminGuard],
})
export class AdminModule {}
