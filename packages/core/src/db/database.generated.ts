/**
 * Kysely types for every table and view of the Helios schema.
 * GENERATED from a fresh install by `npm run db:generate`; never edit by hand (a test fails on drift).
 */
import type { ColumnType } from 'kysely';

/** A column with a database default: optional on insert. */
export type Generated<T> = T extends ColumnType<infer S, infer I, infer U> ? ColumnType<S, I | undefined, U> : ColumnType<T, T | undefined, T>;
/** int8 (bigint): node-postgres returns a string to keep every digit. */
export type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;
/** numeric: node-postgres returns a string to keep the precision. */
export type Numeric = ColumnType<string, string | number, string | number>;
/** timestamp / timestamptz / date: returned as Date, accepted as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A JSON scalar. */
export type JsonPrimitive = boolean | number | string | null;
/** A JSON array. */
export type JsonArray = JsonValue[];
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue | undefined };
/** Any JSON value. */
export type JsonValue = JsonArray | JsonObject | JsonPrimitive;
/** json / jsonb: returned parsed, accepted as a value (serialized by the caller or the driver). */
export type Json = ColumnType<JsonValue, JsonValue | string, JsonValue | string>;

/** A row of table access_group_members. */
export interface AccessGroupMembers {
  id: Generated<string>;
  access_group_id: string;
  user_id: string;
  member_type: Generated<string>;
  is_active: Generated<boolean | null>;
  joined_at: Generated<Timestamp | null>;
  removed_at: Timestamp | null;
  synced_from_platform: Generated<boolean | null>;
  membership_source: Generated<string | null>;
  rule_matched_at: Timestamp | null;
}

/** A row of table access_groups. */
export interface AccessGroups {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  email: string | null;
  platform: string;
  group_type: string;
  external_id: string | null;
  external_url: string | null;
  allow_external_members: Generated<boolean | null>;
  is_public: Generated<boolean | null>;
  is_active: Generated<boolean | null>;
  metadata: Json | null;
  created_at: Generated<Timestamp | null>;
  created_by: string | null;
  updated_at: Generated<Timestamp | null>;
  synced_at: Timestamp | null;
}

/** A row of table activity_logs. */
export interface ActivityLogs {
  id: Generated<string>;
  organization_id: string;
  user_id: string | null;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  description: string | null;
  metadata: Generated<Json | null>;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table ai_chat_history. */
export interface AiChatHistory {
  id: Generated<string>;
  organization_id: string;
  user_id: string;
  session_id: string;
  role: string;
  content: string;
  tool_calls: Json | null;
  tool_call_id: string | null;
  tool_name: string | null;
  page_context: string | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table ai_config. */
export interface AiConfig {
  id: Generated<string>;
  organization_id: string;
  primary_endpoint_url: string;
  primary_api_key_encrypted: string | null;
  primary_model: string;
  fallback_endpoint_url: string | null;
  fallback_api_key_encrypted: string | null;
  fallback_model: string | null;
  tool_call_model: string | null;
  is_enabled: Generated<boolean | null>;
  max_tokens_per_request: Generated<number | null>;
  temperature: Generated<Numeric | null>;
  context_window_tokens: Generated<number | null>;
  requests_per_minute_limit: Generated<number | null>;
  tokens_per_day_limit: Generated<number | null>;
  mcp_enabled: Generated<boolean | null>;
  mcp_server_url: string | null;
  system_prompt: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table ai_usage_log. */
export interface AiUsageLog {
  id: Generated<string>;
  organization_id: string;
  user_id: string;
  endpoint_used: string | null;
  model_used: string | null;
  request_type: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  latency_ms: number | null;
  was_tool_call: Generated<boolean | null>;
  tools_invoked: string[] | null;
  was_successful: Generated<boolean | null>;
  error_message: string | null;
  error_code: string | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table api_key_usage_logs. */
export interface ApiKeyUsageLogs {
  id: Generated<string>;
  api_key_id: string;
  endpoint: string;
  method: string;
  status_code: number | null;
  response_time_ms: number | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table api_keys. */
export interface ApiKeys {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  key_hash: string;
  key_prefix: string;
  scopes: Generated<string[] | null>;
  is_active: Generated<boolean | null>;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  usage_count: Generated<number | null>;
  rate_limit_per_minute: Generated<number | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  ip_allowlist: string[] | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
  environment: string | null;
}

/** A row of table assets. */
export interface Assets {
  id: Generated<string>;
  organization_id: string;
  asset_type: string;
  asset_tag: string | null;
  serial_number: string | null;
  manufacturer: string | null;
  model: string | null;
  name: string | null;
  description: string | null;
  purchase_date: Timestamp | null;
  warranty_expiry_date: Timestamp | null;
  cost: Numeric | null;
  status: Generated<string | null>;
  location: string | null;
  notes: string | null;
  custom_fields: Generated<Json | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table audit_logs. */
export interface AuditLogs {
  id: Generated<string>;
  organization_id: string;
  user_id: string | null;
  action: string;
  resource: string;
  resource_id: string | null;
  details: Json | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Generated<Timestamp | null>;
  actor_type: string | null;
  actor_id: string | null;
  sequence: Int8 | null;
  previous_hash: string | null;
  hash: string | null;
}

/** A row of table auth_accounts. */
export interface AuthAccounts {
  id: string;
  user_id: string;
  account_id: string;
  provider_id: string;
  access_token: string | null;
  refresh_token: string | null;
  access_token_expires_at: Timestamp | null;
  scope: string | null;
  id_token: string | null;
  password: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  refresh_token_expires_at: Timestamp | null;
}

/** A row of table auth_sessions. */
export interface AuthSessions {
  id: string;
  user_id: string;
  token: string;
  expires_at: Timestamp;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table auth_verifications. */
export interface AuthVerifications {
  id: string;
  identifier: string;
  value: string;
  expires_at: Timestamp;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table automation_rules. */
export interface AutomationRules {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  rule_type: string;
  conditions: Json;
  priority: Generated<number | null>;
  is_enabled: Generated<boolean | null>;
  nesting_depth: Generated<number | null>;
  condition_count: Generated<number | null>;
  references_conditions: Generated<string[] | null>;
  config: Generated<Json | null>;
  last_evaluated_at: Timestamp | null;
  last_match_count: Generated<number | null>;
  created_by: string | null;
  updated_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table available_modules. */
export interface AvailableModules {
  id: Generated<string>;
  name: string;
  slug: string;
  module_key: string | null;
  description: string | null;
  icon: string | null;
  version: Generated<string | null>;
  is_available: Generated<boolean | null>;
  config_schema: Json | null;
  requires_credentials: Generated<boolean | null>;
  category: Generated<string | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table bulk_operations. */
export interface BulkOperations {
  id: Generated<string>;
  organization_id: string;
  operation_type: string;
  status: Generated<string | null>;
  total_items: Generated<number | null>;
  processed_items: Generated<number | null>;
  failed_items: Generated<number | null>;
  parameters: Generated<Json | null>;
  results: Generated<Json | null>;
  error_log: Generated<Json | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
}

/** A row of table campaign_assignments. */
export interface CampaignAssignments {
  id: Generated<string>;
  campaign_id: string;
  assignment_type: string;
  target_id: string | null;
  target_value: string | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table cost_centers. */
export interface CostCenters {
  id: Generated<string>;
  organization_id: string;
  code: string;
  name: string;
  description: string | null;
  department_id: string | null;
  budget_amount: Numeric | null;
  budget_currency: Generated<string | null>;
  fiscal_year: number | null;
  is_active: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  created_by: string | null;
}

/** A row of table custom_field_definitions. */
export interface CustomFieldDefinitions {
  id: Generated<string>;
  organization_id: string;
  field_key: string;
  display_name: string;
  description: string | null;
  field_type: string;
  entity_type: Generated<string>;
  options: Json | null;
  validation_rules: Json | null;
  is_required: Generated<boolean | null>;
  is_searchable: Generated<boolean | null>;
  is_filterable: Generated<boolean | null>;
  display_order: Generated<number | null>;
  section: string | null;
  is_active: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table custom_field_values. */
export interface CustomFieldValues {
  id: Generated<string>;
  definition_id: string;
  entity_id: string;
  entity_type: string;
  value: Json;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table custom_labels. */
export interface CustomLabels {
  id: Generated<string>;
  organization_id: string;
  canonical_name: string;
  label_singular: string;
  label_plural: string;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  created_by: string | null;
  updated_by: string | null;
}

/** A row of table departments. */
export interface Departments {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  parent_department_id: string | null;
  org_unit_id: string | null;
  org_unit_path: string | null;
  auto_sync_to_ou: Generated<boolean | null>;
  is_active: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  created_by: string | null;
}

/** A row of table dynamic_group_rules. */
export interface DynamicGroupRules {
  id: Generated<string>;
  group_id: string;
  rule_type: string;
  field_name: string;
  operator: string;
  value: string;
  logic_operator: Generated<string | null>;
  sort_order: Generated<number | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table email_templates. */
export interface EmailTemplates {
  id: Generated<string>;
  organization_id: string;
  template_key: string;
  name: string;
  subject: string;
  body_html: string;
  body_text: string | null;
  variables: Generated<Json | null>;
  is_active: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table feature_flags. */
export interface FeatureFlags {
  id: Generated<string>;
  feature_key: string;
  name: string;
  description: string | null;
  is_enabled: Generated<boolean | null>;
  category: Generated<string | null>;
  metadata: Generated<Json | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table gw_credentials. */
export interface GwCredentials {
  id: Generated<string>;
  organization_id: string;
  service_account_key: string;
  admin_email: string;
  domain: string;
  scopes: string[] | null;
  is_valid: Generated<boolean | null>;
  last_validated_at: Timestamp | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table gw_groups. */
export interface GwGroups {
  id: Generated<string>;
  organization_id: string;
  google_id: string;
  email: string;
  name: string | null;
  description: string | null;
  member_count: Generated<number | null>;
  raw_data: Json | null;
  last_sync_at: Generated<Timestamp | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table gw_org_units. */
export interface GwOrgUnits {
  id: Generated<string>;
  organization_id: string;
  google_id: string;
  name: string;
  path: string;
  parent_id: string | null;
  description: string | null;
  raw_data: Json | null;
  last_sync_at: Generated<Timestamp | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table gw_synced_users. */
export interface GwSyncedUsers {
  id: Generated<string>;
  organization_id: string;
  google_id: string;
  email: string;
  given_name: string | null;
  family_name: string | null;
  full_name: string | null;
  is_admin: Generated<boolean | null>;
  is_suspended: Generated<boolean | null>;
  org_unit_path: string | null;
  department: string | null;
  job_title: string | null;
  last_login_time: Timestamp | null;
  creation_time: Timestamp | null;
  raw_data: Json | null;
  last_sync_at: Generated<Timestamp | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table helpdesk_tickets. */
export interface HelpdeskTickets {
  id: Generated<string>;
  organization_id: string;
  user_id: string | null;
  assigned_to: string | null;
  title: string;
  description: string | null;
  status: Generated<string | null>;
  priority: Generated<string | null>;
  category: string | null;
  resolution: string | null;
  resolved_at: Timestamp | null;
  sla_due_at: Timestamp | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table job_titles. */
export interface JobTitles {
  id: Generated<string>;
  organization_id: string;
  title: string;
  description: string | null;
  department_id: string | null;
  level: string | null;
  is_active: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  created_by: string | null;
}

/** A row of table lifecycle_tasks. */
export interface LifecycleTasks {
  id: Generated<string>;
  organization_id: string;
  request_id: string | null;
  user_id: string | null;
  title: string;
  description: string | null;
  category: string | null;
  assignee_type: string;
  assignee_id: string | null;
  assignee_role: string | null;
  trigger_type: string | null;
  trigger_offset_days: Generated<number | null>;
  due_date: Timestamp | null;
  status: Generated<string | null>;
  completed_at: Timestamp | null;
  completed_by: string | null;
  completion_notes: string | null;
  action_type: string | null;
  action_config: Json | null;
  scheduled_action_id: string | null;
  sequence_order: Generated<number | null>;
  depends_on_task_id: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  last_reminder_on: Timestamp | null;
}

/** A row of table locations. */
export interface Locations {
  id: Generated<string>;
  organization_id: string;
  name: string;
  code: string | null;
  type: Generated<string | null>;
  description: string | null;
  parent_id: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  state_province: string | null;
  postal_code: string | null;
  country: string | null;
  timezone: string | null;
  latitude: Numeric | null;
  longitude: Numeric | null;
  is_active: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  created_by: string | null;
}

/** A row of table master_data_settings. */
export interface MasterDataSettings {
  organization_id: string;
  enforce_departments: Generated<boolean | null>;
  enforce_locations: Generated<boolean | null>;
  enforce_cost_centers: Generated<boolean | null>;
  enforce_job_titles: Generated<boolean | null>;
  departments_migrated: Generated<boolean | null>;
  locations_migrated: Generated<boolean | null>;
  cost_centers_migrated: Generated<boolean | null>;
  updated_at: Generated<Timestamp | null>;
  updated_by: string | null;
}

/** A row of table media_asset_folders. */
export interface MediaAssetFolders {
  id: Generated<string>;
  organization_id: string;
  name: string;
  path: string;
  parent_id: string | null;
  drive_folder_id: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table media_asset_settings. */
export interface MediaAssetSettings {
  organization_id: string;
  storage_backend: Generated<string>;
  drive_shared_drive_id: string | null;
  drive_root_folder_id: string | null;
  cache_ttl_seconds: Generated<number | null>;
  max_file_size_mb: Generated<number | null>;
  allowed_mime_types: Generated<string[] | null>;
  is_configured: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table media_assets. */
export interface MediaAssets {
  id: Generated<string>;
  organization_id: string;
  storage_type: Generated<string>;
  storage_path: string;
  name: string;
  filename: string;
  mime_type: string;
  size_bytes: Int8 | null;
  folder_id: string | null;
  category: string | null;
  access_token: string;
  is_public: Generated<boolean | null>;
  access_count: Generated<number | null>;
  last_accessed_at: Timestamp | null;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table module_entity_providers. */
export interface ModuleEntityProviders {
  id: Generated<string>;
  module_key: string;
  entity_canonical_name: string;
  is_primary_provider: Generated<boolean | null>;
}

/** A row of table modules. */
export interface Modules {
  id: Generated<string>;
  name: string;
  slug: string;
  description: string | null;
  icon: string | null;
  version: string;
  is_available: Generated<boolean | null>;
  config_schema: Json | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table ms_credentials. */
export interface MsCredentials {
  id: Generated<string>;
  organization_id: string;
  tenant_id: string;
  client_id: string;
  client_secret_encrypted: string;
  is_active: Generated<boolean | null>;
  last_sync_at: Timestamp | null;
  sync_status: Generated<string | null>;
  sync_error: string | null;
  access_token_encrypted: string | null;
  token_expires_at: Timestamp | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  created_by: string | null;
}

/** A row of table ms_group_memberships. */
export interface MsGroupMemberships {
  id: Generated<string>;
  organization_id: string;
  group_id: string;
  user_id: string;
  membership_type: Generated<string | null>;
  created_at: Generated<Timestamp | null>;
}

/** A row of table ms_licenses. */
export interface MsLicenses {
  id: Generated<string>;
  organization_id: string;
  sku_id: string;
  sku_part_number: string | null;
  display_name: string | null;
  total_units: Generated<number | null>;
  consumed_units: Generated<number | null>;
  available_units: Generated<number | null>;
  service_plans: Json | null;
  raw_data: Json | null;
  last_sync_at: Timestamp | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table ms_synced_groups. */
export interface MsSyncedGroups {
  id: Generated<string>;
  organization_id: string;
  ms_id: string;
  display_name: string;
  description: string | null;
  mail: string | null;
  mail_enabled: Generated<boolean | null>;
  security_enabled: Generated<boolean | null>;
  group_types: Json | null;
  member_count: Generated<number | null>;
  raw_data: Json | null;
  last_sync_at: Timestamp | null;
  sync_hash: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table ms_synced_users. */
export interface MsSyncedUsers {
  id: Generated<string>;
  organization_id: string;
  ms_id: string;
  upn: string | null;
  display_name: string | null;
  given_name: string | null;
  surname: string | null;
  email: string | null;
  job_title: string | null;
  department: string | null;
  office_location: string | null;
  company_name: string | null;
  mobile_phone: string | null;
  business_phones: Json | null;
  is_account_enabled: Generated<boolean | null>;
  is_admin: Generated<boolean | null>;
  manager_id: string | null;
  assigned_licenses: Json | null;
  raw_data: Json | null;
  last_sync_at: Timestamp | null;
  sync_hash: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table named_conditions. */
export interface NamedConditions {
  id: Generated<string>;
  organization_id: string;
  name: string;
  display_name: string;
  description: string | null;
  conditions: Json;
  nesting_depth: Generated<number | null>;
  references_conditions: Generated<string[] | null>;
  usage_count: Generated<number | null>;
  created_by: string | null;
  updated_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table offboarding_templates. */
export interface OffboardingTemplates {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  drive_action: Generated<string | null>;
  drive_transfer_to_user_id: string | null;
  drive_archive_shared_drive_id: string | null;
  drive_delete_after_days: Generated<number | null>;
  email_action: Generated<string | null>;
  email_forward_to_user_id: string | null;
  email_forward_duration_days: Generated<number | null>;
  email_auto_reply_message: string | null;
  email_auto_reply_subject: string | null;
  calendar_decline_future_meetings: Generated<boolean | null>;
  calendar_transfer_meeting_ownership: Generated<boolean | null>;
  calendar_transfer_to_manager: Generated<boolean | null>;
  calendar_transfer_to_user_id: string | null;
  remove_from_all_groups: Generated<boolean | null>;
  remove_from_shared_drives: Generated<boolean | null>;
  revoke_oauth_tokens: Generated<boolean | null>;
  revoke_app_passwords: Generated<boolean | null>;
  sign_out_all_devices: Generated<boolean | null>;
  reset_password: Generated<boolean | null>;
  remove_signature: Generated<boolean | null>;
  set_offboarding_signature: Generated<boolean | null>;
  offboarding_signature_text: string | null;
  wipe_mobile_devices: Generated<boolean | null>;
  wipe_requires_confirmation: Generated<boolean | null>;
  account_action: Generated<string | null>;
  delete_account: Generated<boolean | null>;
  delete_after_days: Generated<number | null>;
  license_action: Generated<string | null>;
  notify_manager: Generated<boolean | null>;
  notify_it_admin: Generated<boolean | null>;
  notify_hr: Generated<boolean | null>;
  notification_email_addresses: Generated<string[] | null>;
  notification_message: string | null;
  is_active: Generated<boolean | null>;
  is_default: Generated<boolean | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  timeline: Generated<Json | null>;
}

/** A row of table onboarding_templates. */
export interface OnboardingTemplates {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  department_id: string | null;
  google_license_sku: string | null;
  google_org_unit_path: string | null;
  google_services: Generated<Json | null>;
  group_ids: Generated<string[] | null>;
  shared_drive_access: Generated<Json | null>;
  calendar_subscriptions: Generated<string[] | null>;
  signature_template_id: string | null;
  default_job_title: string | null;
  default_manager_id: string | null;
  send_welcome_email: Generated<boolean | null>;
  welcome_email_subject: Generated<string | null>;
  welcome_email_body: string | null;
  is_active: Generated<boolean | null>;
  is_default: Generated<boolean | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  timeline: Generated<Json | null>;
}

/** A row of table organization_modules. */
export interface OrganizationModules {
  id: Generated<string>;
  organization_id: string;
  module_id: string;
  is_enabled: Generated<boolean | null>;
  is_configured: Generated<boolean | null>;
  config: Generated<Json | null>;
  last_sync_at: Timestamp | null;
  sync_status: string | null;
  sync_error: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table organization_settings. */
export interface OrganizationSettings {
  id: Generated<string>;
  organization_id: string;
  key: string;
  value: string | null;
  is_sensitive: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table organization_users. */
export interface OrganizationUsers {
  id: Generated<string>;
  organization_id: string;
  email: string;
  password_hash: string | null;
  first_name: string;
  last_name: string;
  role: Generated<string>;
  department: string | null;
  is_active: Generated<boolean | null>;
  email_verified: Generated<boolean | null>;
  last_login: Timestamp | null;
  password_reset_token: string | null;
  password_reset_expires: Timestamp | null;
  email_verification_token: string | null;
  two_factor_enabled: Generated<boolean | null>;
  two_factor_secret: string | null;
  job_title: string | null;
  organizational_unit: string | null;
  location: string | null;
  reporting_manager_id: string | null;
  employee_id: string | null;
  employee_type: Generated<string | null>;
  cost_center: string | null;
  start_date: Timestamp | null;
  end_date: Timestamp | null;
  bio: string | null;
  mobile_phone: string | null;
  work_phone: string | null;
  work_phone_extension: string | null;
  timezone: Generated<string | null>;
  preferred_language: Generated<string | null>;
  google_workspace_id: string | null;
  microsoft_365_id: string | null;
  microsoft_365_upn: string | null;
  github_username: string | null;
  slack_user_id: string | null;
  jumpcloud_user_id: string | null;
  associate_id: string | null;
  google_workspace_sync_status: Generated<string | null>;
  google_workspace_last_sync: Timestamp | null;
  microsoft_365_sync_status: Generated<string | null>;
  microsoft_365_last_sync: Timestamp | null;
  custom_fields: Generated<Json | null>;
  preferences: Generated<Json | null>;
  avatar_url: string | null;
  photo_data: string | null;
  is_guest: Generated<boolean | null>;
  guest_expires_at: Timestamp | null;
  guest_invited_by: string | null;
  guest_invited_at: Timestamp | null;
  user_type: Generated<string | null>;
  user_status: Generated<string | null>;
  department_id: string | null;
  location_id: string | null;
  cost_center_id: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  deleted_at: Timestamp | null;
  two_factor_backup_codes: string | null;
}

/** A row of table organizations. */
export interface Organizations {
  id: Generated<string>;
  name: string;
  domain: string;
  logo: string | null;
  primary_color: string | null;
  secondary_color: string | null;
  is_setup_complete: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table password_setup_tokens. */
export interface PasswordSetupTokens {
  id: Generated<string>;
  user_id: string;
  token: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table rule_evaluation_log. */
export interface RuleEvaluationLog {
  id: Generated<string>;
  organization_id: string;
  rule_id: string | null;
  rule_type: string;
  facts: Json;
  matched: boolean;
  result: Json | null;
  triggered_by: string | null;
  user_id: string | null;
  evaluation_time_ms: number | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table scheduled_user_actions. */
export interface ScheduledUserActions {
  id: Generated<string>;
  organization_id: string;
  user_id: string | null;
  target_email: string | null;
  target_first_name: string | null;
  target_last_name: string | null;
  target_personal_email: string | null;
  action_type: string;
  onboarding_template_id: string | null;
  offboarding_template_id: string | null;
  action_config: Generated<Json>;
  config_overrides: Generated<Json | null>;
  scheduled_for: Timestamp;
  is_recurring: Generated<boolean | null>;
  recurrence_interval: string | null;
  recurrence_until: Timestamp | null;
  last_recurrence_at: Timestamp | null;
  status: Generated<string | null>;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  total_steps: Generated<number | null>;
  completed_steps: Generated<number | null>;
  current_step: string | null;
  error_message: string | null;
  error_details: Json | null;
  retry_count: Generated<number | null>;
  max_retries: Generated<number | null>;
  next_retry_at: Timestamp | null;
  requires_approval: Generated<boolean | null>;
  approved_by: string | null;
  approved_at: Timestamp | null;
  approval_notes: string | null;
  rejected_by: string | null;
  rejected_at: Timestamp | null;
  rejection_reason: string | null;
  depends_on_action_id: string | null;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  cancelled_by: string | null;
  cancelled_at: Timestamp | null;
  cancellation_reason: string | null;
}

/** A row of table security_events. */
export interface SecurityEvents {
  id: Generated<string>;
  organization_id: string;
  user_id: string | null;
  event_type: string;
  severity: Generated<string>;
  source: string | null;
  description: string | null;
  metadata: Generated<Json | null>;
  ip_address: string | null;
  user_agent: string | null;
  is_resolved: Generated<boolean | null>;
  resolved_at: Timestamp | null;
  resolved_by: string | null;
  resolution_notes: string | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table signature_assignments. */
export interface SignatureAssignments {
  id: Generated<string>;
  organization_id: string;
  template_id: string;
  assignment_type: string;
  target_id: string | null;
  target_value: string | null;
  priority: Generated<number | null>;
  is_active: Generated<boolean | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table signature_campaigns. */
export interface SignatureCampaigns {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  template_id: string;
  banner_url: string | null;
  banner_link: string | null;
  banner_alt_text: string | null;
  start_date: Timestamp;
  end_date: Timestamp;
  timezone: Generated<string | null>;
  tracking_enabled: Generated<boolean | null>;
  tracking_options: Generated<Json | null>;
  status: Generated<string | null>;
  auto_revert: Generated<boolean | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
  launched_at: Timestamp | null;
  completed_at: Timestamp | null;
}

/** A row of table signature_permissions. */
export interface SignaturePermissions {
  id: Generated<string>;
  organization_id: string;
  user_id: string;
  permission_type: string;
  scope: Generated<string>;
  target_id: string | null;
  granted_by: string | null;
  granted_at: Generated<Timestamp | null>;
  expires_at: Timestamp | null;
  is_active: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table signature_templates. */
export interface SignatureTemplates {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  html_content: string;
  plain_text_content: string | null;
  merge_fields: Generated<Json | null>;
  is_default: Generated<boolean | null>;
  is_campaign_template: Generated<boolean | null>;
  status: Generated<string | null>;
  version: Generated<number | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table signature_tracking_events. */
export interface SignatureTrackingEvents {
  id: Generated<string>;
  pixel_id: string;
  campaign_id: string | null;
  user_id: string;
  timestamp: Generated<Timestamp | null>;
  ip_address_hash: string | null;
  user_agent: string | null;
  country_code: string | null;
  region: string | null;
  city: string | null;
  is_unique: Generated<boolean | null>;
  device_type: string | null;
  campaign_name: string | null;
  tracking_type: Generated<string | null>;
  user_tracking_id: string | null;
}

/** A row of table signature_tracking_pixels. */
export interface SignatureTrackingPixels {
  id: Generated<string>;
  campaign_id: string;
  user_id: string;
  pixel_token: string;
  created_at: Generated<Timestamp | null>;
}

/** A row of table signature_user_tracking. */
export interface SignatureUserTracking {
  id: Generated<string>;
  organization_id: string;
  user_id: string;
  campaign_id: string | null;
  template_id: string | null;
  tracking_token: string;
  total_opens: Generated<number | null>;
  unique_opens: Generated<number | null>;
  last_open_at: Timestamp | null;
  first_open_at: Timestamp | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table smtp_settings. */
export interface SmtpSettings {
  id: Generated<string>;
  organization_id: string;
  host: string;
  port: Generated<number>;
  username: string | null;
  password_encrypted: string | null;
  from_email: string;
  from_name: string | null;
  use_tls: Generated<boolean | null>;
  is_active: Generated<boolean | null>;
  is_verified: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table sso_providers. */
export interface SsoProviders {
  id: Generated<string>;
  organization_id: string;
  provider_type: string;
  provider_name: string;
  display_name: string | null;
  client_id: string | null;
  client_secret: string | null;
  issuer: string | null;
  authorization_url: string | null;
  token_url: string | null;
  userinfo_url: string | null;
  metadata_url: string | null;
  scopes: Generated<string | null>;
  is_enabled: Generated<boolean | null>;
  is_default: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table training_content. */
export interface TrainingContent {
  id: Generated<string>;
  organization_id: string;
  title: string;
  description: string | null;
  content_type: string;
  url: string | null;
  file_path: string | null;
  embedded_content: string | null;
  estimated_duration_minutes: Generated<number | null>;
  passing_score: number | null;
  requires_acknowledgment: Generated<boolean | null>;
  requires_signature: Generated<boolean | null>;
  allow_skip: Generated<boolean | null>;
  category: string | null;
  tags: Generated<Json | null>;
  applies_to_roles: Generated<Json | null>;
  applies_to_departments: Generated<Json | null>;
  version: Generated<number | null>;
  is_active: Generated<boolean | null>;
  is_mandatory: Generated<boolean | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table training_quiz_questions. */
export interface TrainingQuizQuestions {
  id: Generated<string>;
  content_id: string;
  question_text: string;
  question_type: Generated<string>;
  options: Json | null;
  correct_answer: string | null;
  points: Generated<number | null>;
  explanation: string | null;
  sequence_order: Generated<number | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_addresses. */
export interface UserAddresses {
  id: Generated<string>;
  user_id: string;
  address_type: Generated<string | null>;
  street_address_1: string | null;
  street_address_2: string | null;
  city: string | null;
  state_province: string | null;
  postal_code: string | null;
  country: string | null;
  is_primary: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_assets. */
export interface UserAssets {
  id: Generated<string>;
  user_id: string;
  asset_id: string;
  assigned_at: Generated<Timestamp | null>;
  assigned_by: string | null;
  return_date: Timestamp | null;
  returned_at: Timestamp | null;
  condition_at_assignment: Generated<string | null>;
  condition_at_return: string | null;
  notes: string | null;
  is_primary: Generated<boolean | null>;
}

/** A row of table user_dashboard_widgets. */
export interface UserDashboardWidgets {
  id: Generated<string>;
  user_id: string;
  widget_type: string;
  position: Generated<number | null>;
  config: Generated<Json | null>;
  is_visible: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_expertise_topics. */
export interface UserExpertiseTopics {
  id: Generated<string>;
  user_id: string;
  topic: string;
  proficiency_level: Generated<string | null>;
  is_willing_to_help: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
}

/** A row of table user_field_visibility. */
export interface UserFieldVisibility {
  id: Generated<string>;
  user_id: string;
  field_name: string;
  visibility: Generated<string>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_fun_facts. */
export interface UserFunFacts {
  id: Generated<string>;
  user_id: string;
  fact: string;
  sort_order: Generated<number | null>;
  is_visible: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
}

/** A row of table user_group_memberships. */
export interface UserGroupMemberships {
  id: Generated<string>;
  user_id: string;
  group_id: string;
  role: Generated<string | null>;
  joined_at: Generated<Timestamp | null>;
}

/** A row of table user_groups. */
export interface UserGroups {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  email: string | null;
  group_type: Generated<string | null>;
  is_active: Generated<boolean | null>;
  is_dynamic: Generated<boolean | null>;
  is_system: Generated<boolean | null>;
  google_group_id: string | null;
  google_workspace_group_id: string | null;
  microsoft_365_group_id: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_initial_passwords. */
export interface UserInitialPasswords {
  id: Generated<string>;
  organization_id: string;
  user_email: string;
  encrypted_password: string;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  revealed_at: Timestamp | null;
  revealed_by: string | null;
  cleared_at: Timestamp | null;
  cleared_by: string | null;
  provider: string | null;
}

/** A row of table user_interests. */
export interface UserInterests {
  id: Generated<string>;
  user_id: string;
  interest: string;
  category: string | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table user_lifecycle_logs. */
export interface UserLifecycleLogs {
  id: Generated<string>;
  organization_id: string;
  user_id: string | null;
  action_id: string | null;
  step_name: string;
  step_type: string;
  status: string;
  details: Generated<Json | null>;
  error_message: string | null;
  duration_ms: number | null;
  created_at: Generated<Timestamp | null>;
}

/** A row of table user_media. */
export interface UserMedia {
  id: Generated<string>;
  user_id: string;
  media_type: string;
  storage_type: Generated<string>;
  storage_path: string;
  original_filename: string | null;
  mime_type: string | null;
  size_bytes: Int8 | null;
  is_primary: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_requests. */
export interface UserRequests {
  id: Generated<string>;
  organization_id: string;
  request_type: string;
  status: Generated<string | null>;
  email: string;
  first_name: string;
  last_name: string;
  personal_email: string | null;
  user_id: string | null;
  start_date: Timestamp | null;
  end_date: Timestamp | null;
  template_id: string | null;
  job_title: string | null;
  department_id: string | null;
  manager_id: string | null;
  location: string | null;
  metadata: Generated<Json | null>;
  requested_by: string | null;
  approved_by: string | null;
  approved_at: Timestamp | null;
  rejection_reason: string | null;
  tasks_total: Generated<number | null>;
  tasks_completed: Generated<number | null>;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_secondary_emails. */
export interface UserSecondaryEmails {
  id: Generated<string>;
  user_id: string;
  email: string;
  email_type: Generated<string | null>;
  is_verified: Generated<boolean | null>;
  created_at: Generated<Timestamp | null>;
}

/** A row of table user_sessions. */
export interface UserSessions {
  id: Generated<string>;
  user_id: string;
  refresh_token_hash: string;
  expires_at: Timestamp;
  created_at: Generated<Timestamp | null>;
  last_used: Generated<Timestamp | null>;
  ip_address: string | null;
  user_agent: string | null;
}

/** A row of table user_signature_status. */
export interface UserSignatureStatus {
  id: Generated<string>;
  user_id: string;
  organization_id: string;
  current_template_id: string | null;
  active_campaign_id: string | null;
  assignment_source: string | null;
  assignment_id: string | null;
  rendered_html: string | null;
  last_synced_at: Timestamp | null;
  sync_status: Generated<string | null>;
  sync_error: string | null;
  google_signature_hash: string | null;
  sync_attempts: Generated<number | null>;
  last_sync_attempt_at: Timestamp | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table user_training_progress. */
export interface UserTrainingProgress {
  id: Generated<string>;
  organization_id: string;
  user_id: string;
  content_id: string;
  status: Generated<string>;
  progress_percent: Generated<number | null>;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  time_spent_seconds: Generated<number | null>;
  quiz_attempts: Generated<number | null>;
  quiz_score: number | null;
  quiz_passed: boolean | null;
  quiz_answers: Json | null;
  acknowledged_at: Timestamp | null;
  signature_data: string | null;
  signature_ip: string | null;
  signature_user_agent: string | null;
  assigned_at: Generated<Timestamp | null>;
  assigned_by: string | null;
  due_date: Timestamp | null;
  request_id: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table workflows. */
export interface Workflows {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  trigger_type: string;
  trigger_config: Generated<Json | null>;
  steps: Generated<Json | null>;
  is_active: Generated<boolean | null>;
  created_by: string | null;
  created_at: Generated<Timestamp | null>;
  updated_at: Generated<Timestamp | null>;
}

/** A row of table workspace_members. */
export interface WorkspaceMembers {
  id: Generated<string>;
  workspace_id: string;
  user_id: string;
  role: Generated<string>;
  is_active: Generated<boolean | null>;
  joined_at: Generated<Timestamp | null>;
  removed_at: Timestamp | null;
  synced_from_platform: Generated<boolean | null>;
}

/** A row of table workspaces. */
export interface Workspaces {
  id: Generated<string>;
  organization_id: string;
  name: string;
  description: string | null;
  email: string | null;
  platform: string;
  external_id: string | null;
  external_url: string | null;
  workspace_type: string | null;
  is_active: Generated<boolean | null>;
  is_archived: Generated<boolean | null>;
  archived_at: Timestamp | null;
  metadata: Json | null;
  created_at: Generated<Timestamp | null>;
  created_by: string | null;
  updated_at: Generated<Timestamp | null>;
  synced_at: Timestamp | null;
}

/** View campaign_analytics_summary (read-only). */
export interface CampaignAnalyticsSummary {
  campaign_id: string | null;
  organization_id: string | null;
  name: string | null;
  status: string | null;
  start_date: Timestamp | null;
  end_date: Timestamp | null;
  tracking_enabled: boolean | null;
  enrolled_users: Int8 | null;
  total_opens: Int8 | null;
  unique_opens: Int8 | null;
  unique_recipients: Int8 | null;
  opens_per_user: Numeric | null;
}

/** View current_user_assets (read-only). */
export interface CurrentUserAssets {
  id: string | null;
  user_id: string | null;
  asset_id: string | null;
  assigned_at: Timestamp | null;
  assigned_by: string | null;
  return_date: Timestamp | null;
  returned_at: Timestamp | null;
  condition_at_assignment: string | null;
  condition_at_return: string | null;
  notes: string | null;
  is_primary: boolean | null;
  user_email: string | null;
  first_name: string | null;
  last_name: string | null;
  asset_type: string | null;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  asset_tag: string | null;
}

/** View dashboard_stats (read-only). */
export interface DashboardStats {
  organization_id: string | null;
  organization_name: string | null;
  total_users: Int8 | null;
  admin_users: Int8 | null;
  enabled_modules: Int8 | null;
  synced_google_users: Int8 | null;
  last_sync: Timestamp | null;
  is_setup_complete: boolean | null;
  created_at: Timestamp | null;
}

/** View user_signature_permissions (read-only). */
export interface UserSignaturePermissions {
  user_id: string | null;
  organization_id: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  effective_permission: string | null;
  explicit_permission: string | null;
  granted_by: string | null;
  granted_at: Timestamp | null;
  expires_at: Timestamp | null;
  is_org_admin: boolean | null;
}

/** Every table and view of the Helios schema, for `Kysely<Database>`. */
export interface Database {
  access_group_members: AccessGroupMembers;
  access_groups: AccessGroups;
  activity_logs: ActivityLogs;
  ai_chat_history: AiChatHistory;
  ai_config: AiConfig;
  ai_usage_log: AiUsageLog;
  api_key_usage_logs: ApiKeyUsageLogs;
  api_keys: ApiKeys;
  assets: Assets;
  audit_logs: AuditLogs;
  auth_accounts: AuthAccounts;
  auth_sessions: AuthSessions;
  auth_verifications: AuthVerifications;
  automation_rules: AutomationRules;
  available_modules: AvailableModules;
  bulk_operations: BulkOperations;
  campaign_analytics_summary: CampaignAnalyticsSummary;
  campaign_assignments: CampaignAssignments;
  cost_centers: CostCenters;
  current_user_assets: CurrentUserAssets;
  custom_field_definitions: CustomFieldDefinitions;
  custom_field_values: CustomFieldValues;
  custom_labels: CustomLabels;
  dashboard_stats: DashboardStats;
  departments: Departments;
  dynamic_group_rules: DynamicGroupRules;
  email_templates: EmailTemplates;
  feature_flags: FeatureFlags;
  gw_credentials: GwCredentials;
  gw_groups: GwGroups;
  gw_org_units: GwOrgUnits;
  gw_synced_users: GwSyncedUsers;
  helpdesk_tickets: HelpdeskTickets;
  job_titles: JobTitles;
  lifecycle_tasks: LifecycleTasks;
  locations: Locations;
  master_data_settings: MasterDataSettings;
  media_asset_folders: MediaAssetFolders;
  media_asset_settings: MediaAssetSettings;
  media_assets: MediaAssets;
  module_entity_providers: ModuleEntityProviders;
  modules: Modules;
  ms_credentials: MsCredentials;
  ms_group_memberships: MsGroupMemberships;
  ms_licenses: MsLicenses;
  ms_synced_groups: MsSyncedGroups;
  ms_synced_users: MsSyncedUsers;
  named_conditions: NamedConditions;
  offboarding_templates: OffboardingTemplates;
  onboarding_templates: OnboardingTemplates;
  organization_modules: OrganizationModules;
  organization_settings: OrganizationSettings;
  organization_users: OrganizationUsers;
  organizations: Organizations;
  password_setup_tokens: PasswordSetupTokens;
  rule_evaluation_log: RuleEvaluationLog;
  scheduled_user_actions: ScheduledUserActions;
  security_events: SecurityEvents;
  signature_assignments: SignatureAssignments;
  signature_campaigns: SignatureCampaigns;
  signature_permissions: SignaturePermissions;
  signature_templates: SignatureTemplates;
  signature_tracking_events: SignatureTrackingEvents;
  signature_tracking_pixels: SignatureTrackingPixels;
  signature_user_tracking: SignatureUserTracking;
  smtp_settings: SmtpSettings;
  sso_providers: SsoProviders;
  training_content: TrainingContent;
  training_quiz_questions: TrainingQuizQuestions;
  user_addresses: UserAddresses;
  user_assets: UserAssets;
  user_dashboard_widgets: UserDashboardWidgets;
  user_expertise_topics: UserExpertiseTopics;
  user_field_visibility: UserFieldVisibility;
  user_fun_facts: UserFunFacts;
  user_group_memberships: UserGroupMemberships;
  user_groups: UserGroups;
  user_initial_passwords: UserInitialPasswords;
  user_interests: UserInterests;
  user_lifecycle_logs: UserLifecycleLogs;
  user_media: UserMedia;
  user_requests: UserRequests;
  user_secondary_emails: UserSecondaryEmails;
  user_sessions: UserSessions;
  user_signature_permissions: UserSignaturePermissions;
  user_signature_status: UserSignatureStatus;
  user_training_progress: UserTrainingProgress;
  workflows: Workflows;
  workspace_members: WorkspaceMembers;
  workspaces: Workspaces;
}

/** The names of the tables (not views). */
export const TABLE_NAMES = [
  'access_group_members',
  'access_groups',
  'activity_logs',
  'ai_chat_history',
  'ai_config',
  'ai_usage_log',
  'api_key_usage_logs',
  'api_keys',
  'assets',
  'audit_logs',
  'auth_accounts',
  'auth_sessions',
  'auth_verifications',
  'automation_rules',
  'available_modules',
  'bulk_operations',
  'campaign_assignments',
  'cost_centers',
  'custom_field_definitions',
  'custom_field_values',
  'custom_labels',
  'departments',
  'dynamic_group_rules',
  'email_templates',
  'feature_flags',
  'gw_credentials',
  'gw_groups',
  'gw_org_units',
  'gw_synced_users',
  'helpdesk_tickets',
  'job_titles',
  'lifecycle_tasks',
  'locations',
  'master_data_settings',
  'media_asset_folders',
  'media_asset_settings',
  'media_assets',
  'module_entity_providers',
  'modules',
  'ms_credentials',
  'ms_group_memberships',
  'ms_licenses',
  'ms_synced_groups',
  'ms_synced_users',
  'named_conditions',
  'offboarding_templates',
  'onboarding_templates',
  'organization_modules',
  'organization_settings',
  'organization_users',
  'organizations',
  'password_setup_tokens',
  'rule_evaluation_log',
  'scheduled_user_actions',
  'security_events',
  'signature_assignments',
  'signature_campaigns',
  'signature_permissions',
  'signature_templates',
  'signature_tracking_events',
  'signature_tracking_pixels',
  'signature_user_tracking',
  'smtp_settings',
  'sso_providers',
  'training_content',
  'training_quiz_questions',
  'user_addresses',
  'user_assets',
  'user_dashboard_widgets',
  'user_expertise_topics',
  'user_field_visibility',
  'user_fun_facts',
  'user_group_memberships',
  'user_groups',
  'user_initial_passwords',
  'user_interests',
  'user_lifecycle_logs',
  'user_media',
  'user_requests',
  'user_secondary_emails',
  'user_sessions',
  'user_signature_status',
  'user_training_progress',
  'workflows',
  'workspace_members',
  'workspaces',
] as const;

/** One of the 86 table names. */
export type TableName = (typeof TABLE_NAMES)[number];
