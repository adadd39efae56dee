// Jest globalSetup: build the SPA once before any test file runs, so parallel browser tests never race
// to build it (and unit-only runs pay only a stat of the sources when it is fresh).
import { ensureWebBuilt } from './web-build';

export default function globalSetup(): void {
  ensureWebBuilt();
}
