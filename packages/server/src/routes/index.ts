import type { Helios } from '@helios/core';
import type { HeliosAuth } from '@helios/core/auth';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { registerOrganizationRoutes } from './organization';
import { registerSetupRoutes } from './setup';

/** What route modules may use besides the per-request SDK (`c.var.sdk`). */
export interface RouteDeps {
  helios: Helios;
  auth: HeliosAuth;
}

/** Registers every /api/v1 route. */
export function registerRoutes(app: OpenAPIHono<AppEnv>, deps: RouteDeps): void {
  registerSetupRoutes(app, deps);
  registerOrganizationRoutes(app, deps);
}
