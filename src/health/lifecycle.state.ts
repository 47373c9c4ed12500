import { Injectable } from '@nestjs/common';

/** Process lifecycle as readiness sees it: flips once, when shutdown begins. */
@Injectable()
export class LifecycleState {
  private draining = false;

  beginDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }
}
