-- Helios consolidated schema for fresh installs (PostgreSQL 15+; also the embedded PGlite default).
--
-- Creates the 86 tables of the live Helios schema with the same names, columns, types, nullability,
-- defaults and constraints (facts: database/schema-manifest.json), its 4 views, 18 functions and
-- 40 triggers, the feature-flag seed rows, and the installer's bookkeeping in the helios_meta schema.
--
-- Differences from the live schema, on purpose:
--   * organization_users.status is named user_status, with a CHECK on its vocabulary
--     (staged, invited, active, suspended, blocked, deleted).
--   * Every foreign key has an index (the live schema leaves 33 without one; see the end of the tables).
--   * Columns later behaviour needs, all nullable: organization_users.deleted_at,
--     auth_accounts.refresh_token_expires_at.
--   * user_initial_passwords.provider (nullable: rows stored before migration 0006 have none), a CHECK
--     on its vocabulary, and the unique key (organization_id, user_email, provider) instead of
--     (organization_id, user_email): each cloud keeps its own initial password for an address.
--   * access_group_members.membership_source ('platform', 'manual' or 'dynamic', with a CHECK;
--     nullable: rows written before migration 0007 by older code may have none) and
--     rule_matched_at: which memberships a dynamic group's rule manages.
--   * lifecycle_tasks.last_reminder_on (nullable, migration 0008): the day of the last reminder
--     digest that named the task (one reminder per task per day).
--   * Functions and views keep the live behaviour without its known defects (see their comments).
--
-- Load it with `helios db install` (one transaction, recorded, idempotent) or with
--   psql -1 -v ON_ERROR_STOP=1 -f database/schema_organization.sql
--
-- Sections are marked `-- @section NAME`; the installer runs them separately where it needs to
-- (adopt re-runs `routines` and `seeds` on an existing installation).
--
-- Schema changes after the first release ship as numbered migrations in database/migrations (applied
-- to existing databases by `helios db upgrade`) AND are folded into this file, which must stay equal
-- to the baseline plus every migration (a test installs both ways and compares).

-- @section extensions
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- @section tables
-- ============================================================================
-- core
-- ============================================================================

CREATE TABLE organizations (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  name character varying(255) NOT NULL,
  domain character varying(255) NOT NULL,
  logo text,
  primary_color character varying(7),
  secondary_color character varying(7),
  is_setup_complete boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);


CREATE TABLE organization_users (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  email character varying(255) NOT NULL,
  password_hash character varying(255),
  first_name character varying(255) NOT NULL,
  last_name character varying(255) NOT NULL,
  role character varying(20) DEFAULT 'user'::character varying NOT NULL,
  department character varying(255),
  is_active boolean DEFAULT true,
  email_verified boolean DEFAULT false,
  last_login timestamp with time zone,
  password_reset_token character varying(255),
  password_reset_expires timestamp with time zone,
  email_verification_token character varying(255),
  two_factor_enabled boolean DEFAULT false,
  two_factor_secret character varying(255),
  job_title character varying(255),
  organizational_unit character varying(500),
  location character varying(255),
  reporting_manager_id uuid,
  employee_id character varying(100),
  employee_type character varying(50) DEFAULT 'Full Time'::character varying,
  cost_center character varying(100),
  start_date date,
  end_date date,
  bio text,
  mobile_phone character varying(50),
  work_phone character varying(50),
  work_phone_extension character varying(20),
  timezone character varying(100) DEFAULT 'UTC'::character varying,
  preferred_language character varying(10) DEFAULT 'en'::character varying,
  google_workspace_id character varying(255),
  microsoft_365_id character varying(64),
  microsoft_365_upn character varying(255),
  github_username character varying(255),
  slack_user_id character varying(255),
  jumpcloud_user_id character varying(255),
  associate_id character varying(100),
  google_workspace_sync_status character varying(50) DEFAULT 'not_synced'::character varying,
  google_workspace_last_sync timestamp with time zone,
  microsoft_365_sync_status character varying(50) DEFAULT 'not_synced'::character varying,
  microsoft_365_last_sync timestamp with time zone,
  custom_fields jsonb DEFAULT '{}'::jsonb,
  preferences jsonb DEFAULT '{}'::jsonb,
  avatar_url character varying(500),
  photo_data text,
  is_guest boolean DEFAULT false,
  guest_expires_at timestamp with time zone,
  guest_invited_by uuid,
  guest_invited_at timestamp with time zone,
  user_type character varying(20) DEFAULT 'local'::character varying,
  user_status character varying(20) DEFAULT 'active'::character varying,
  department_id uuid,
  location_id uuid,
  cost_center_id uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  deleted_at timestamp with time zone,
  two_factor_backup_codes text,
  PRIMARY KEY (id),
  UNIQUE (email),
  CHECK (((role)::text = ANY (ARRAY[('admin'::character varying)::text, ('manager'::character varying)::text, ('user'::character varying)::text]))),
  CHECK (((user_status)::text = ANY (ARRAY[('staged'::character varying)::text, ('invited'::character varying)::text, ('active'::character varying)::text, ('suspended'::character varying)::text, ('blocked'::character varying)::text, ('deleted'::character varying)::text])))
);

CREATE INDEX idx_organization_users_cost_center_id ON organization_users USING btree (cost_center_id);
CREATE INDEX idx_organization_users_custom_fields ON organization_users USING gin (custom_fields);
CREATE INDEX idx_organization_users_department ON organization_users USING btree (department);
CREATE INDEX idx_organization_users_department_id ON organization_users USING btree (department_id);
CREATE INDEX idx_organization_users_email ON organization_users USING btree (email);
CREATE INDEX idx_organization_users_directory_order ON organization_users USING btree (organization_id, last_name, id);
CREATE INDEX idx_organization_users_employee_id ON organization_users USING btree (employee_id);
CREATE INDEX idx_organization_users_google_workspace_id ON organization_users USING btree (google_workspace_id);
CREATE INDEX idx_organization_users_is_guest_partial ON organization_users USING btree (is_guest) WHERE (is_guest = true);
CREATE INDEX idx_organization_users_guest_expires_at_partial ON organization_users USING btree (guest_expires_at) WHERE ((is_guest = true) AND (guest_expires_at IS NOT NULL));
CREATE INDEX idx_organization_users_location ON organization_users USING btree (location);
CREATE INDEX idx_organization_users_location_id ON organization_users USING btree (location_id);
CREATE INDEX idx_organization_users_microsoft_365_id_partial ON organization_users USING btree (microsoft_365_id) WHERE (microsoft_365_id IS NOT NULL);
CREATE INDEX idx_organization_users_organization_id ON organization_users USING btree (organization_id);
CREATE INDEX idx_organization_users_reporting_manager_id ON organization_users USING btree (reporting_manager_id);
CREATE INDEX idx_organization_users_role ON organization_users USING btree (role);

CREATE TABLE organization_settings (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  key character varying(255) NOT NULL,
  value text,
  is_sensitive boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, key)
);


CREATE TABLE organization_modules (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  module_id uuid NOT NULL,
  is_enabled boolean DEFAULT false,
  is_configured boolean DEFAULT false,
  config jsonb DEFAULT '{}'::jsonb,
  last_sync_at timestamp with time zone,
  sync_status character varying(50),
  sync_error text,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, module_id)
);

CREATE INDEX idx_organization_modules_organization_id ON organization_modules USING btree (organization_id);

CREATE TABLE modules (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  name character varying(255) NOT NULL,
  slug character varying(255) NOT NULL,
  description text,
  icon character varying(255),
  version character varying(50) NOT NULL,
  is_available boolean DEFAULT true,
  config_schema jsonb,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (name),
  UNIQUE (slug)
);


CREATE TABLE available_modules (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  name character varying(255) NOT NULL,
  slug character varying(255) NOT NULL,
  module_key character varying(100),
  description text,
  icon character varying(100),
  version character varying(50) DEFAULT '1.0.0'::character varying,
  is_available boolean DEFAULT true,
  config_schema jsonb,
  requires_credentials boolean DEFAULT true,
  category character varying(50) DEFAULT 'integration'::character varying,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (module_key),
  UNIQUE (slug)
);


CREATE TABLE module_entity_providers (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  module_key character varying(100) NOT NULL,
  entity_canonical_name character varying(100) NOT NULL,
  is_primary_provider boolean DEFAULT false,
  PRIMARY KEY (id),
  UNIQUE (module_key, entity_canonical_name)
);

CREATE INDEX idx_module_entity_providers_entity_canonical_name ON module_entity_providers USING btree (entity_canonical_name);
CREATE INDEX idx_module_entity_providers_module_key ON module_entity_providers USING btree (module_key);

CREATE TABLE feature_flags (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  feature_key character varying(100) NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  is_enabled boolean DEFAULT false,
  category character varying(50) DEFAULT 'general'::character varying,
  metadata jsonb DEFAULT '{}'::jsonb,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (feature_key)
);

CREATE INDEX idx_feature_flags_category ON feature_flags USING btree (category);
CREATE INDEX idx_feature_flags_feature_key ON feature_flags USING btree (feature_key);

CREATE TABLE master_data_settings (
  organization_id uuid NOT NULL,
  enforce_departments boolean DEFAULT false,
  enforce_locations boolean DEFAULT false,
  enforce_cost_centers boolean DEFAULT false,
  enforce_job_titles boolean DEFAULT false,
  departments_migrated boolean DEFAULT false,
  locations_migrated boolean DEFAULT false,
  cost_centers_migrated boolean DEFAULT false,
  updated_at timestamp with time zone DEFAULT now(),
  updated_by uuid,
  PRIMARY KEY (organization_id)
);


CREATE TABLE custom_labels (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  canonical_name character varying(100) NOT NULL,
  label_singular character varying(30) NOT NULL,
  label_plural character varying(30) NOT NULL,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  updated_by uuid,
  PRIMARY KEY (id),
  UNIQUE (organization_id, canonical_name),
  CHECK ((char_length((label_plural)::text) <= 30)),
  CHECK (((label_plural)::text <> ''::text)),
  CHECK ((char_length((label_singular)::text) <= 30)),
  CHECK (((label_singular)::text <> ''::text))
);

CREATE INDEX idx_custom_labels_canonical_name ON custom_labels USING btree (canonical_name);
CREATE INDEX idx_custom_labels_organization_id ON custom_labels USING btree (organization_id);

-- ============================================================================
-- auth
-- ============================================================================

CREATE TABLE auth_sessions (
  id text NOT NULL,
  user_id uuid NOT NULL,
  token text NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  ip_address text,
  user_agent text,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (token)
);

CREATE INDEX idx_auth_sessions_expires_at ON auth_sessions USING btree (expires_at);
CREATE INDEX idx_auth_sessions_token ON auth_sessions USING btree (token);
CREATE INDEX idx_auth_sessions_user_id ON auth_sessions USING btree (user_id);

CREATE TABLE auth_accounts (
  id text NOT NULL,
  user_id uuid NOT NULL,
  account_id text NOT NULL,
  provider_id text NOT NULL,
  access_token text,
  refresh_token text,
  access_token_expires_at timestamp with time zone,
  scope text,
  id_token text,
  password text,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  refresh_token_expires_at timestamp with time zone,
  PRIMARY KEY (id),
  UNIQUE (provider_id, account_id)
);

CREATE INDEX idx_auth_accounts_provider_id ON auth_accounts USING btree (provider_id);
CREATE INDEX idx_auth_accounts_user_id ON auth_accounts USING btree (user_id);

CREATE TABLE auth_verifications (
  id text NOT NULL,
  identifier text NOT NULL,
  value text NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_auth_verifications_expires_at ON auth_verifications USING btree (expires_at);
CREATE INDEX idx_auth_verifications_identifier ON auth_verifications USING btree (identifier);

CREATE TABLE user_sessions (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  user_id uuid NOT NULL,
  refresh_token_hash character varying(255) NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  created_at timestamp with time zone DEFAULT now(),
  last_used timestamp with time zone DEFAULT now(),
  ip_address inet,
  user_agent text,
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_sessions_expires_at ON user_sessions USING btree (expires_at);
CREATE INDEX idx_user_sessions_user_id ON user_sessions USING btree (user_id);

CREATE TABLE password_setup_tokens (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  user_id uuid NOT NULL,
  token character varying(255) NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  used_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (token)
);


CREATE TABLE sso_providers (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  provider_type text NOT NULL,
  provider_name text NOT NULL,
  display_name text,
  client_id text,
  client_secret text,
  issuer text,
  authorization_url text,
  token_url text,
  userinfo_url text,
  metadata_url text,
  scopes text DEFAULT 'openid profile email'::text,
  is_enabled boolean DEFAULT true,
  is_default boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, provider_name)
);

CREATE INDEX idx_sso_providers_organization_id_is_enabled ON sso_providers USING btree (organization_id, is_enabled);
CREATE INDEX idx_sso_providers_organization_id ON sso_providers USING btree (organization_id);

CREATE TABLE api_keys (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  key_hash character varying(255) NOT NULL,
  key_prefix character varying(20) NOT NULL,
  scopes text[] DEFAULT '{}'::text[],
  is_active boolean DEFAULT true,
  expires_at timestamp with time zone,
  last_used_at timestamp with time zone,
  usage_count integer DEFAULT 0,
  rate_limit_per_minute integer DEFAULT 60,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  ip_allowlist text[],
  revoked_at timestamp with time zone,
  revoked_by uuid,
  environment character varying(10),
  PRIMARY KEY (id)
);

CREATE INDEX idx_api_keys_is_active ON api_keys USING btree (is_active);
CREATE INDEX idx_api_keys_organization_id ON api_keys USING btree (organization_id);
CREATE INDEX idx_api_keys_key_prefix ON api_keys USING btree (key_prefix);
CREATE UNIQUE INDEX idx_api_keys_key_hash ON api_keys USING btree (key_hash);

CREATE TABLE api_key_usage_logs (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  api_key_id uuid NOT NULL,
  endpoint character varying(255) NOT NULL,
  method character varying(10) NOT NULL,
  status_code integer,
  response_time_ms integer,
  ip_address inet,
  user_agent text,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_api_key_usage_logs_created_at ON api_key_usage_logs USING btree (created_at);
CREATE INDEX idx_api_key_usage_logs_api_key_id ON api_key_usage_logs USING btree (api_key_id);

-- ============================================================================
-- users
-- ============================================================================

CREATE TABLE user_groups (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  email character varying(255),
  group_type character varying(50) DEFAULT 'security'::character varying,
  is_active boolean DEFAULT true,
  is_dynamic boolean DEFAULT false,
  is_system boolean DEFAULT false,
  google_group_id character varying(255),
  google_workspace_group_id character varying(255),
  microsoft_365_group_id character varying(255),
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, name)
);

CREATE INDEX idx_user_groups_email ON user_groups USING btree (email);
CREATE INDEX idx_user_groups_organization_id ON user_groups USING btree (organization_id);

CREATE TABLE user_group_memberships (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  user_id uuid NOT NULL,
  group_id uuid NOT NULL,
  role character varying(50) DEFAULT 'member'::character varying,
  joined_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (user_id, group_id)
);

CREATE INDEX idx_user_group_memberships_group_id ON user_group_memberships USING btree (group_id);
CREATE INDEX idx_user_group_memberships_user_id ON user_group_memberships USING btree (user_id);

CREATE TABLE departments (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  parent_department_id uuid,
  org_unit_id character varying(255),
  org_unit_path character varying(500),
  auto_sync_to_ou boolean DEFAULT false,
  is_active boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  PRIMARY KEY (id),
  UNIQUE (organization_id, name),
  CHECK ((parent_department_id <> id))
);

CREATE INDEX idx_departments_is_active ON departments USING btree (is_active);
CREATE INDEX idx_departments_org_unit_id ON departments USING btree (org_unit_id);
CREATE INDEX idx_departments_organization_id ON departments USING btree (organization_id);
CREATE INDEX idx_departments_parent_department_id ON departments USING btree (parent_department_id);

CREATE TABLE locations (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  code character varying(50),
  type character varying(50) DEFAULT 'office'::character varying,
  description text,
  parent_id uuid,
  address_line1 character varying(255),
  address_line2 character varying(255),
  city character varying(100),
  state_province character varying(100),
  postal_code character varying(20),
  country character varying(100),
  timezone character varying(50),
  latitude numeric(10,8),
  longitude numeric(11,8),
  is_active boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  PRIMARY KEY (id),
  CHECK ((parent_id <> id)),
  CHECK (((type)::text = ANY (ARRAY[('headquarters'::character varying)::text, ('office'::character varying)::text, ('remote'::character varying)::text, ('region'::character varying)::text, ('warehouse'::character varying)::text, ('datacenter'::character varying)::text])))
);

CREATE INDEX idx_locations_is_active ON locations USING btree (is_active);
CREATE INDEX idx_locations_country ON locations USING btree (country);
CREATE INDEX idx_locations_organization_id ON locations USING btree (organization_id);
CREATE INDEX idx_locations_parent_id ON locations USING btree (parent_id);
CREATE INDEX idx_locations_type ON locations USING btree (type);

CREATE TABLE cost_centers (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  code character varying(50) NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  department_id uuid,
  budget_amount numeric(15,2),
  budget_currency character varying(3) DEFAULT 'USD'::character varying,
  fiscal_year integer,
  is_active boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  PRIMARY KEY (id),
  UNIQUE (organization_id, code)
);

CREATE INDEX idx_cost_centers_is_active ON cost_centers USING btree (is_active);
CREATE INDEX idx_cost_centers_code ON cost_centers USING btree (code);
CREATE INDEX idx_cost_centers_department_id ON cost_centers USING btree (department_id);
CREATE INDEX idx_cost_centers_organization_id ON cost_centers USING btree (organization_id);

CREATE TABLE job_titles (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  title character varying(255) NOT NULL,
  description text,
  department_id uuid,
  level character varying(50),
  is_active boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  PRIMARY KEY (id),
  UNIQUE (organization_id, title)
);

CREATE INDEX idx_job_titles_department_id ON job_titles USING btree (department_id);
CREATE INDEX idx_job_titles_organization_id ON job_titles USING btree (organization_id);

CREATE TABLE access_groups (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  email character varying(255),
  platform character varying(50) NOT NULL,
  group_type character varying(50) NOT NULL,
  external_id character varying(255),
  external_url character varying(500),
  allow_external_members boolean DEFAULT false,
  is_public boolean DEFAULT false,
  is_active boolean DEFAULT true,
  metadata jsonb,
  created_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  updated_at timestamp with time zone DEFAULT now(),
  synced_at timestamp with time zone,
  PRIMARY KEY (id),
  UNIQUE (organization_id, platform, external_id)
);

CREATE INDEX idx_access_groups_organization_id_is_active_partial ON access_groups USING btree (organization_id, is_active) WHERE (is_active = true);
CREATE INDEX idx_access_groups_email ON access_groups USING btree (email);
CREATE INDEX idx_access_groups_organization_id ON access_groups USING btree (organization_id);
CREATE INDEX idx_access_groups_platform_external_id ON access_groups USING btree (platform, external_id);

CREATE TABLE access_group_members (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  access_group_id uuid NOT NULL,
  user_id uuid NOT NULL,
  member_type character varying(50) DEFAULT 'member'::character varying NOT NULL,
  is_active boolean DEFAULT true,
  joined_at timestamp with time zone DEFAULT now(),
  removed_at timestamp with time zone,
  synced_from_platform boolean DEFAULT true,
  membership_source character varying(20) DEFAULT 'manual'::character varying,
  rule_matched_at timestamp with time zone,
  PRIMARY KEY (id),
  UNIQUE (access_group_id, user_id),
  CHECK (((membership_source)::text = ANY (ARRAY[('platform'::character varying)::text, ('manual'::character varying)::text, ('dynamic'::character varying)::text])))
);

CREATE INDEX idx_access_group_members_access_group_id ON access_group_members USING btree (access_group_id);
CREATE INDEX idx_access_group_members_user_id ON access_group_members USING btree (user_id);

CREATE TABLE dynamic_group_rules (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  group_id uuid NOT NULL,
  rule_type character varying(50) NOT NULL,
  field_name character varying(100) NOT NULL,
  operator character varying(20) NOT NULL,
  value text NOT NULL,
  logic_operator character varying(10) DEFAULT 'AND'::character varying,
  sort_order integer DEFAULT 0,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_dynamic_group_rules_group_id ON dynamic_group_rules USING btree (group_id);

CREATE TABLE custom_field_definitions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  field_key character varying(100) NOT NULL,
  display_name character varying(255) NOT NULL,
  description text,
  field_type character varying(50) NOT NULL,
  entity_type character varying(50) DEFAULT 'user'::character varying NOT NULL,
  options jsonb,
  validation_rules jsonb,
  is_required boolean DEFAULT false,
  is_searchable boolean DEFAULT true,
  is_filterable boolean DEFAULT true,
  display_order integer DEFAULT 0,
  section character varying(100),
  is_active boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, field_key)
);

CREATE INDEX idx_custom_field_definitions_organization_id ON custom_field_definitions USING btree (organization_id);

CREATE TABLE custom_field_values (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  definition_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  entity_type character varying(50) NOT NULL,
  value jsonb NOT NULL,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (definition_id, entity_id)
);

CREATE INDEX idx_custom_field_values_definition_id ON custom_field_values USING btree (definition_id);
CREATE INDEX idx_custom_field_values_entity_id_entity_type ON custom_field_values USING btree (entity_id, entity_type);

CREATE TABLE user_addresses (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  user_id uuid NOT NULL,
  address_type character varying(50) DEFAULT 'work'::character varying,
  street_address_1 character varying(500),
  street_address_2 character varying(500),
  city character varying(255),
  state_province character varying(255),
  postal_code character varying(50),
  country character varying(100),
  is_primary boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_addresses_user_id ON user_addresses USING btree (user_id);

CREATE TABLE user_secondary_emails (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  user_id uuid NOT NULL,
  email character varying(255) NOT NULL,
  email_type character varying(50) DEFAULT 'personal'::character varying,
  is_verified boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (user_id, email)
);

CREATE INDEX idx_user_secondary_emails_email ON user_secondary_emails USING btree (email);
CREATE INDEX idx_user_secondary_emails_user_id ON user_secondary_emails USING btree (user_id);

CREATE TABLE user_interests (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  interest character varying(100) NOT NULL,
  category character varying(50),
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_interests_user_id ON user_interests USING btree (user_id);

CREATE TABLE user_fun_facts (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  fact text NOT NULL,
  sort_order integer DEFAULT 0,
  is_visible boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_fun_facts_user_id ON user_fun_facts USING btree (user_id);

CREATE TABLE user_expertise_topics (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  topic character varying(100) NOT NULL,
  proficiency_level character varying(20) DEFAULT 'intermediate'::character varying,
  is_willing_to_help boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_expertise_topics_user_id ON user_expertise_topics USING btree (user_id);

CREATE TABLE user_media (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  media_type character varying(50) NOT NULL,
  storage_type character varying(20) DEFAULT 'minio'::character varying NOT NULL,
  storage_path character varying(500) NOT NULL,
  original_filename character varying(255),
  mime_type character varying(100),
  size_bytes bigint,
  is_primary boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_media_user_id ON user_media USING btree (user_id);

CREATE TABLE user_field_visibility (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  field_name character varying(100) NOT NULL,
  visibility character varying(20) DEFAULT 'organization'::character varying NOT NULL,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (user_id, field_name)
);

CREATE INDEX idx_user_field_visibility_user_id ON user_field_visibility USING btree (user_id);

CREATE TABLE user_dashboard_widgets (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  widget_type character varying(50) NOT NULL,
  position integer DEFAULT 0,
  config jsonb DEFAULT '{}'::jsonb,
  is_visible boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_dashboard_widgets_user_id ON user_dashboard_widgets USING btree (user_id);

-- ============================================================================
-- google_workspace
-- ============================================================================

CREATE TABLE gw_credentials (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  service_account_key text NOT NULL,
  admin_email character varying(255) NOT NULL,
  domain character varying(255) NOT NULL,
  scopes text[],
  is_valid boolean DEFAULT false,
  last_validated_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id)
);

CREATE INDEX idx_gw_credentials_organization_id ON gw_credentials USING btree (organization_id);

CREATE TABLE gw_synced_users (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  google_id character varying(255) NOT NULL,
  email character varying(255) NOT NULL,
  given_name character varying(255),
  family_name character varying(255),
  full_name character varying(255),
  is_admin boolean DEFAULT false,
  is_suspended boolean DEFAULT false,
  org_unit_path character varying(255),
  department character varying(255),
  job_title character varying(255),
  last_login_time timestamp with time zone,
  creation_time timestamp with time zone,
  raw_data jsonb,
  last_sync_at timestamp with time zone DEFAULT now(),
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, google_id)
);

CREATE INDEX idx_gw_synced_users_organization_id_department ON gw_synced_users USING btree (organization_id, department);
CREATE INDEX idx_gw_synced_users_organization_id_email ON gw_synced_users USING btree (organization_id, email);
CREATE INDEX idx_gw_synced_users_organization_id ON gw_synced_users USING btree (organization_id);
CREATE INDEX idx_gw_synced_users_organization_id_org_unit_path ON gw_synced_users USING btree (organization_id, org_unit_path);
CREATE INDEX idx_gw_synced_users_organization_id_is_suspended ON gw_synced_users USING btree (organization_id, is_suspended);

CREATE TABLE gw_groups (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  google_id character varying(255) NOT NULL,
  email character varying(255) NOT NULL,
  name character varying(255),
  description text,
  member_count integer DEFAULT 0,
  raw_data jsonb,
  last_sync_at timestamp with time zone DEFAULT now(),
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, google_id)
);

CREATE INDEX idx_gw_groups_organization_id_email ON gw_groups USING btree (organization_id, email);
CREATE INDEX idx_gw_groups_organization_id ON gw_groups USING btree (organization_id);

CREATE TABLE gw_org_units (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  google_id character varying(255) NOT NULL,
  name character varying(255) NOT NULL,
  path character varying(255) NOT NULL,
  parent_id character varying(255),
  description text,
  raw_data jsonb,
  last_sync_at timestamp with time zone DEFAULT now(),
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, google_id)
);

CREATE INDEX idx_gw_org_units_organization_id ON gw_org_units USING btree (organization_id);
CREATE INDEX idx_gw_org_units_organization_id_parent_id ON gw_org_units USING btree (organization_id, parent_id);
CREATE INDEX idx_gw_org_units_organization_id_path ON gw_org_units USING btree (organization_id, path);

-- ============================================================================
-- microsoft_365
-- ============================================================================

CREATE TABLE ms_credentials (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  tenant_id character varying(64) NOT NULL,
  client_id character varying(64) NOT NULL,
  client_secret_encrypted text NOT NULL,
  is_active boolean DEFAULT true,
  last_sync_at timestamp with time zone,
  sync_status character varying(50) DEFAULT 'pending'::character varying,
  sync_error text,
  access_token_encrypted text,
  token_expires_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  PRIMARY KEY (id),
  UNIQUE (organization_id)
);

CREATE INDEX idx_ms_credentials_organization_id ON ms_credentials USING btree (organization_id);

CREATE TABLE ms_synced_users (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  ms_id character varying(64) NOT NULL,
  upn character varying(255),
  display_name character varying(255),
  given_name character varying(255),
  surname character varying(255),
  email character varying(255),
  job_title character varying(255),
  department character varying(255),
  office_location character varying(255),
  company_name character varying(255),
  mobile_phone character varying(50),
  business_phones jsonb,
  is_account_enabled boolean DEFAULT true,
  is_admin boolean DEFAULT false,
  manager_id character varying(64),
  assigned_licenses jsonb,
  raw_data jsonb,
  last_sync_at timestamp with time zone,
  sync_hash character varying(64),
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, ms_id)
);

CREATE INDEX idx_ms_synced_users_email ON ms_synced_users USING btree (email);
CREATE INDEX idx_ms_synced_users_organization_id ON ms_synced_users USING btree (organization_id);
CREATE INDEX idx_ms_synced_users_upn ON ms_synced_users USING btree (upn);

CREATE TABLE ms_synced_groups (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  ms_id character varying(64) NOT NULL,
  display_name character varying(255) NOT NULL,
  description text,
  mail character varying(255),
  mail_enabled boolean DEFAULT false,
  security_enabled boolean DEFAULT true,
  group_types jsonb,
  member_count integer DEFAULT 0,
  raw_data jsonb,
  last_sync_at timestamp with time zone,
  sync_hash character varying(64),
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, ms_id)
);

CREATE INDEX idx_ms_synced_groups_organization_id ON ms_synced_groups USING btree (organization_id);

CREATE TABLE ms_group_memberships (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  group_id uuid NOT NULL,
  user_id uuid NOT NULL,
  membership_type character varying(50) DEFAULT 'member'::character varying,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (group_id, user_id)
);

CREATE INDEX idx_ms_group_memberships_group_id ON ms_group_memberships USING btree (group_id);
CREATE INDEX idx_ms_group_memberships_user_id ON ms_group_memberships USING btree (user_id);

CREATE TABLE ms_licenses (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  sku_id character varying(64) NOT NULL,
  sku_part_number character varying(255),
  display_name character varying(255),
  total_units integer DEFAULT 0,
  consumed_units integer DEFAULT 0,
  available_units integer DEFAULT 0,
  service_plans jsonb,
  raw_data jsonb,
  last_sync_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, sku_id)
);

CREATE INDEX idx_ms_licenses_organization_id ON ms_licenses USING btree (organization_id);

-- ============================================================================
-- lifecycle
-- ============================================================================

CREATE TABLE onboarding_templates (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  department_id uuid,
  google_license_sku character varying(100),
  google_org_unit_path character varying(500),
  google_services jsonb DEFAULT '{"chat": true, "docs": true, "meet": true, "drive": true, "gmail": true, "sheets": true, "slides": true, "calendar": true}'::jsonb,
  group_ids uuid[] DEFAULT '{}'::uuid[],
  shared_drive_access jsonb DEFAULT '[]'::jsonb,
  calendar_subscriptions text[] DEFAULT '{}'::text[],
  signature_template_id uuid,
  default_job_title character varying(255),
  default_manager_id uuid,
  send_welcome_email boolean DEFAULT true,
  welcome_email_subject character varying(500) DEFAULT 'Welcome to {{company_name}}'::character varying,
  welcome_email_body text,
  is_active boolean DEFAULT true,
  is_default boolean DEFAULT false,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  timeline jsonb DEFAULT '[]'::jsonb,
  PRIMARY KEY (id)
);

CREATE INDEX idx_onboarding_templates_organization_id_is_active_partial ON onboarding_templates USING btree (organization_id, is_active) WHERE (is_active = true);
CREATE INDEX idx_onboarding_templates_department_id_partial ON onboarding_templates USING btree (department_id) WHERE (department_id IS NOT NULL);
CREATE UNIQUE INDEX idx_onboarding_templates_organization_id_partial ON onboarding_templates USING btree (organization_id) WHERE (is_default = true);
CREATE INDEX idx_onboarding_templates_organization_id ON onboarding_templates USING btree (organization_id);

CREATE TABLE offboarding_templates (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  drive_action character varying(50) DEFAULT 'transfer_manager'::character varying,
  drive_transfer_to_user_id uuid,
  drive_archive_shared_drive_id character varying(100),
  drive_delete_after_days integer DEFAULT 90,
  email_action character varying(50) DEFAULT 'forward_manager'::character varying,
  email_forward_to_user_id uuid,
  email_forward_duration_days integer DEFAULT 30,
  email_auto_reply_message text,
  email_auto_reply_subject character varying(500),
  calendar_decline_future_meetings boolean DEFAULT true,
  calendar_transfer_meeting_ownership boolean DEFAULT true,
  calendar_transfer_to_manager boolean DEFAULT true,
  calendar_transfer_to_user_id uuid,
  remove_from_all_groups boolean DEFAULT true,
  remove_from_shared_drives boolean DEFAULT true,
  revoke_oauth_tokens boolean DEFAULT true,
  revoke_app_passwords boolean DEFAULT true,
  sign_out_all_devices boolean DEFAULT true,
  reset_password boolean DEFAULT true,
  remove_signature boolean DEFAULT true,
  set_offboarding_signature boolean DEFAULT false,
  offboarding_signature_text text,
  wipe_mobile_devices boolean DEFAULT false,
  wipe_requires_confirmation boolean DEFAULT true,
  account_action character varying(50) DEFAULT 'suspend_on_last_day'::character varying,
  delete_account boolean DEFAULT false,
  delete_after_days integer DEFAULT 90,
  license_action character varying(50) DEFAULT 'remove_on_suspension'::character varying,
  notify_manager boolean DEFAULT true,
  notify_it_admin boolean DEFAULT true,
  notify_hr boolean DEFAULT false,
  notification_email_addresses text[] DEFAULT '{}'::text[],
  notification_message text,
  is_active boolean DEFAULT true,
  is_default boolean DEFAULT false,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  timeline jsonb DEFAULT '[]'::jsonb,
  PRIMARY KEY (id)
);

CREATE INDEX idx_offboarding_templates_organization_id_is_active_partial ON offboarding_templates USING btree (organization_id, is_active) WHERE (is_active = true);
CREATE UNIQUE INDEX idx_offboarding_templates_organization_id_partial ON offboarding_templates USING btree (organization_id) WHERE (is_default = true);
CREATE INDEX idx_offboarding_templates_organization_id ON offboarding_templates USING btree (organization_id);

CREATE TABLE user_requests (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  request_type character varying(20) NOT NULL,
  status character varying(20) DEFAULT 'pending'::character varying,
  email character varying(255) NOT NULL,
  first_name character varying(255) NOT NULL,
  last_name character varying(255) NOT NULL,
  personal_email character varying(255),
  user_id uuid,
  start_date date,
  end_date date,
  template_id uuid,
  job_title character varying(255),
  department_id uuid,
  manager_id uuid,
  location character varying(255),
  metadata jsonb DEFAULT '{}'::jsonb,
  requested_by uuid,
  approved_by uuid,
  approved_at timestamp with time zone,
  rejection_reason text,
  tasks_total integer DEFAULT 0,
  tasks_completed integer DEFAULT 0,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  CHECK (((request_type)::text = ANY (ARRAY[('onboard'::character varying)::text, ('offboard'::character varying)::text, ('transfer'::character varying)::text]))),
  CHECK (((status)::text = ANY (ARRAY[('pending'::character varying)::text, ('approved'::character varying)::text, ('rejected'::character varying)::text, ('in_progress'::character varying)::text, ('completed'::character varying)::text, ('cancelled'::character varying)::text])))
);

CREATE INDEX idx_user_requests_organization_id ON user_requests USING btree (organization_id);
CREATE INDEX idx_user_requests_requested_by ON user_requests USING btree (requested_by);
CREATE INDEX idx_user_requests_start_date_partial ON user_requests USING btree (start_date) WHERE (start_date IS NOT NULL);
CREATE INDEX idx_user_requests_organization_id_status ON user_requests USING btree (organization_id, status);
CREATE INDEX idx_user_requests_organization_id_request_type ON user_requests USING btree (organization_id, request_type);
CREATE INDEX idx_user_requests_user_id_partial ON user_requests USING btree (user_id) WHERE (user_id IS NOT NULL);

CREATE TABLE lifecycle_tasks (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  request_id uuid,
  user_id uuid,
  title character varying(255) NOT NULL,
  description text,
  category character varying(50),
  assignee_type character varying(20) NOT NULL,
  assignee_id uuid,
  assignee_role character varying(50),
  trigger_type character varying(30),
  trigger_offset_days integer DEFAULT 0,
  due_date date,
  status character varying(20) DEFAULT 'pending'::character varying,
  completed_at timestamp with time zone,
  completed_by uuid,
  completion_notes text,
  action_type character varying(50),
  action_config jsonb,
  scheduled_action_id uuid,
  sequence_order integer DEFAULT 0,
  depends_on_task_id uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  last_reminder_on date,
  PRIMARY KEY (id),
  CHECK (((assignee_type)::text = ANY (ARRAY[('user'::character varying)::text, ('manager'::character varying)::text, ('hr'::character varying)::text, ('it'::character varying)::text, ('system'::character varying)::text]))),
  CHECK (((status)::text = ANY (ARRAY[('pending'::character varying)::text, ('in_progress'::character varying)::text, ('completed'::character varying)::text, ('skipped'::character varying)::text, ('blocked'::character varying)::text])))
);

CREATE INDEX idx_lifecycle_tasks_assignee_id_partial ON lifecycle_tasks USING btree (assignee_id) WHERE (assignee_id IS NOT NULL);
CREATE INDEX idx_lifecycle_tasks_organization_id_assignee_type_status ON lifecycle_tasks USING btree (organization_id, assignee_type, status);
CREATE INDEX idx_lifecycle_tasks_due_date_partial ON lifecycle_tasks USING btree (due_date) WHERE ((status)::text = 'pending'::text);
CREATE INDEX idx_lifecycle_tasks_organization_id ON lifecycle_tasks USING btree (organization_id);
CREATE INDEX idx_lifecycle_tasks_request_id ON lifecycle_tasks USING btree (request_id);
CREATE INDEX idx_lifecycle_tasks_organization_id_status ON lifecycle_tasks USING btree (organization_id, status);
CREATE INDEX idx_lifecycle_tasks_user_id_partial ON lifecycle_tasks USING btree (user_id) WHERE (user_id IS NOT NULL);

CREATE TABLE scheduled_user_actions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid,
  target_email character varying(255),
  target_first_name character varying(255),
  target_last_name character varying(255),
  target_personal_email character varying(255),
  action_type character varying(50) NOT NULL,
  onboarding_template_id uuid,
  offboarding_template_id uuid,
  action_config jsonb DEFAULT '{}'::jsonb NOT NULL,
  config_overrides jsonb DEFAULT '{}'::jsonb,
  scheduled_for timestamp with time zone NOT NULL,
  is_recurring boolean DEFAULT false,
  recurrence_interval character varying(50),
  recurrence_until timestamp with time zone,
  last_recurrence_at timestamp with time zone,
  status character varying(20) DEFAULT 'pending'::character varying,
  started_at timestamp with time zone,
  completed_at timestamp with time zone,
  total_steps integer DEFAULT 0,
  completed_steps integer DEFAULT 0,
  current_step character varying(100),
  error_message text,
  error_details jsonb,
  retry_count integer DEFAULT 0,
  max_retries integer DEFAULT 3,
  next_retry_at timestamp with time zone,
  requires_approval boolean DEFAULT false,
  approved_by uuid,
  approved_at timestamp with time zone,
  approval_notes text,
  rejected_by uuid,
  rejected_at timestamp with time zone,
  rejection_reason text,
  depends_on_action_id uuid,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  cancelled_by uuid,
  cancelled_at timestamp with time zone,
  cancellation_reason text,
  PRIMARY KEY (id),
  CHECK (((action_type)::text = ANY (ARRAY[('onboard'::character varying)::text, ('offboard'::character varying)::text, ('suspend'::character varying)::text, ('unsuspend'::character varying)::text, ('delete'::character varying)::text, ('restore'::character varying)::text]))),
  CHECK (((status)::text = ANY (ARRAY[('pending'::character varying)::text, ('in_progress'::character varying)::text, ('completed'::character varying)::text, ('failed'::character varying)::text, ('cancelled'::character varying)::text, ('skipped'::character varying)::text])))
);

CREATE INDEX idx_scheduled_user_actions_organization_id_requires_approval ON scheduled_user_actions USING btree (organization_id, requires_approval, status) WHERE ((requires_approval = true) AND ((status)::text = 'pending'::text) AND (approved_at IS NULL));
CREATE INDEX idx_scheduled_user_actions_organization_id_started_at_partial ON scheduled_user_actions USING btree (organization_id, started_at) WHERE ((status)::text = 'in_progress'::text);
CREATE INDEX idx_scheduled_user_actions_organization_id_scheduled_for_sta ON scheduled_user_actions USING btree (organization_id, scheduled_for, status) WHERE ((status)::text = 'pending'::text);
CREATE INDEX idx_scheduled_user_actions_next_retry_at_retry_count_partial ON scheduled_user_actions USING btree (next_retry_at, retry_count) WHERE (((status)::text = 'failed'::text) AND (retry_count < max_retries));
CREATE INDEX idx_scheduled_user_actions_organization_id_status_scheduled_for ON scheduled_user_actions USING btree (organization_id, status, scheduled_for);
CREATE INDEX idx_scheduled_user_actions_user_id_scheduled_for_desc_partial ON scheduled_user_actions USING btree (user_id, scheduled_for DESC) WHERE (user_id IS NOT NULL);

CREATE TABLE user_lifecycle_logs (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid,
  action_id uuid,
  step_name character varying(100) NOT NULL,
  step_type character varying(50) NOT NULL,
  status character varying(20) NOT NULL,
  details jsonb DEFAULT '{}'::jsonb,
  error_message text,
  duration_ms integer,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_lifecycle_logs_action_id ON user_lifecycle_logs USING btree (action_id);
CREATE INDEX idx_user_lifecycle_logs_organization_id ON user_lifecycle_logs USING btree (organization_id);
CREATE INDEX idx_user_lifecycle_logs_user_id ON user_lifecycle_logs USING btree (user_id);

CREATE TABLE user_initial_passwords (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  user_email character varying(255) NOT NULL,
  encrypted_password text NOT NULL,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  revealed_at timestamp with time zone,
  revealed_by uuid,
  cleared_at timestamp with time zone,
  cleared_by uuid,
  provider character varying(20),
  PRIMARY KEY (id),
  UNIQUE (organization_id, user_email, provider),
  CHECK (((provider)::text = ANY (ARRAY[('google_workspace'::character varying)::text, ('microsoft_365'::character varying)::text])))
);

CREATE INDEX idx_user_initial_passwords_organization_id ON user_initial_passwords USING btree (organization_id);
CREATE INDEX idx_user_initial_passwords_organization_id_user_email ON user_initial_passwords USING btree (organization_id, user_email);

CREATE TABLE bulk_operations (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  operation_type character varying(50) NOT NULL,
  status character varying(20) DEFAULT 'pending'::character varying,
  total_items integer DEFAULT 0,
  processed_items integer DEFAULT 0,
  failed_items integer DEFAULT 0,
  parameters jsonb DEFAULT '{}'::jsonb,
  results jsonb DEFAULT '[]'::jsonb,
  error_log jsonb DEFAULT '[]'::jsonb,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  started_at timestamp with time zone,
  completed_at timestamp with time zone,
  PRIMARY KEY (id)
);

CREATE INDEX idx_bulk_operations_organization_id ON bulk_operations USING btree (organization_id);
CREATE INDEX idx_bulk_operations_status ON bulk_operations USING btree (status);

-- ============================================================================
-- training
-- ============================================================================

CREATE TABLE training_content (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  title character varying(255) NOT NULL,
  description text,
  content_type character varying(50) NOT NULL,
  url text,
  file_path text,
  embedded_content text,
  estimated_duration_minutes integer DEFAULT 0,
  passing_score integer,
  requires_acknowledgment boolean DEFAULT false,
  requires_signature boolean DEFAULT false,
  allow_skip boolean DEFAULT false,
  category character varying(100),
  tags jsonb DEFAULT '[]'::jsonb,
  applies_to_roles jsonb DEFAULT '[]'::jsonb,
  applies_to_departments jsonb DEFAULT '[]'::jsonb,
  version integer DEFAULT 1,
  is_active boolean DEFAULT true,
  is_mandatory boolean DEFAULT false,
  created_by uuid,
  created_at timestamp without time zone DEFAULT now(),
  updated_at timestamp without time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_training_content_organization_id_is_active ON training_content USING btree (organization_id, is_active);
CREATE INDEX idx_training_content_organization_id_category ON training_content USING btree (organization_id, category);
CREATE INDEX idx_training_content_organization_id ON training_content USING btree (organization_id);
CREATE INDEX idx_training_content_organization_id_content_type ON training_content USING btree (organization_id, content_type);

CREATE TABLE training_quiz_questions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  content_id uuid NOT NULL,
  question_text text NOT NULL,
  question_type character varying(20) DEFAULT 'single_choice'::character varying NOT NULL,
  options jsonb,
  correct_answer text,
  points integer DEFAULT 1,
  explanation text,
  sequence_order integer DEFAULT 0,
  created_at timestamp without time zone DEFAULT now(),
  updated_at timestamp without time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_training_quiz_questions_content_id ON training_quiz_questions USING btree (content_id);

CREATE TABLE user_training_progress (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  content_id uuid NOT NULL,
  status character varying(20) DEFAULT 'not_started'::character varying NOT NULL,
  progress_percent integer DEFAULT 0,
  started_at timestamp without time zone,
  completed_at timestamp without time zone,
  time_spent_seconds integer DEFAULT 0,
  quiz_attempts integer DEFAULT 0,
  quiz_score integer,
  quiz_passed boolean,
  quiz_answers jsonb,
  acknowledged_at timestamp without time zone,
  signature_data text,
  signature_ip character varying(45),
  signature_user_agent text,
  assigned_at timestamp without time zone DEFAULT now(),
  assigned_by uuid,
  due_date date,
  request_id uuid,
  created_at timestamp without time zone DEFAULT now(),
  updated_at timestamp without time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (user_id, content_id)
);

CREATE INDEX idx_user_training_progress_content_id ON user_training_progress USING btree (content_id);
CREATE INDEX idx_user_training_progress_organization_id_status ON user_training_progress USING btree (organization_id, status);
CREATE INDEX idx_user_training_progress_organization_id_user_id ON user_training_progress USING btree (organization_id, user_id);

-- ============================================================================
-- automation
-- ============================================================================

CREATE TABLE automation_rules (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  rule_type character varying(50) NOT NULL,
  conditions jsonb NOT NULL,
  priority integer DEFAULT 0,
  is_enabled boolean DEFAULT true,
  nesting_depth integer DEFAULT 0,
  condition_count integer DEFAULT 0,
  references_conditions uuid[] DEFAULT '{}'::uuid[],
  config jsonb DEFAULT '{}'::jsonb,
  last_evaluated_at timestamp with time zone,
  last_match_count integer DEFAULT 0,
  created_by uuid,
  updated_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_automation_rules_organization_id_is_enabled_rule_type ON automation_rules USING btree (organization_id, is_enabled, rule_type);
CREATE INDEX idx_automation_rules_organization_id ON automation_rules USING btree (organization_id);
CREATE INDEX idx_automation_rules_organization_id_rule_type_priority_desc ON automation_rules USING btree (organization_id, rule_type, priority DESC);
CREATE INDEX idx_automation_rules_organization_id_rule_type ON automation_rules USING btree (organization_id, rule_type);

CREATE TABLE named_conditions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(100) NOT NULL,
  display_name character varying(255) NOT NULL,
  description text,
  conditions jsonb NOT NULL,
  nesting_depth integer DEFAULT 0,
  references_conditions uuid[] DEFAULT '{}'::uuid[],
  usage_count integer DEFAULT 0,
  created_by uuid,
  updated_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, name)
);

CREATE INDEX idx_named_conditions_organization_id_name ON named_conditions USING btree (organization_id, name);
CREATE INDEX idx_named_conditions_organization_id ON named_conditions USING btree (organization_id);

CREATE TABLE rule_evaluation_log (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  rule_id uuid,
  rule_type character varying(50) NOT NULL,
  facts jsonb NOT NULL,
  matched boolean NOT NULL,
  result jsonb,
  triggered_by character varying(100),
  user_id uuid,
  evaluation_time_ms integer,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_rule_evaluation_log_organization_id_created_at_desc ON rule_evaluation_log USING btree (organization_id, created_at DESC);
CREATE INDEX idx_rule_evaluation_log_rule_id_created_at_desc ON rule_evaluation_log USING btree (rule_id, created_at DESC);

CREATE TABLE workflows (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  trigger_type character varying(50) NOT NULL,
  trigger_config jsonb DEFAULT '{}'::jsonb,
  steps jsonb DEFAULT '[]'::jsonb,
  is_active boolean DEFAULT true,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_workflows_is_active ON workflows USING btree (is_active);
CREATE INDEX idx_workflows_organization_id ON workflows USING btree (organization_id);

-- ============================================================================
-- signatures
-- ============================================================================

CREATE TABLE signature_templates (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  html_content text NOT NULL,
  plain_text_content text,
  merge_fields jsonb DEFAULT '[]'::jsonb,
  is_default boolean DEFAULT false,
  is_campaign_template boolean DEFAULT false,
  status character varying(20) DEFAULT 'draft'::character varying,
  version integer DEFAULT 1,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  CHECK (((status)::text = ANY (ARRAY[('draft'::character varying)::text, ('active'::character varying)::text, ('archived'::character varying)::text])))
);

CREATE UNIQUE INDEX idx_signature_templates_organization_id_partial ON signature_templates USING btree (organization_id) WHERE (is_default = true);
CREATE INDEX idx_signature_templates_organization_id ON signature_templates USING btree (organization_id);
CREATE INDEX idx_signature_templates_organization_id_status ON signature_templates USING btree (organization_id, status);

CREATE TABLE signature_campaigns (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  template_id uuid NOT NULL,
  banner_url character varying(500),
  banner_link character varying(500),
  banner_alt_text character varying(255),
  start_date timestamp with time zone NOT NULL,
  end_date timestamp with time zone NOT NULL,
  timezone character varying(100) DEFAULT 'UTC'::character varying,
  tracking_enabled boolean DEFAULT true,
  tracking_options jsonb DEFAULT '{"geo": true, "opens": true, "unique": true}'::jsonb,
  status character varying(20) DEFAULT 'draft'::character varying,
  auto_revert boolean DEFAULT true,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  launched_at timestamp with time zone,
  completed_at timestamp with time zone,
  PRIMARY KEY (id),
  CHECK ((end_date > start_date)),
  CHECK (((status)::text = ANY (ARRAY[('draft'::character varying)::text, ('scheduled'::character varying)::text, ('active'::character varying)::text, ('paused'::character varying)::text, ('completed'::character varying)::text, ('cancelled'::character varying)::text])))
);

CREATE INDEX idx_signature_campaigns_organization_id_start_date_end_date_ ON signature_campaigns USING btree (organization_id, start_date, end_date) WHERE ((status)::text = 'active'::text);
CREATE INDEX idx_signature_campaigns_organization_id ON signature_campaigns USING btree (organization_id);
CREATE INDEX idx_signature_campaigns_status_start_date_end_date_partial ON signature_campaigns USING btree (status, start_date, end_date) WHERE ((status)::text = ANY (ARRAY[('scheduled'::character varying)::text, ('active'::character varying)::text]));
CREATE INDEX idx_signature_campaigns_organization_id_status ON signature_campaigns USING btree (organization_id, status);

CREATE TABLE signature_assignments (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  template_id uuid NOT NULL,
  assignment_type character varying(30) NOT NULL,
  target_id uuid,
  target_value character varying(500),
  priority integer DEFAULT 100,
  is_active boolean DEFAULT true,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  CHECK (((assignment_type)::text = ANY (ARRAY[('user'::character varying)::text, ('group'::character varying)::text, ('dynamic_group'::character varying)::text, ('department'::character varying)::text, ('ou'::character varying)::text, ('organization'::character varying)::text])))
);

CREATE INDEX idx_signature_assignments_organization_id_is_active_priority ON signature_assignments USING btree (organization_id, is_active, priority);
CREATE INDEX idx_signature_assignments_template_id ON signature_assignments USING btree (template_id);
CREATE UNIQUE INDEX idx_signature_assignments_organization_id_template_id_assign ON signature_assignments USING btree (organization_id, template_id, assignment_type, target_id) WHERE (target_id IS NOT NULL);
CREATE UNIQUE INDEX idx_signature_assignments_organization_id_template_id_assign_2 ON signature_assignments USING btree (organization_id, template_id, assignment_type) WHERE ((assignment_type)::text = 'organization'::text);
CREATE UNIQUE INDEX idx_signature_assignments_organization_id_template_id_assign_3 ON signature_assignments USING btree (organization_id, template_id, assignment_type, target_value) WHERE ((target_value IS NOT NULL) AND (target_id IS NULL));

CREATE TABLE signature_permissions (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  permission_type character varying(50) NOT NULL,
  scope character varying(50) DEFAULT 'self'::character varying NOT NULL,
  target_id uuid,
  granted_by uuid,
  granted_at timestamp with time zone DEFAULT now(),
  expires_at timestamp with time zone,
  is_active boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, user_id, permission_type, scope, target_id)
);

CREATE INDEX idx_signature_permissions_organization_id ON signature_permissions USING btree (organization_id);
CREATE INDEX idx_signature_permissions_user_id ON signature_permissions USING btree (user_id);

CREATE TABLE signature_tracking_pixels (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  campaign_id uuid NOT NULL,
  user_id uuid NOT NULL,
  pixel_token character varying(255) NOT NULL,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (pixel_token),
  UNIQUE (campaign_id, user_id)
);

CREATE INDEX idx_signature_tracking_pixels_pixel_token ON signature_tracking_pixels USING btree (pixel_token);

CREATE TABLE signature_tracking_events (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  pixel_id uuid NOT NULL,
  campaign_id uuid,
  user_id uuid NOT NULL,
  timestamp timestamp with time zone DEFAULT now(),
  ip_address_hash character varying(64),
  user_agent text,
  country_code character varying(2),
  region character varying(100),
  city character varying(100),
  is_unique boolean DEFAULT false,
  device_type character varying(20),
  campaign_name character varying(255),
  tracking_type character varying(20) DEFAULT 'campaign'::character varying,
  user_tracking_id uuid,
  PRIMARY KEY (id),
  CHECK (((tracking_type)::text = ANY (ARRAY[('user'::character varying)::text, ('campaign'::character varying)::text])))
);

CREATE INDEX idx_signature_tracking_events_campaign_id_timestamp ON signature_tracking_events USING btree (campaign_id, "timestamp");
CREATE INDEX idx_signature_tracking_events__timestamp ON signature_tracking_events USING btree ("timestamp");
CREATE INDEX idx_signature_tracking_events_campaign_id_is_unique_partial ON signature_tracking_events USING btree (campaign_id, is_unique) WHERE (is_unique = true);
CREATE INDEX idx_signature_tracking_events_user_id_timestamp ON signature_tracking_events USING btree (user_id, "timestamp");

CREATE TABLE signature_user_tracking (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  campaign_id uuid,
  template_id uuid,
  tracking_token character varying(100) NOT NULL,
  total_opens integer DEFAULT 0,
  unique_opens integer DEFAULT 0,
  last_open_at timestamp with time zone,
  first_open_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (tracking_token)
);

CREATE INDEX idx_signature_user_tracking_organization_id ON signature_user_tracking USING btree (organization_id);
CREATE INDEX idx_signature_user_tracking_tracking_token ON signature_user_tracking USING btree (tracking_token);
CREATE INDEX idx_signature_user_tracking_user_id ON signature_user_tracking USING btree (user_id);

CREATE TABLE user_signature_status (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  user_id uuid NOT NULL,
  organization_id uuid NOT NULL,
  current_template_id uuid,
  active_campaign_id uuid,
  assignment_source character varying(50),
  assignment_id uuid,
  rendered_html text,
  last_synced_at timestamp with time zone,
  sync_status character varying(20) DEFAULT 'pending'::character varying,
  sync_error text,
  google_signature_hash character varying(64),
  sync_attempts integer DEFAULT 0,
  last_sync_attempt_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (user_id),
  CHECK (((sync_status)::text = ANY (ARRAY[('pending'::character varying)::text, ('syncing'::character varying)::text, ('synced'::character varying)::text, ('failed'::character varying)::text, ('error'::character varying)::text, ('skipped'::character varying)::text])))
);

CREATE INDEX idx_user_signature_status_organization_id ON user_signature_status USING btree (organization_id);
CREATE INDEX idx_user_signature_status_organization_id_last_sync_attempt_ ON user_signature_status USING btree (organization_id, last_sync_attempt_at) WHERE ((sync_status)::text = 'pending'::text);
CREATE INDEX idx_user_signature_status_organization_id_sync_status ON user_signature_status USING btree (organization_id, sync_status);

CREATE TABLE campaign_assignments (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  campaign_id uuid NOT NULL,
  assignment_type character varying(30) NOT NULL,
  target_id uuid,
  target_value character varying(500),
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  CHECK (((assignment_type)::text = ANY (ARRAY[('user'::character varying)::text, ('group'::character varying)::text, ('dynamic_group'::character varying)::text, ('department'::character varying)::text, ('ou'::character varying)::text, ('organization'::character varying)::text])))
);

CREATE INDEX idx_campaign_assignments_campaign_id ON campaign_assignments USING btree (campaign_id);
CREATE UNIQUE INDEX idx_campaign_assignments_campaign_id_assignment_type_target_ ON campaign_assignments USING btree (campaign_id, assignment_type, target_id) WHERE (target_id IS NOT NULL);
CREATE UNIQUE INDEX idx_campaign_assignments_campaign_id_assignment_type_partial ON campaign_assignments USING btree (campaign_id, assignment_type) WHERE ((assignment_type)::text = 'organization'::text);
CREATE UNIQUE INDEX idx_campaign_assignments_campaign_id_assignment_type_target__2 ON campaign_assignments USING btree (campaign_id, assignment_type, target_value) WHERE ((target_value IS NOT NULL) AND (target_id IS NULL));

-- ============================================================================
-- ai
-- ============================================================================

CREATE TABLE ai_config (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  primary_endpoint_url character varying(500) NOT NULL,
  primary_api_key_encrypted text,
  primary_model character varying(100) NOT NULL,
  fallback_endpoint_url character varying(500),
  fallback_api_key_encrypted text,
  fallback_model character varying(100),
  tool_call_model character varying(100),
  is_enabled boolean DEFAULT false,
  max_tokens_per_request integer DEFAULT 4096,
  temperature numeric(3,2) DEFAULT 0.7,
  context_window_tokens integer DEFAULT 8000,
  requests_per_minute_limit integer DEFAULT 20,
  tokens_per_day_limit integer DEFAULT 100000,
  mcp_enabled boolean DEFAULT false,
  mcp_server_url character varying(500),
  system_prompt text,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id)
);


CREATE TABLE ai_chat_history (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  session_id uuid NOT NULL,
  role character varying(20) NOT NULL,
  content text NOT NULL,
  tool_calls jsonb,
  tool_call_id character varying(100),
  tool_name character varying(100),
  page_context character varying(255),
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_ai_chat_history_organization_id_created_at ON ai_chat_history USING btree (organization_id, created_at);
CREATE INDEX idx_ai_chat_history_session_id_created_at ON ai_chat_history USING btree (session_id, created_at);
CREATE INDEX idx_ai_chat_history_user_id_created_at ON ai_chat_history USING btree (user_id, created_at);

CREATE TABLE ai_usage_log (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  endpoint_used character varying(50),
  model_used character varying(100),
  request_type character varying(50),
  prompt_tokens integer,
  completion_tokens integer,
  total_tokens integer,
  latency_ms integer,
  was_tool_call boolean DEFAULT false,
  tools_invoked text[],
  was_successful boolean DEFAULT true,
  error_message text,
  error_code character varying(50),
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_ai_usage_log_model_used_created_at ON ai_usage_log USING btree (model_used, created_at);
CREATE INDEX idx_ai_usage_log_organization_id_created_at ON ai_usage_log USING btree (organization_id, created_at);
CREATE INDEX idx_ai_usage_log_user_id_created_at ON ai_usage_log USING btree (user_id, created_at);

-- ============================================================================
-- audit
-- ============================================================================

CREATE TABLE audit_logs (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid,
  action character varying(50) NOT NULL,
  resource character varying(255) NOT NULL,
  resource_id uuid,
  details jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamp with time zone DEFAULT now(),
  actor_type character varying(20),
  actor_id character varying(255),
  sequence bigint,
  previous_hash character varying(64),
  hash character varying(64),
  PRIMARY KEY (id)
);

CREATE INDEX idx_audit_logs_created_at ON audit_logs USING btree (created_at);
CREATE UNIQUE INDEX idx_audit_logs_chain ON audit_logs USING btree (organization_id, sequence);
CREATE INDEX idx_audit_logs_organization_id ON audit_logs USING btree (organization_id);
CREATE INDEX idx_audit_logs_user_id ON audit_logs USING btree (user_id);

CREATE TABLE activity_logs (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid,
  actor_id uuid,
  action character varying(100) NOT NULL,
  resource_type character varying(50),
  resource_id character varying(255),
  description text,
  metadata jsonb DEFAULT '{}'::jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_activity_logs_action ON activity_logs USING btree (action);
CREATE INDEX idx_activity_logs_actor_id_partial ON activity_logs USING btree (actor_id) WHERE (actor_id IS NOT NULL);
CREATE INDEX idx_activity_logs_created_at_desc ON activity_logs USING btree (created_at DESC);
CREATE INDEX idx_activity_logs_organization_id ON activity_logs USING btree (organization_id);
CREATE INDEX idx_activity_logs_resource_type_resource_id_partial ON activity_logs USING btree (resource_type, resource_id) WHERE (resource_type IS NOT NULL);
CREATE INDEX idx_activity_logs_user_id_partial ON activity_logs USING btree (user_id) WHERE (user_id IS NOT NULL);
CREATE INDEX idx_activity_logs_user_id_created_at_desc_partial ON activity_logs USING btree (user_id, created_at DESC) WHERE (user_id IS NOT NULL);

CREATE TABLE security_events (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid,
  event_type character varying(50) NOT NULL,
  severity character varying(20) DEFAULT 'info'::character varying NOT NULL,
  source character varying(50),
  description text,
  metadata jsonb DEFAULT '{}'::jsonb,
  ip_address inet,
  user_agent text,
  is_resolved boolean DEFAULT false,
  resolved_at timestamp with time zone,
  resolved_by uuid,
  resolution_notes text,
  created_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_security_events_created_at_desc ON security_events USING btree (created_at DESC);
CREATE INDEX idx_security_events_organization_id ON security_events USING btree (organization_id);
CREATE INDEX idx_security_events_severity ON security_events USING btree (severity);
CREATE INDEX idx_security_events_event_type ON security_events USING btree (event_type);
CREATE INDEX idx_security_events_organization_id_is_resolved_partial ON security_events USING btree (organization_id, is_resolved) WHERE (is_resolved = false);
CREATE INDEX idx_security_events_user_id ON security_events USING btree (user_id);

-- ============================================================================
-- assets
-- ============================================================================

CREATE TABLE assets (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  asset_type character varying(100) NOT NULL,
  asset_tag character varying(100),
  serial_number character varying(255),
  manufacturer character varying(255),
  model character varying(255),
  name character varying(255),
  description text,
  purchase_date date,
  warranty_expiry_date date,
  cost numeric(10,2),
  status character varying(50) DEFAULT 'available'::character varying,
  location character varying(255),
  notes text,
  custom_fields jsonb DEFAULT '{}'::jsonb,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_assets_asset_tag ON assets USING btree (asset_tag);
CREATE INDEX idx_assets_custom_fields ON assets USING gin (custom_fields);
CREATE INDEX idx_assets_organization_id ON assets USING btree (organization_id);
CREATE INDEX idx_assets_serial_number ON assets USING btree (serial_number);
CREATE INDEX idx_assets_status ON assets USING btree (status);

CREATE TABLE user_assets (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  user_id uuid NOT NULL,
  asset_id uuid NOT NULL,
  assigned_at timestamp with time zone DEFAULT now(),
  assigned_by uuid,
  return_date timestamp with time zone,
  returned_at timestamp with time zone,
  condition_at_assignment character varying(50) DEFAULT 'good'::character varying,
  condition_at_return character varying(50),
  notes text,
  is_primary boolean DEFAULT false,
  PRIMARY KEY (id)
);

CREATE INDEX idx_user_assets_asset_id ON user_assets USING btree (asset_id);
CREATE INDEX idx_user_assets_is_primary ON user_assets USING btree (is_primary);
CREATE INDEX idx_user_assets_user_id ON user_assets USING btree (user_id);

CREATE TABLE media_assets (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  storage_type character varying(20) DEFAULT 'google_drive'::character varying NOT NULL,
  storage_path character varying(500) NOT NULL,
  name character varying(255) NOT NULL,
  filename character varying(255) NOT NULL,
  mime_type character varying(100) NOT NULL,
  size_bytes bigint,
  folder_id uuid,
  category character varying(50),
  access_token character varying(100) NOT NULL,
  is_public boolean DEFAULT true,
  access_count integer DEFAULT 0,
  last_accessed_at timestamp with time zone,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (access_token)
);

CREATE INDEX idx_media_assets_organization_id_category ON media_assets USING btree (organization_id, category);
CREATE INDEX idx_media_assets_folder_id ON media_assets USING btree (folder_id);
CREATE INDEX idx_media_assets_organization_id ON media_assets USING btree (organization_id);
CREATE INDEX idx_media_assets_access_token ON media_assets USING btree (access_token);

CREATE TABLE media_asset_folders (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  path character varying(500) NOT NULL,
  parent_id uuid,
  drive_folder_id character varying(100),
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, path)
);

CREATE INDEX idx_media_asset_folders_organization_id ON media_asset_folders USING btree (organization_id);
CREATE INDEX idx_media_asset_folders_parent_id ON media_asset_folders USING btree (parent_id);

CREATE TABLE media_asset_settings (
  organization_id uuid NOT NULL,
  storage_backend character varying(20) DEFAULT 'google_drive'::character varying NOT NULL,
  drive_shared_drive_id character varying(100),
  drive_root_folder_id character varying(100),
  cache_ttl_seconds integer DEFAULT 3600,
  max_file_size_mb integer DEFAULT 10,
  allowed_mime_types text[] DEFAULT ARRAY['image/png'::text, 'image/jpeg'::text, 'image/gif'::text, 'image/webp'::text, 'image/svg+xml'::text, 'image/x-icon'::text],
  is_configured boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (organization_id)
);


-- ============================================================================
-- operations
-- ============================================================================

CREATE TABLE email_templates (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  template_key character varying(100) NOT NULL,
  name character varying(255) NOT NULL,
  subject character varying(500) NOT NULL,
  body_html text NOT NULL,
  body_text text,
  variables jsonb DEFAULT '[]'::jsonb,
  is_active boolean DEFAULT true,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id, template_key)
);


CREATE TABLE smtp_settings (
  id uuid DEFAULT uuid_generate_v4() NOT NULL,
  organization_id uuid NOT NULL,
  host character varying(255) NOT NULL,
  port integer DEFAULT 587 NOT NULL,
  username character varying(255),
  password_encrypted text,
  from_email character varying(255) NOT NULL,
  from_name character varying(255),
  use_tls boolean DEFAULT true,
  is_active boolean DEFAULT true,
  is_verified boolean DEFAULT false,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (organization_id)
);


CREATE TABLE helpdesk_tickets (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid,
  assigned_to uuid,
  title character varying(255) NOT NULL,
  description text,
  status character varying(20) DEFAULT 'open'::character varying,
  priority character varying(20) DEFAULT 'medium'::character varying,
  category character varying(50),
  resolution text,
  resolved_at timestamp with time zone,
  sla_due_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now(),
  updated_at timestamp with time zone DEFAULT now(),
  PRIMARY KEY (id)
);

CREATE INDEX idx_helpdesk_tickets_assigned_to ON helpdesk_tickets USING btree (assigned_to);
CREATE INDEX idx_helpdesk_tickets_organization_id ON helpdesk_tickets USING btree (organization_id);
CREATE INDEX idx_helpdesk_tickets_status ON helpdesk_tickets USING btree (status);
CREATE INDEX idx_helpdesk_tickets_user_id ON helpdesk_tickets USING btree (user_id);

CREATE TABLE workspaces (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  email character varying(255),
  platform character varying(50) NOT NULL,
  external_id character varying(255),
  external_url character varying(500),
  workspace_type character varying(50),
  is_active boolean DEFAULT true,
  is_archived boolean DEFAULT false,
  archived_at timestamp with time zone,
  metadata jsonb,
  created_at timestamp with time zone DEFAULT now(),
  created_by uuid,
  updated_at timestamp with time zone DEFAULT now(),
  synced_at timestamp with time zone,
  PRIMARY KEY (id),
  UNIQUE (organization_id, platform, external_id)
);

CREATE INDEX idx_workspaces_organization_id_is_active_partial ON workspaces USING btree (organization_id, is_active) WHERE (is_active = true);
CREATE INDEX idx_workspaces_organization_id ON workspaces USING btree (organization_id);
CREATE INDEX idx_workspaces_platform_external_id ON workspaces USING btree (platform, external_id);

CREATE TABLE workspace_members (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  workspace_id uuid NOT NULL,
  user_id uuid NOT NULL,
  role character varying(50) DEFAULT 'member'::character varying NOT NULL,
  is_active boolean DEFAULT true,
  joined_at timestamp with time zone DEFAULT now(),
  removed_at timestamp with time zone,
  synced_from_platform boolean DEFAULT true,
  PRIMARY KEY (id),
  UNIQUE (workspace_id, user_id)
);

CREATE INDEX idx_workspace_members_user_id ON workspace_members USING btree (user_id);
CREATE INDEX idx_workspace_members_workspace_id ON workspace_members USING btree (workspace_id);

-- ============================================================================
-- Foreign keys
-- ============================================================================

ALTER TABLE organization_users ADD FOREIGN KEY (cost_center_id) REFERENCES cost_centers (id) ON DELETE SET NULL;
ALTER TABLE organization_users ADD FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE SET NULL;
ALTER TABLE organization_users ADD FOREIGN KEY (location_id) REFERENCES locations (id) ON DELETE SET NULL;
ALTER TABLE organization_users ADD FOREIGN KEY (guest_invited_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE organization_users ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE organization_users ADD FOREIGN KEY (reporting_manager_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE organization_settings ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE organization_modules ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE master_data_settings ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE custom_labels ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE auth_sessions ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE auth_accounts ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_sessions ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE password_setup_tokens ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE sso_providers ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE api_keys ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE api_key_usage_logs ADD FOREIGN KEY (api_key_id) REFERENCES api_keys (id) ON DELETE CASCADE;
ALTER TABLE user_groups ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_group_memberships ADD FOREIGN KEY (group_id) REFERENCES user_groups (id) ON DELETE CASCADE;
ALTER TABLE user_group_memberships ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE departments ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE departments ADD FOREIGN KEY (parent_department_id) REFERENCES departments (id) ON DELETE SET NULL;
ALTER TABLE locations ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE locations ADD FOREIGN KEY (parent_id) REFERENCES locations (id) ON DELETE SET NULL;
ALTER TABLE cost_centers ADD FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE SET NULL;
ALTER TABLE cost_centers ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE job_titles ADD FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE SET NULL;
ALTER TABLE job_titles ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE access_groups ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE access_group_members ADD FOREIGN KEY (access_group_id) REFERENCES access_groups (id) ON DELETE CASCADE;
ALTER TABLE access_group_members ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE dynamic_group_rules ADD FOREIGN KEY (group_id) REFERENCES user_groups (id) ON DELETE CASCADE;
ALTER TABLE custom_field_definitions ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE custom_field_values ADD FOREIGN KEY (definition_id) REFERENCES custom_field_definitions (id) ON DELETE CASCADE;
ALTER TABLE user_addresses ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_secondary_emails ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_interests ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_fun_facts ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_expertise_topics ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_media ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_field_visibility ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_dashboard_widgets ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE gw_credentials ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE gw_synced_users ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE gw_groups ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE gw_org_units ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ms_credentials ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ms_synced_users ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ms_synced_groups ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ms_group_memberships ADD FOREIGN KEY (group_id) REFERENCES ms_synced_groups (id) ON DELETE CASCADE;
ALTER TABLE ms_group_memberships ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ms_group_memberships ADD FOREIGN KEY (user_id) REFERENCES ms_synced_users (id) ON DELETE CASCADE;
ALTER TABLE ms_licenses ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE onboarding_templates ADD FOREIGN KEY (default_manager_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE onboarding_templates ADD FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE SET NULL;
ALTER TABLE onboarding_templates ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE offboarding_templates ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_requests ADD FOREIGN KEY (approved_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE user_requests ADD FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE SET NULL;
ALTER TABLE user_requests ADD FOREIGN KEY (manager_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE user_requests ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_requests ADD FOREIGN KEY (requested_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE user_requests ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE lifecycle_tasks ADD FOREIGN KEY (assignee_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE lifecycle_tasks ADD FOREIGN KEY (completed_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE lifecycle_tasks ADD FOREIGN KEY (depends_on_task_id) REFERENCES lifecycle_tasks (id) ON DELETE SET NULL;
ALTER TABLE lifecycle_tasks ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE lifecycle_tasks ADD FOREIGN KEY (request_id) REFERENCES user_requests (id) ON DELETE CASCADE;
ALTER TABLE lifecycle_tasks ADD FOREIGN KEY (scheduled_action_id) REFERENCES scheduled_user_actions (id) ON DELETE SET NULL;
ALTER TABLE lifecycle_tasks ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE scheduled_user_actions ADD FOREIGN KEY (depends_on_action_id) REFERENCES scheduled_user_actions (id) ON DELETE SET NULL;
ALTER TABLE scheduled_user_actions ADD FOREIGN KEY (offboarding_template_id) REFERENCES offboarding_templates (id) ON DELETE SET NULL;
ALTER TABLE scheduled_user_actions ADD FOREIGN KEY (onboarding_template_id) REFERENCES onboarding_templates (id) ON DELETE SET NULL;
ALTER TABLE scheduled_user_actions ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE scheduled_user_actions ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE user_lifecycle_logs ADD FOREIGN KEY (action_id) REFERENCES scheduled_user_actions (id) ON DELETE SET NULL;
ALTER TABLE user_lifecycle_logs ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_lifecycle_logs ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE user_initial_passwords ADD FOREIGN KEY (cleared_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE user_initial_passwords ADD FOREIGN KEY (created_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE user_initial_passwords ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_initial_passwords ADD FOREIGN KEY (revealed_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE bulk_operations ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE training_content ADD FOREIGN KEY (created_by) REFERENCES organization_users (id);
ALTER TABLE training_content ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE training_quiz_questions ADD FOREIGN KEY (content_id) REFERENCES training_content (id) ON DELETE CASCADE;
ALTER TABLE user_training_progress ADD FOREIGN KEY (assigned_by) REFERENCES organization_users (id);
ALTER TABLE user_training_progress ADD FOREIGN KEY (content_id) REFERENCES training_content (id) ON DELETE CASCADE;
ALTER TABLE user_training_progress ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_training_progress ADD FOREIGN KEY (request_id) REFERENCES user_requests (id);
ALTER TABLE user_training_progress ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE automation_rules ADD FOREIGN KEY (created_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE automation_rules ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE automation_rules ADD FOREIGN KEY (updated_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE named_conditions ADD FOREIGN KEY (created_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE named_conditions ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE named_conditions ADD FOREIGN KEY (updated_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE rule_evaluation_log ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE rule_evaluation_log ADD FOREIGN KEY (rule_id) REFERENCES automation_rules (id) ON DELETE SET NULL;
ALTER TABLE rule_evaluation_log ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE workflows ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE signature_templates ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE signature_campaigns ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE signature_campaigns ADD FOREIGN KEY (template_id) REFERENCES signature_templates (id) ON DELETE RESTRICT;
ALTER TABLE signature_assignments ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE signature_assignments ADD FOREIGN KEY (template_id) REFERENCES signature_templates (id) ON DELETE CASCADE;
ALTER TABLE signature_permissions ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE signature_permissions ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE signature_tracking_pixels ADD FOREIGN KEY (campaign_id) REFERENCES signature_campaigns (id) ON DELETE CASCADE;
ALTER TABLE signature_tracking_pixels ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE signature_tracking_events ADD FOREIGN KEY (pixel_id) REFERENCES signature_tracking_pixels (id) ON DELETE CASCADE;
ALTER TABLE signature_user_tracking ADD FOREIGN KEY (campaign_id) REFERENCES signature_campaigns (id) ON DELETE SET NULL;
ALTER TABLE signature_user_tracking ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE signature_user_tracking ADD FOREIGN KEY (template_id) REFERENCES signature_templates (id) ON DELETE SET NULL;
ALTER TABLE signature_user_tracking ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE user_signature_status ADD FOREIGN KEY (active_campaign_id) REFERENCES signature_campaigns (id) ON DELETE SET NULL;
ALTER TABLE user_signature_status ADD FOREIGN KEY (assignment_id) REFERENCES signature_assignments (id) ON DELETE SET NULL;
ALTER TABLE user_signature_status ADD FOREIGN KEY (current_template_id) REFERENCES signature_templates (id) ON DELETE SET NULL;
ALTER TABLE user_signature_status ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_signature_status ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE campaign_assignments ADD FOREIGN KEY (campaign_id) REFERENCES signature_campaigns (id) ON DELETE CASCADE;
ALTER TABLE ai_config ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ai_chat_history ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ai_chat_history ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE ai_usage_log ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE ai_usage_log ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE audit_logs ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE audit_logs ADD FOREIGN KEY (user_id) REFERENCES organization_users (id);
ALTER TABLE activity_logs ADD FOREIGN KEY (actor_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE activity_logs ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE activity_logs ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE security_events ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE security_events ADD FOREIGN KEY (resolved_by) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE security_events ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE assets ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE user_assets ADD FOREIGN KEY (asset_id) REFERENCES assets (id) ON DELETE CASCADE;
ALTER TABLE user_assets ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE media_assets ADD FOREIGN KEY (folder_id) REFERENCES media_asset_folders (id) ON DELETE SET NULL;
ALTER TABLE media_assets ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE media_asset_folders ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE media_asset_folders ADD FOREIGN KEY (parent_id) REFERENCES media_asset_folders (id) ON DELETE CASCADE;
ALTER TABLE media_asset_settings ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE email_templates ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE smtp_settings ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE helpdesk_tickets ADD FOREIGN KEY (assigned_to) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE helpdesk_tickets ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE helpdesk_tickets ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE SET NULL;
ALTER TABLE workspaces ADD FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE workspace_members ADD FOREIGN KEY (user_id) REFERENCES organization_users (id) ON DELETE CASCADE;
ALTER TABLE workspace_members ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;

-- ============================================================================
-- Indexes on foreign keys that the live schema leaves unindexed (33)
-- ============================================================================

CREATE INDEX idx_organization_users_guest_invited_by ON organization_users USING btree (guest_invited_by);
CREATE INDEX idx_password_setup_tokens_user_id ON password_setup_tokens USING btree (user_id);
CREATE INDEX idx_ms_group_memberships_organization_id ON ms_group_memberships USING btree (organization_id);
CREATE INDEX idx_onboarding_templates_default_manager_id ON onboarding_templates USING btree (default_manager_id);
CREATE INDEX idx_user_requests_approved_by ON user_requests USING btree (approved_by);
CREATE INDEX idx_user_requests_department_id ON user_requests USING btree (department_id);
CREATE INDEX idx_user_requests_manager_id ON user_requests USING btree (manager_id);
CREATE INDEX idx_lifecycle_tasks_completed_by ON lifecycle_tasks USING btree (completed_by);
CREATE INDEX idx_lifecycle_tasks_depends_on_task_id ON lifecycle_tasks USING btree (depends_on_task_id);
CREATE INDEX idx_lifecycle_tasks_scheduled_action_id ON lifecycle_tasks USING btree (scheduled_action_id);
CREATE INDEX idx_scheduled_user_actions_depends_on_action_id ON scheduled_user_actions USING btree (depends_on_action_id);
CREATE INDEX idx_scheduled_user_actions_offboarding_template_id ON scheduled_user_actions USING btree (offboarding_template_id);
CREATE INDEX idx_scheduled_user_actions_onboarding_template_id ON scheduled_user_actions USING btree (onboarding_template_id);
CREATE INDEX idx_user_initial_passwords_cleared_by ON user_initial_passwords USING btree (cleared_by);
CREATE INDEX idx_user_initial_passwords_created_by ON user_initial_passwords USING btree (created_by);
CREATE INDEX idx_user_initial_passwords_revealed_by ON user_initial_passwords USING btree (revealed_by);
CREATE INDEX idx_training_content_created_by ON training_content USING btree (created_by);
CREATE INDEX idx_user_training_progress_assigned_by ON user_training_progress USING btree (assigned_by);
CREATE INDEX idx_user_training_progress_request_id ON user_training_progress USING btree (request_id);
CREATE INDEX idx_automation_rules_created_by ON automation_rules USING btree (created_by);
CREATE INDEX idx_automation_rules_updated_by ON automation_rules USING btree (updated_by);
CREATE INDEX idx_named_conditions_created_by ON named_conditions USING btree (created_by);
CREATE INDEX idx_named_conditions_updated_by ON named_conditions USING btree (updated_by);
CREATE INDEX idx_rule_evaluation_log_user_id ON rule_evaluation_log USING btree (user_id);
CREATE INDEX idx_signature_campaigns_template_id ON signature_campaigns USING btree (template_id);
CREATE INDEX idx_signature_tracking_pixels_user_id ON signature_tracking_pixels USING btree (user_id);
CREATE INDEX idx_signature_tracking_events_pixel_id ON signature_tracking_events USING btree (pixel_id);
CREATE INDEX idx_signature_user_tracking_campaign_id ON signature_user_tracking USING btree (campaign_id);
CREATE INDEX idx_signature_user_tracking_template_id ON signature_user_tracking USING btree (template_id);
CREATE INDEX idx_user_signature_status_active_campaign_id ON user_signature_status USING btree (active_campaign_id);
CREATE INDEX idx_user_signature_status_assignment_id ON user_signature_status USING btree (assignment_id);
CREATE INDEX idx_user_signature_status_current_template_id ON user_signature_status USING btree (current_template_id);
CREATE INDEX idx_security_events_resolved_by ON security_events USING btree (resolved_by);
-- @section routines
-- ============================================================================
-- Functions (18)
-- Behaviour as described for the live schema, without its defects. Every
-- function is CREATE OR REPLACE so that `helios db adopt` can re-run this
-- section on an existing installation.
-- ============================================================================

-- Touch functions: five names for one behaviour, kept because live triggers
-- refer to each of them by name.
CREATE OR REPLACE FUNCTION update_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION update_lifecycle_tasks_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION update_rules_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION update_user_requests_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- Only one default template per organization: saving a default clears the
-- flag on the organization's other templates.
CREATE OR REPLACE FUNCTION ensure_single_default_onboarding_template() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.is_default THEN
    UPDATE onboarding_templates
       SET is_default = false
     WHERE organization_id = NEW.organization_id
       AND id IS DISTINCT FROM NEW.id
       AND is_default;
  END IF;
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION ensure_single_default_offboarding_template() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.is_default THEN
    UPDATE offboarding_templates
       SET is_default = false
     WHERE organization_id = NEW.organization_id
       AND id IS DISTINCT FROM NEW.id
       AND is_default;
  END IF;
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION ensure_single_default_signature_template() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.is_default THEN
    UPDATE signature_templates
       SET is_default = false
     WHERE organization_id = NEW.organization_id
       AND id IS DISTINCT FROM NEW.id
       AND is_default;
  END IF;
  RETURN NEW;
END;
$$;

-- A public media token: 22 characters of base64url over 16 random bytes
-- (128 bits; the live schema derived it from a uuid's text and had ~52 bits).
CREATE OR REPLACE FUNCTION generate_media_asset_token() RETURNS character varying
LANGUAGE plpgsql AS $$
DECLARE
  candidate character varying(100);
BEGIN
  LOOP
    candidate := translate(rtrim(encode(gen_random_bytes(16), 'base64'), '='), '+/', '-_');
    EXIT WHEN NOT EXISTS (SELECT 1 FROM media_assets WHERE access_token = candidate);
  END LOOP;
  RETURN candidate;
END;
$$;

CREATE OR REPLACE FUNCTION set_media_asset_access_token() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.access_token IS NULL OR NEW.access_token = '' THEN
    NEW.access_token := generate_media_asset_token();
  END IF;
  RETURN NEW;
END;
$$;

-- Opens of one campaign: all events, unique events, distinct IP hashes, and
-- the user with the most events (ties broken by the earliest user id).
CREATE OR REPLACE FUNCTION get_campaign_stats(p_campaign_id uuid)
RETURNS TABLE(total_opens bigint, unique_opens bigint, unique_recipients bigint, top_performer_user_id uuid, top_performer_opens bigint)
LANGUAGE sql STABLE AS $$
  WITH events AS (
    SELECT e.user_id, e.is_unique, e.ip_address_hash
      FROM signature_tracking_events e
     WHERE e.campaign_id = p_campaign_id
  ),
  top AS (
    SELECT user_id, count(*) AS opens
      FROM events
     GROUP BY user_id
     ORDER BY count(*) DESC, user_id
     LIMIT 1
  )
  SELECT (SELECT count(*) FROM events),
         (SELECT count(*) FROM events WHERE is_unique),
         (SELECT count(DISTINCT ip_address_hash) FROM events),
         (SELECT user_id FROM top),
         (SELECT opens FROM top);
$$;

-- A setting's value; when it is absent and a default is given, the default
-- is stored and returned.
CREATE OR REPLACE FUNCTION get_organization_setting(org_id uuid, setting_key text, default_value text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  found_value text;
BEGIN
  SELECT s.value INTO found_value
    FROM organization_settings s
   WHERE s.organization_id = org_id AND s.key = setting_key;
  IF FOUND THEN
    RETURN found_value;
  END IF;
  IF default_value IS NOT NULL THEN
    INSERT INTO organization_settings (organization_id, key, value)
    VALUES (org_id, setting_key, default_value)
    ON CONFLICT (organization_id, key) DO NOTHING;
  END IF;
  RETURN default_value;
END;
$$;

-- The five default display labels of an organization; existing ones are kept.
CREATE OR REPLACE FUNCTION seed_default_labels(org_id uuid) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO custom_labels (organization_id, canonical_name, label_singular, label_plural)
  VALUES (org_id, 'entity.user', 'User', 'Users'),
         (org_id, 'entity.workspace', 'Team', 'Teams'),
         (org_id, 'entity.access_group', 'Group', 'Groups'),
         (org_id, 'entity.policy_container', 'Org Unit', 'Org Units'),
         (org_id, 'entity.device', 'Device', 'Devices')
  ON CONFLICT (organization_id, canonical_name) DO NOTHING;
$$;

CREATE OR REPLACE FUNCTION initialize_organization_labels() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM seed_default_labels(NEW.id);
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION log_activity(
  p_organization_id uuid,
  p_action character varying,
  p_user_id uuid DEFAULT NULL,
  p_actor_id uuid DEFAULT NULL,
  p_resource_type character varying DEFAULT NULL,
  p_resource_id character varying DEFAULT NULL,
  p_description text DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}'::jsonb,
  p_ip_address inet DEFAULT NULL,
  p_user_agent text DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  new_id uuid;
BEGIN
  INSERT INTO activity_logs (organization_id, action, user_id, actor_id, resource_type, resource_id,
                             description, metadata, ip_address, user_agent)
  VALUES (p_organization_id, p_action, p_user_id, p_actor_id, p_resource_type, p_resource_id,
          p_description, COALESCE(p_metadata, '{}'::jsonb), p_ip_address, p_user_agent)
  RETURNING id INTO new_id;
  RETURN new_id;
END;
$$;

-- Keeps named_conditions.usage_count equal to the number of automation rules
-- that reference each condition (never below zero).
CREATE OR REPLACE FUNCTION update_named_condition_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND COALESCE(array_length(OLD.references_conditions, 1), 0) > 0 THEN
    IF TG_OP = 'DELETE' OR OLD.references_conditions IS DISTINCT FROM NEW.references_conditions THEN
      UPDATE named_conditions
         SET usage_count = GREATEST(COALESCE(usage_count, 0) - 1, 0)
       WHERE id = ANY (OLD.references_conditions)
         AND organization_id = OLD.organization_id;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND COALESCE(array_length(NEW.references_conditions, 1), 0) > 0 THEN
    IF TG_OP = 'INSERT' OR OLD.references_conditions IS DISTINCT FROM NEW.references_conditions THEN
      UPDATE named_conditions
         SET usage_count = COALESCE(usage_count, 0) + 1
       WHERE id = ANY (NEW.references_conditions)
         AND organization_id = NEW.organization_id;
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;

-- Keeps a request's task counters and progress in step with its tasks.
-- Done means completed or skipped. A request that was rejected or cancelled
-- keeps its status; otherwise it becomes completed when every task is done
-- and in_progress when some are.
CREATE OR REPLACE FUNCTION update_request_task_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  affected uuid[];
  req uuid;
  total integer;
  done integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    affected := ARRAY[NEW.request_id];
  ELSIF TG_OP = 'DELETE' THEN
    affected := ARRAY[OLD.request_id];
  ELSE
    affected := ARRAY[OLD.request_id, NEW.request_id];
  END IF;
  FOR req IN SELECT DISTINCT r FROM unnest(affected) AS r WHERE r IS NOT NULL LOOP
    SELECT count(*), count(*) FILTER (WHERE t.status IN ('completed', 'skipped'))
      INTO total, done
      FROM lifecycle_tasks t
     WHERE t.request_id = req;
    UPDATE user_requests r
       SET tasks_total = total,
           tasks_completed = done,
           status = CASE
             WHEN r.status IN ('rejected', 'cancelled') THEN r.status
             WHEN total > 0 AND done = total THEN 'completed'
             WHEN done > 0 THEN 'in_progress'
             WHEN r.status = 'completed' THEN 'in_progress'
             ELSE r.status
           END
     WHERE r.id = req;
  END LOOP;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;

-- One organization per installation: false with a notice when there is none,
-- true for exactly one, an exception for more.
CREATE OR REPLACE FUNCTION verify_single_tenant_integrity() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  org_count integer;
BEGIN
  SELECT count(*) INTO org_count FROM organizations;
  IF org_count = 0 THEN
    RAISE NOTICE 'No organization exists yet: setup is required';
    RETURN false;
  ELSIF org_count = 1 THEN
    RETURN true;
  END IF;
  RAISE EXCEPTION 'Single-organization integrity violated: % organizations found', org_count
    USING ERRCODE = 'P0001';
END;
$$;

-- ============================================================================
-- Triggers (40)
-- ============================================================================

CREATE OR REPLACE TRIGGER trigger_ai_config_updated_at BEFORE UPDATE ON ai_config FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER trigger_automation_rules_updated_at BEFORE UPDATE ON automation_rules FOR EACH ROW EXECUTE FUNCTION update_rules_updated_at();
CREATE OR REPLACE TRIGGER trigger_update_condition_usage AFTER INSERT OR DELETE OR UPDATE ON automation_rules FOR EACH ROW EXECUTE FUNCTION update_named_condition_usage();
CREATE OR REPLACE TRIGGER trigger_cost_centers_updated_at BEFORE UPDATE ON cost_centers FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER departments_updated_at BEFORE UPDATE ON departments FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER trigger_update_feature_flags_updated_at BEFORE UPDATE ON feature_flags FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_gw_credentials_updated_at BEFORE UPDATE ON gw_credentials FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_gw_groups_updated_at BEFORE UPDATE ON gw_groups FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_gw_org_units_updated_at BEFORE UPDATE ON gw_org_units FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_gw_synced_users_updated_at BEFORE UPDATE ON gw_synced_users FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER lifecycle_tasks_update_counts AFTER INSERT OR DELETE OR UPDATE OF status, request_id ON lifecycle_tasks FOR EACH ROW EXECUTE FUNCTION update_request_task_counts();
CREATE OR REPLACE TRIGGER lifecycle_tasks_updated_at BEFORE UPDATE ON lifecycle_tasks FOR EACH ROW EXECUTE FUNCTION update_lifecycle_tasks_updated_at();
CREATE OR REPLACE TRIGGER trigger_locations_updated_at BEFORE UPDATE ON locations FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER trigger_master_data_settings_updated_at BEFORE UPDATE ON master_data_settings FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER tr_media_asset_folders_updated_at BEFORE UPDATE ON media_asset_folders FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER tr_media_asset_settings_updated_at BEFORE UPDATE ON media_asset_settings FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER tr_media_assets_set_token BEFORE INSERT ON media_assets FOR EACH ROW EXECUTE FUNCTION set_media_asset_access_token();
CREATE OR REPLACE TRIGGER tr_media_assets_updated_at BEFORE UPDATE ON media_assets FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_modules_updated_at BEFORE UPDATE ON modules FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_ms_credentials_updated_at BEFORE UPDATE ON ms_credentials FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_ms_licenses_updated_at BEFORE UPDATE ON ms_licenses FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_ms_synced_groups_updated_at BEFORE UPDATE ON ms_synced_groups FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_ms_synced_users_updated_at BEFORE UPDATE ON ms_synced_users FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER trigger_named_conditions_updated_at BEFORE UPDATE ON named_conditions FOR EACH ROW EXECUTE FUNCTION update_rules_updated_at();
CREATE OR REPLACE TRIGGER ensure_single_default_offboarding BEFORE INSERT OR UPDATE ON offboarding_templates FOR EACH ROW WHEN (NEW.is_default) EXECUTE FUNCTION ensure_single_default_offboarding_template();
CREATE OR REPLACE TRIGGER offboarding_templates_updated_at BEFORE UPDATE ON offboarding_templates FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER ensure_single_default_onboarding BEFORE INSERT OR UPDATE ON onboarding_templates FOR EACH ROW WHEN (NEW.is_default) EXECUTE FUNCTION ensure_single_default_onboarding_template();
CREATE OR REPLACE TRIGGER onboarding_templates_updated_at BEFORE UPDATE ON onboarding_templates FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_organization_modules_updated_at BEFORE UPDATE ON organization_modules FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_organization_settings_updated_at BEFORE UPDATE ON organization_settings FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER update_organization_users_updated_at BEFORE UPDATE ON organization_users FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER trigger_seed_labels_on_org_creation AFTER INSERT ON organizations FOR EACH ROW EXECUTE FUNCTION initialize_organization_labels();
CREATE OR REPLACE TRIGGER update_organizations_updated_at BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER scheduled_user_actions_updated_at BEFORE UPDATE ON scheduled_user_actions FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE OR REPLACE TRIGGER trg_signature_assignments_updated_at BEFORE UPDATE ON signature_assignments FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER trg_signature_campaigns_updated_at BEFORE UPDATE ON signature_campaigns FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER trg_ensure_single_default_signature BEFORE INSERT OR UPDATE OF is_default ON signature_templates FOR EACH ROW EXECUTE FUNCTION ensure_single_default_signature_template();
CREATE OR REPLACE TRIGGER trg_signature_templates_updated_at BEFORE UPDATE ON signature_templates FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER user_requests_updated_at BEFORE UPDATE ON user_requests FOR EACH ROW EXECUTE FUNCTION update_user_requests_updated_at();
CREATE OR REPLACE TRIGGER trg_user_signature_status_updated_at BEFORE UPDATE ON user_signature_status FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- ============================================================================
-- Views (4)
-- ============================================================================

-- Per campaign: enrolled users (users with a pixel), opens and recipients.
-- Pixels and events are counted in separate subqueries (the live view joined
-- both at once and multiplied the event counts by the number of pixels).
CREATE OR REPLACE VIEW campaign_analytics_summary AS
SELECT c.id AS campaign_id,
       c.organization_id,
       c.name,
       c.status,
       c.start_date,
       c.end_date,
       c.tracking_enabled,
       COALESCE(p.enrolled_users, 0::bigint) AS enrolled_users,
       COALESCE(e.total_opens, 0::bigint) AS total_opens,
       COALESCE(e.unique_opens, 0::bigint) AS unique_opens,
       COALESCE(e.unique_recipients, 0::bigint) AS unique_recipients,
       CASE WHEN COALESCE(p.enrolled_users, 0) = 0 THEN 0::numeric
            ELSE round(COALESCE(e.total_opens, 0)::numeric / p.enrolled_users::numeric, 2)
       END AS opens_per_user
  FROM signature_campaigns c
  LEFT JOIN (SELECT px.campaign_id, count(DISTINCT px.user_id) AS enrolled_users
               FROM signature_tracking_pixels px
              GROUP BY px.campaign_id) p ON p.campaign_id = c.id
  LEFT JOIN (SELECT ev.campaign_id,
                    count(*) AS total_opens,
                    count(*) FILTER (WHERE ev.is_unique) AS unique_opens,
                    count(DISTINCT ev.ip_address_hash) AS unique_recipients
               FROM signature_tracking_events ev
              WHERE ev.campaign_id IS NOT NULL
              GROUP BY ev.campaign_id) e ON e.campaign_id = c.id;

-- Assets currently held (not returned), with the holder and the asset.
CREATE OR REPLACE VIEW current_user_assets AS
SELECT ua.id,
       ua.user_id,
       ua.asset_id,
       ua.assigned_at,
       ua.assigned_by,
       ua.return_date,
       ua.returned_at,
       ua.condition_at_assignment,
       ua.condition_at_return,
       ua.notes,
       ua.is_primary,
       u.email AS user_email,
       u.first_name,
       u.last_name,
       a.asset_type,
       a.manufacturer,
       a.model,
       a.serial_number,
       a.asset_tag
  FROM user_assets ua
  JOIN organization_users u ON u.id = ua.user_id
  JOIN assets a ON a.id = ua.asset_id
 WHERE ua.returned_at IS NULL;

-- Per organization: active users, active admins, enabled modules, synced
-- Google users and the latest module sync.
CREATE OR REPLACE VIEW dashboard_stats AS
SELECT o.id AS organization_id,
       o.name AS organization_name,
       (SELECT count(*) FROM organization_users u
         WHERE u.organization_id = o.id AND u.user_status = 'active') AS total_users,
       (SELECT count(*) FROM organization_users u
         WHERE u.organization_id = o.id AND u.user_status = 'active' AND u.role = 'admin') AS admin_users,
       (SELECT count(*) FROM organization_modules om
         WHERE om.organization_id = o.id AND om.is_enabled) AS enabled_modules,
       (SELECT count(*) FROM gw_synced_users g
         WHERE g.organization_id = o.id) AS synced_google_users,
       (SELECT max(om.last_sync_at) FROM organization_modules om
         WHERE om.organization_id = o.id) AS last_sync,
       o.is_setup_complete,
       o.created_at
  FROM organizations o;

-- Per user: the effective signature permission: admin for organization
-- admins, else the strongest active unexpired explicit permission, else viewer.
CREATE OR REPLACE VIEW user_signature_permissions AS
SELECT u.id AS user_id,
       u.organization_id,
       u.email,
       u.first_name,
       u.last_name,
       CASE WHEN u.role = 'admin' THEN 'admin'::character varying
            ELSE COALESCE(sp.permission_type, 'viewer'::character varying)
       END AS effective_permission,
       sp.permission_type AS explicit_permission,
       sp.granted_by,
       sp.granted_at,
       sp.expires_at,
       (u.role = 'admin') AS is_org_admin
  FROM organization_users u
  LEFT JOIN LATERAL (
    SELECT p.permission_type, p.granted_by, p.granted_at, p.expires_at
      FROM signature_permissions p
     WHERE p.user_id = u.id
       AND p.organization_id = u.organization_id
       AND p.is_active
       AND (p.expires_at IS NULL OR p.expires_at > now())
     ORDER BY CASE p.permission_type
                WHEN 'admin' THEN 1
                WHEN 'designer' THEN 2
                WHEN 'campaign_manager' THEN 3
                WHEN 'helpdesk' THEN 4
                ELSE 5
              END,
              p.granted_at DESC
     LIMIT 1
  ) sp ON true;

-- @section seeds

-- ============================================================================
-- Seed rows: the 48 feature flags (the live file never loaded them)
-- ============================================================================

INSERT INTO feature_flags (feature_key, name, description, is_enabled, category) VALUES
  ('automation.offboarding_templates', 'Offboarding Templates', 'Create and manage offboarding templates', true, 'automation'),
  ('automation.offboarding_execution', 'Offboarding Execution', 'Execute offboarding workflows', true, 'automation'),
  ('automation.onboarding_templates', 'Onboarding Templates', 'Create and manage onboarding templates', true, 'automation'),
  ('automation.onboarding_execution', 'Onboarding Execution', 'Execute onboarding workflows', true, 'automation'),
  ('automation.scheduled_actions', 'Scheduled Actions', 'View and manage scheduled automation tasks', true, 'automation'),
  ('automation.workflows', 'Workflows', 'Custom workflow builder (advanced)', false, 'automation'),
  ('insights.reports', 'Reports', 'Generate and view reports', false, 'insights'),
  ('insights.team_analytics', 'Team Analytics', 'View team analytics and metrics', false, 'insights'),
  ('console.pop_out', 'Pop-out Console', 'Open console in separate window', false, 'console'),
  ('console.pinnable_help', 'Pinnable Help Panel', 'Dock help panel to side of console', false, 'console'),
  ('console.command_audit', 'Command Audit Logging', 'Log console commands to audit trail', false, 'console'),
  ('users.export', 'User Export', 'Export users to CSV/JSON', false, 'users'),
  ('users.platform_filter', 'Platform Filter', 'Filter users by platform', false, 'users'),
  ('users.delete', 'User Deletion', 'Delete users from the system', true, 'users'),
  ('integrations.email_archive', 'Email Archive', 'Archive departed user emails', false, 'integrations'),
  ('integrations.microsoft_365_relay', 'Microsoft 365 Relay', 'Transparent proxy for Microsoft Graph API', false, 'integrations'),
  ('integrations.google_workspace', 'Google Workspace', 'Google Workspace integration', true, 'integrations'),
  ('integrations.microsoft_365', 'Microsoft 365', 'Microsoft 365 integration', true, 'integrations'),
  ('signatures.templates', 'Signature Templates', 'Create and manage email signature templates', true, 'signatures'),
  ('signatures.campaigns', 'Signature Campaigns', 'Time-limited signature campaigns with tracking', true, 'signatures'),
  ('signatures.tracking', 'Signature Tracking', 'Track signature views with pixels', true, 'signatures'),
  ('nav.section.automation', 'Automation Section', 'Show Automation section in navigation', true, 'navigation'),
  ('nav.section.assets', 'Assets Section', 'Show Assets section in navigation', true, 'navigation'),
  ('nav.section.security', 'Security Section', 'Show Security section in navigation', true, 'navigation'),
  ('nav.section.journeys', 'Journeys Section', 'Show Journeys section in navigation', true, 'navigation'),
  ('nav.section.insights', 'Insights Section', 'Show Insights section in navigation', false, 'navigation'),
  ('nav.onboarding', 'Onboarding', 'Show Onboarding in navigation', true, 'navigation'),
  ('nav.offboarding', 'Offboarding', 'Show Offboarding in navigation', true, 'navigation'),
  ('nav.requests', 'Requests', 'Show Requests in navigation', false, 'navigation'),
  ('nav.tasks', 'My Tasks', 'Show My Tasks in navigation', true, 'navigation'),
  ('nav.training', 'Training', 'Show Training in navigation', false, 'navigation'),
  ('nav.signatures', 'Signatures', 'Show Signatures in navigation', true, 'navigation'),
  ('nav.scheduled_actions', 'Scheduled Actions', 'Show Scheduled Actions in navigation', true, 'navigation'),
  ('nav.rules_engine', 'Rules Engine', 'Show Rules Engine in navigation', false, 'navigation'),
  ('nav.workflows', 'Workflows Navigation', 'Show Workflows in navigation', false, 'navigation'),
  ('nav.it_assets', 'IT Assets', 'Show IT Assets in navigation', true, 'navigation'),
  ('nav.media_files', 'Media Files', 'Show Media Files in navigation', true, 'navigation'),
  ('nav.mail_search', 'Mail Search', 'Show Mail Search in navigation', true, 'navigation'),
  ('nav.security_events', 'Security Events', 'Show Security Events in navigation', true, 'navigation'),
  ('nav.oauth_apps', 'OAuth Apps', 'Show OAuth Apps in navigation', true, 'navigation'),
  ('nav.audit_logs', 'Audit Logs', 'Show Audit Logs in navigation', true, 'navigation'),
  ('nav.licenses', 'Licenses', 'Show Licenses in navigation', true, 'navigation'),
  ('nav.external_sharing', 'External Sharing', 'Show External Sharing in navigation', true, 'navigation'),
  ('nav.hr_dashboard', 'HR Dashboard', 'Show HR Dashboard in navigation', false, 'navigation'),
  ('nav.manager_dashboard', 'Manager Dashboard', 'Show Manager Dashboard in navigation', false, 'navigation'),
  ('nav.lifecycle_analytics', 'Lifecycle Analytics', 'Show Analytics in navigation', false, 'navigation'),
  ('nav.reports', 'Reports Navigation', 'Show Reports in navigation', false, 'navigation'),
  ('nav.email_archive', 'Email Archive Navigation', 'Show Email Archive in navigation', false, 'navigation')
ON CONFLICT (feature_key) DO NOTHING;

-- @section meta
-- Installer bookkeeping lives outside public, so public holds exactly the 86 tables.
CREATE SCHEMA IF NOT EXISTS helios_meta;

-- One row per schema version: 1 is the baseline (the first release's schema), later ones are the
-- numbered files in database/migrations (checksum: SHA-256 of the file, filled in by the installer).
CREATE TABLE IF NOT EXISTS helios_meta.schema_versions (
  version integer PRIMARY KEY,
  name text NOT NULL,
  method text NOT NULL,
  applied_at timestamp with time zone NOT NULL DEFAULT now(),
  checksum text
);

-- The finished steps of a migration that is being applied (non-transactional steps: concurrent
-- index builds, batched backfills), so an interrupted upgrade resumes where it stopped.
CREATE TABLE IF NOT EXISTS helios_meta.schema_steps (
  version integer NOT NULL,
  step integer NOT NULL,
  checksum text NOT NULL,
  finished_at timestamp with time zone NOT NULL DEFAULT now(),
  PRIMARY KEY (version, step)
);

-- This file is the baseline plus every migration below, consolidated: it records them all.
INSERT INTO helios_meta.schema_versions (version, name, method) VALUES
  (1, 'baseline', 'schema-file'),
  (2, 'audit_chain_columns', 'schema-file'),
  (3, 'api_keys_and_backup_codes', 'schema-file'),
  (4, 'directory_order_index', 'schema-file'),
  (5, 'audit_heads', 'schema-file'),
  (6, 'initial_passwords_per_provider', 'schema-file'),
  (7, 'dynamic_group_membership', 'schema-file'),
  (8, 'lifecycle_task_reminders', 'schema-file')
ON CONFLICT (version) DO NOTHING;

-- The head of each organization's audit chain (latest sequence and hash), kept outside audit_logs so
-- that removing the newest audit rows is detected. Written in the same transaction as each audit row.
CREATE TABLE IF NOT EXISTS helios_meta.audit_heads (
  organization_id uuid PRIMARY KEY REFERENCES public.organizations (id) ON DELETE CASCADE,
  head_sequence bigint NOT NULL,
  head_hash text NOT NULL,
  updated_at timestamp with time zone NOT NULL DEFAULT now()
);
