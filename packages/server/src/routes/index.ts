import type { Helios } from '@helios/core';
import type { HeliosAuth } from '@helios/core/auth';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { registerAuditRoutes } from './audit';
import { registerAutomationRoutes } from './automation';
import { registerDirectoryRoutes } from './directory';
import { registerDynamicGroupRoutes } from './dynamic-groups';
import { registerGoogleWorkspaceRoutes } from './google-workspace';
import { registerGroupRoutes } from './groups';
import { registerLifecycleRoutes } from './lifecycle';
import { registerLifecycleRunRoutes } from './lifecycle-runs';
import { registerLifecycleTaskRoutes } from './lifecycle-tasks';
import { registerMicrosoft365Routes } from './microsoft-365';
import { registerNotificationRoutes } from './notifications';
import { registerOrganizationRoutes } from './organization';
import { registerPeopleRoutes } from './people';
import { registerScheduledActionRoutes } from './scheduled-actions';
import { registerSecurityRoutes } from './security';
import { registerSetupRoutes } from './setup';
import { registerUserRoutes } from './users';

/** What route modules may use besides the per-request SDK (`c.var.sdk`). */
export interface RouteDeps {
  helios: Helios;
  auth: HeliosAuth;
  /** The portal's public URL, when the server knows it. */
  publicUrl?: string;
}

/** Registers every /api/v1 route. */
export function registerRoutes(app: OpenAPIHono<AppEnv>, deps: RouteDeps): void {
  registerSetupRoutes(app, deps);
  registerOrganizationRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerPeopleRoutes(app, deps);
  registerDirectoryRoutes(app, deps);
  registerGroupRoutes(app, deps);
  registerDynamicGroupRoutes(app, deps);
  registerSecurityRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerGoogleWorkspaceRoutes(app, deps);
  registerMicrosoft365Routes(app, deps);
  registerScheduledActionRoutes(app, deps);
  registerNotificationRoutes(app, deps);
  registerAutomationRoutes(app, deps);
  registerLifecycleTaskRoutes(app, deps);
  registerLifecycleRunRoutes(app, deps);
  registerLifecycleRoutes(app, deps);
}
