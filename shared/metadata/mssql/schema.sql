-- Warden metadata store — Azure SQL (T-SQL) schema.
--
-- Run once per database by a deployment principal that is an Entra admin of the server, e.g.
--   sqlcmd -S <server>.database.windows.net -d <database> --authentication-method ActiveDirectoryDefault \
--          -v AppIdentityName="id-warden-func" -i shared/metadata/mssql/schema.sql
-- $(AppIdentityName) is the display name of the function app's managed identity.
--
-- Mirrors the SQLite migrations (shared/metadata/sqlite/sqlite-migrations.ts): same tables, same columns, same
-- value encodings (ISO 8601 UTC text for times, JSON text for lists/objects, BIT for booleans). Where SQLite writes
-- metadata_changes with triggers, Azure SQL uses native change tracking, which the Azure SQL trigger reads.
-- Not exercised against a live server in this repository (docs/metadata.md).

SET XACT_ABORT ON;
SET QUOTED_IDENTIFIER ON;
GO

IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())
  ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 7 DAYS, AUTO_CLEANUP = ON);
GO

CREATE TABLE dbo.[access_policies] (
  [id] NVARCHAR(128) NOT NULL CONSTRAINT [PK_access_policies] PRIMARY KEY,
  [principal_id] CHAR(36) NOT NULL,
  [principal_type] VARCHAR(16) NOT NULL CHECK ([principal_type] IN ('User', 'Group', 'ServicePrincipal')),
  [role] NVARCHAR(512) NOT NULL,
  [scope] NVARCHAR(1024) NOT NULL,
  [data_access] VARCHAR(32) NULL,
  [expires_at] VARCHAR(32) NULL,
  [justification] NVARCHAR(1000) NOT NULL,
  [approved_by] CHAR(36) NULL,
  [enabled] BIT NOT NULL,
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL
);
CREATE INDEX [access_policies_principal] ON dbo.[access_policies] ([principal_id]);
GO

CREATE TABLE dbo.[managed_scopes] (
  [scope] NVARCHAR(450) NOT NULL CONSTRAINT [PK_managed_scopes] PRIMARY KEY,
  [mode] VARCHAR(16) NOT NULL CHECK ([mode] IN ('additive', 'exclusive')),
  [enforcement] VARCHAR(16) NOT NULL CHECK ([enforcement] IN ('enforce', 'report-only')),
  [allowed_roles] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([allowed_roles]) = 1),
  [break_glass] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([break_glass]) = 1),
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL
);
GO

CREATE TABLE dbo.[secret_references] (
  [id] NVARCHAR(128) NOT NULL CONSTRAINT [PK_secret_references] PRIMARY KEY,
  [name] NVARCHAR(256) NOT NULL,
  [vault_uri] NVARCHAR(256) NOT NULL,
  [secret_name] NVARCHAR(127) NOT NULL,
  [current_version] VARCHAR(32) NULL,
  [current_expires_at] VARCHAR(32) NULL,
  [rotator] VARCHAR(32) NOT NULL CHECK ([rotator] IN ('random', 'storage-account-key', 'databricks-pat', 'http')),
  [rotator_config] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([rotator_config]) = 1),
  [interval_days] INT NOT NULL CHECK ([interval_days] >= 1),
  [notify_before_days] INT NOT NULL CHECK ([notify_before_days] >= 0),
  [grace_hours] INT NOT NULL CHECK ([grace_hours] >= 0),
  [consumers] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([consumers]) = 1),
  [last_rotated_at] VARCHAR(32) NULL,
  [status] VARCHAR(16) NOT NULL,
  [next_rotation_at] VARCHAR(32) NULL,
  [next_notice_at] VARCHAR(32) NULL,
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL,
  CONSTRAINT [UQ_secret_references_vault_secret] UNIQUE ([vault_uri], [secret_name])
);
CREATE INDEX [secret_references_rotation_due] ON dbo.[secret_references] ([next_rotation_at]) WHERE [next_rotation_at] IS NOT NULL;
CREATE INDEX [secret_references_notice_due] ON dbo.[secret_references] ([next_notice_at]) WHERE [next_notice_at] IS NOT NULL;
GO

CREATE TABLE dbo.[network_rules] (
  [id] NVARCHAR(128) NOT NULL CONSTRAINT [PK_network_rules] PRIMARY KEY,
  [resource_id] NVARCHAR(1024) NOT NULL,
  [public_network_access] VARCHAR(16) NULL CHECK ([public_network_access] IN ('Enabled', 'Disabled')),
  [private_endpoint_required] BIT NOT NULL,
  [allowed_ip_ranges] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([allowed_ip_ranges]) = 1),
  [integration_runtime] NVARCHAR(128) NULL,
  [consumers] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([consumers]) = 1),
  [enabled] BIT NOT NULL,
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL
);
GO

CREATE TABLE dbo.[alert_rules] (
  [id] NVARCHAR(128) NOT NULL CONSTRAINT [PK_alert_rules] PRIMARY KEY,
  [model_id] NVARCHAR(128) NOT NULL,
  [target] NVARCHAR(1024) NOT NULL,
  [source] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([source]) = 1),
  [operator] VARCHAR(32) NOT NULL,
  [threshold] FLOAT NOT NULL,
  [window] VARCHAR(8) NOT NULL CHECK ([window] IN ('PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'P1D')),
  [frequency] VARCHAR(8) NOT NULL,
  [failing_periods] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([failing_periods]) = 1),
  [action] VARCHAR(16) NOT NULL CHECK ([action] IN ('quarantine', 'notify')),
  [auto_release] BIT NOT NULL,
  [recovery_windows] INT NOT NULL,
  [monitor_name] NVARCHAR(255) NULL,
  [severity] INT NOT NULL CHECK ([severity] BETWEEN 0 AND 4),
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL
);
GO

CREATE TABLE dbo.[models] (
  [id] NVARCHAR(128) NOT NULL CONSTRAINT [PK_models] PRIMARY KEY,
  [name] NVARCHAR(255) NOT NULL,
  [model_version] NVARCHAR(64) NOT NULL,
  [endpoint] NVARCHAR(1024) NOT NULL,
  [deployment] NVARCHAR(32) NOT NULL,
  [stage] VARCHAR(16) NOT NULL CHECK ([stage] IN ('Staging', 'Production', 'Quarantined', 'Archived')),
  [last_good_version] NVARCHAR(64) NULL,
  [next_check_at] VARCHAR(32) NULL,
  [owner] CHAR(36) NOT NULL,
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL,
  CONSTRAINT [UQ_models_name_version] UNIQUE ([name], [model_version])
);
CREATE INDEX [models_check_due] ON dbo.[models] ([next_check_at]) WHERE [next_check_at] IS NOT NULL;
GO

CREATE TABLE dbo.[exemptions] (
  [id] NVARCHAR(128) NOT NULL CONSTRAINT [PK_exemptions] PRIMARY KEY,
  [target] NVARCHAR(1024) NOT NULL,
  [kind] VARCHAR(16) NOT NULL CHECK ([kind] IN ('access', 'network', 'secret', 'model')),
  [reason] NVARCHAR(1000) NOT NULL,
  [expires_at] VARCHAR(32) NOT NULL,
  [approved_by] CHAR(36) NOT NULL,
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL
);
CREATE INDEX [exemptions_expires] ON dbo.[exemptions] ([expires_at]);
GO

CREATE TABLE dbo.[approvals] (
  [id] NVARCHAR(128) NOT NULL CONSTRAINT [PK_approvals] PRIMARY KEY,
  [kind] VARCHAR(16) NOT NULL,
  [target] NVARCHAR(1024) NOT NULL,
  [plan] NVARCHAR(MAX) NOT NULL CHECK (ISJSON([plan]) = 1),
  [requested_by] NVARCHAR(256) NOT NULL,
  [requested_at] VARCHAR(32) NOT NULL,
  [decided_by] NVARCHAR(256) NULL,
  [decision] VARCHAR(16) NULL CHECK ([decision] IN ('approved', 'rejected')),
  [decided_at] VARCHAR(32) NULL,
  [comment] NVARCHAR(2000) NULL,
  [version] INT NOT NULL CHECK ([version] >= 1),
  [created_at] VARCHAR(32) NOT NULL,
  [updated_at] VARCHAR(32) NOT NULL,
  [updated_by] NVARCHAR(256) NOT NULL,
  CONSTRAINT [CK_approvals_four_eyes] CHECK ([decided_by] IS NULL OR [decided_by] <> [requested_by])
);
GO

-- Native change tracking on every metadata table: what the Azure SQL trigger reads (CHANGETABLE).
ALTER TABLE dbo.[access_policies] ENABLE CHANGE_TRACKING;
ALTER TABLE dbo.[managed_scopes] ENABLE CHANGE_TRACKING;
ALTER TABLE dbo.[secret_references] ENABLE CHANGE_TRACKING;
ALTER TABLE dbo.[network_rules] ENABLE CHANGE_TRACKING;
ALTER TABLE dbo.[alert_rules] ENABLE CHANGE_TRACKING;
ALTER TABLE dbo.[models] ENABLE CHANGE_TRACKING;
ALTER TABLE dbo.[exemptions] ENABLE CHANGE_TRACKING;
ALTER TABLE dbo.[approvals] ENABLE CHANGE_TRACKING;
GO

-- The audit log: append-only for the app (DENY below), hash-chained by the store. Appends are serialised with
-- sp_getapplock('warden.audit_log', Exclusive, Transaction) in every write transaction.
CREATE TABLE dbo.[audit_log] (
  [seq] BIGINT NOT NULL CONSTRAINT [PK_audit_log] PRIMARY KEY CHECK ([seq] >= 1),
  [at] VARCHAR(32) NOT NULL,
  [actor] NVARCHAR(256) NOT NULL,
  [action] NVARCHAR(128) NOT NULL,
  [target] NVARCHAR(1024) NOT NULL,
  [before] NVARCHAR(MAX) NULL CHECK ([before] IS NULL OR ISJSON([before]) = 1),
  [after] NVARCHAR(MAX) NULL CHECK ([after] IS NULL OR ISJSON([after]) = 1),
  [reason] NVARCHAR(2000) NULL,
  [correlation_id] NVARCHAR(128) NULL,
  [prev_hash] CHAR(64) NOT NULL,
  [hash] CHAR(64) NOT NULL CONSTRAINT [UQ_audit_log_hash] UNIQUE
);
CREATE INDEX [audit_log_correlation] ON dbo.[audit_log] ([correlation_id]) WHERE [correlation_id] IS NOT NULL;
-- State derived from the audit trail (breaker, held grants) is read by action (SQLite migration 2); fight detection
-- reads one action's entries in a time window for a plan's drift keys. SQLite indexes the drift key itself
-- (migration 3, an expression index); here (action, at) bounds the read to the window and JSON_VALUE filters the keys
-- on the server (a computed drift-key column would need a key length no drift key can be promised to fit).
CREATE INDEX [audit_log_action_at] ON dbo.[audit_log] ([action], [at]) INCLUDE ([target]);
GO

CREATE TABLE dbo.[event_receipts] (
  [event_id] NVARCHAR(256) NOT NULL CONSTRAINT [PK_event_receipts] PRIMARY KEY,
  [source] NVARCHAR(256) NOT NULL,
  [received_at] VARCHAR(32) NOT NULL
);
GO

CREATE TABLE dbo.[poison_messages] (
  [id] BIGINT IDENTITY(1, 1) NOT NULL CONSTRAINT [PK_poison_messages] PRIMARY KEY,
  [source] NVARCHAR(256) NOT NULL,
  [message_id] NVARCHAR(256) NULL,
  [reason] NVARCHAR(2000) NOT NULL,
  [body] NVARCHAR(MAX) NULL,
  [received_at] VARCHAR(32) NOT NULL
);
GO

-- The app's identity (managed identity; no password anywhere) and least privilege.
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(AppIdentityName)')
  CREATE USER [$(AppIdentityName)] FROM EXTERNAL PROVIDER;
GO
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[access_policies] TO [$(AppIdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[managed_scopes] TO [$(AppIdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[secret_references] TO [$(AppIdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[network_rules] TO [$(AppIdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[alert_rules] TO [$(AppIdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[models] TO [$(AppIdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[exemptions] TO [$(AppIdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.[approvals] TO [$(AppIdentityName)];
GRANT SELECT, INSERT ON dbo.[audit_log] TO [$(AppIdentityName)];
DENY UPDATE, DELETE ON dbo.[audit_log] TO [$(AppIdentityName)];
GRANT SELECT, INSERT ON dbo.[event_receipts] TO [$(AppIdentityName)];
GRANT SELECT, INSERT ON dbo.[poison_messages] TO [$(AppIdentityName)];
GO

-- What the Azure SQL trigger needs: VIEW CHANGE TRACKING (and SELECT) on the watched tables, and its lease
-- state in the az_func schema (az_func.GlobalState, az_func.Leases_*). The trigger creates the schema and tables on
-- first start when it may; here the schema is created up front and the identity may create and use tables in it.
GRANT VIEW CHANGE TRACKING ON SCHEMA::dbo TO [$(AppIdentityName)];
IF NOT EXISTS (SELECT 1 FROM sys.schemas WHERE name = N'az_func')
  EXEC (N'CREATE SCHEMA az_func AUTHORIZATION dbo');
GO
GRANT CREATE TABLE TO [$(AppIdentityName)];
GRANT ALTER, SELECT, INSERT, UPDATE, DELETE ON SCHEMA::az_func TO [$(AppIdentityName)];
GO
