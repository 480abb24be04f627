/**
 * The public shapes of the organizations domain: the organization, settings, module states, feature
 * flags, labels and master data settings, and the catalog and label defaults setup starts from.
 */
import type { Row } from '../../repositories/types';
import type { Camelize } from '../../shared/case';

/** The organization. */
export type Organization = Camelize<Row<'organizations'>>;
/** A user as created by setup. */
export interface SetupAdmin {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'admin';
}
/** Whether first-run setup is needed. */
export interface SetupStatus {
  /** True once the organization and an active admin exist. */
  isSetupComplete: boolean;
  hasOrganization: boolean;
  hasAdmin: boolean;
}
/** A setting as returned: sensitive values are never returned, only whether they are set. */
export interface Setting {
  key: string;
  /** The value, or null for sensitive settings (and unset values). */
  value: string | null;
  sensitive: boolean;
  /** True when a value is stored. */
  configured: boolean;
  updatedAt: Date | null;
}
/** A module of the catalog with this organization's state. */
export interface ModuleState {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  version: string;
  isAvailable: boolean;
  isEnabled: boolean;
  isConfigured: boolean;
  config: unknown;
  syncStatus: string | null;
  lastSyncAt: Date | null;
  syncError: string | null;
}
/** A feature flag. */
export type FeatureFlag = Camelize<Row<'feature_flags'>>;
/** A custom label. */
export type CustomLabel = Camelize<Row<'custom_labels'>>;
/** Master data settings. */
export interface MasterDataConfig {
  enforceDepartments: boolean;
  enforceLocations: boolean;
  enforceCostCenters: boolean;
  enforceJobTitles: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The modules every installation starts with. */
export const CORE_MODULES = [
  {
    slug: 'google_workspace',
    name: 'Google Workspace',
    description: 'Sync users, groups and org units from Google Workspace',
    version: '1.0.0',
  },
  {
    slug: 'microsoft_365',
    name: 'Microsoft 365',
    description: 'Sync users, groups and licences from Microsoft 365',
    version: '1.0.0',
  },
  {
    slug: 'user_management',
    name: 'User Management',
    description: 'Users, groups and the org structure',
    version: '1.0.0',
  },
  {
    slug: 'audit_logs',
    name: 'Audit Logs',
    description: 'The tamper-evident audit trail',
    version: '1.0.0',
  },
] as const;

/** The default custom labels (as the organization trigger seeds them). */
export const DEFAULT_LABELS: Readonly<Record<string, { singular: string; plural: string }>> = {
  'entity.user': { singular: 'User', plural: 'Users' },
  'entity.workspace': { singular: 'Team', plural: 'Teams' },
  'entity.access_group': { singular: 'Group', plural: 'Groups' },
  'entity.policy_container': { singular: 'Org Unit', plural: 'Org Units' },
  'entity.device': { singular: 'Device', plural: 'Devices' },
};
