import { Module } from '@nestjs/common';
import { EngineGuardModule } from '../engine-guard/engine-guard.module';
import { CalcController } from './calc.controller';
import { CalcEngine } from './calc.engine';
import { CalcService } from './calc.service';

@Module({
  imports: [EngineGuardModule],
  controllers: [CalcController],
  providers: [CalcEngine, CalcService],
})
export class CalcModule {}
