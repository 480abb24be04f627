import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import type { RouteDeps } from './index';

/** (to be written) */
export function registerPeopleRoutes(_app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {}
