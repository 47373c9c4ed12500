import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { CalcResult } from './calc.engine';
import { CalculateRequestDto, CalculateResponse } from './calc.dto';
import { CalcService } from './calc.service';

@ApiTags('calculation')
@Controller('api')
export class CalcController {
  constructor(private readonly calc: CalcService) {}

  @Post('calculate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'IRR (XIRR, ACT/365), MOIC, TVPI, DPI and Monte Carlo TVPI percentiles from dated cash flows.',
    description:
      'Values that have no finite answer (no contributions, no root) come back as null, and the response ' +
      'then carries X-Engine-Guard: sanitized=<count>. Send a seed to make the percentiles reproducible.',
  })
  @ApiOkResponse({ type: CalculateResponse })
  @ApiBadRequestResponse({ description: 'Invalid input (problem+json listing each field).' })
  @ApiUnauthorizedResponse({ description: 'No or invalid API key (problem+json).' })
  calculate(@Body() dto: CalculateRequestDto): Promise<CalcResult> {
    return this.calc.calculate(dto);
  }
}
