/* The schema as numbered forward migrations. A migration is never edited once released: a change
 * is a new entry at the end, so every database, however old, reaches the same schema. Times are
 * Unix seconds; JSON columns hold compact JSON text. */
#include "store_internal.h"

static const pp_store_migration migrations[] = {
    {1, "snapshots, resources, scope and coverage",
     "CREATE TABLE snapshots ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused after pruning */
     "  source TEXT NOT NULL CHECK (source IN ('aws', 'import', 'terraform-plan')),"
     "  accounts TEXT NOT NULL DEFAULT '[]',"
     "  regions TEXT NOT NULL DEFAULT '[]',"
     "  started_at INTEGER NOT NULL,"
     "  finished_at INTEGER,"
     "  tool_version TEXT NOT NULL,"
     "  calls INTEGER NOT NULL DEFAULT 0,"
     "  retries INTEGER NOT NULL DEFAULT 0,"
     "  errors INTEGER NOT NULL DEFAULT 0,"
     "  resources INTEGER NOT NULL DEFAULT 0,"
     "  complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1))"
     ");"
     "CREATE INDEX snapshots_by_source ON snapshots (source, complete, id);"
     "CREATE TABLE resources ("
     "  seq INTEGER PRIMARY KEY,"
     "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,"
     "  type TEXT NOT NULL,"
     "  id TEXT NOT NULL,"
     "  arn TEXT,"
     "  account TEXT,"
     "  region TEXT,"
     "  address TEXT,"
     "  document TEXT NOT NULL,"
     "  errors TEXT,"
     "  unknown TEXT,"
     "  content_hash TEXT NOT NULL"
     ");"
     /* Walks by type in insertion order (the index carries seq) and deletes by snapshot. */
     "CREATE INDEX resources_by_type ON resources (snapshot_id, type);"
     /* One resource per key: finding ids are derived from it. Also the lookup for changes. */
     "CREATE UNIQUE INDEX resources_by_key ON resources (snapshot_id, type, account, region, id);"
     "CREATE INDEX resources_by_arn ON resources (snapshot_id, arn) WHERE arn IS NOT NULL;"
     "CREATE TABLE scope ("
     "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,"
     "  account TEXT NOT NULL,"
     "  region TEXT NOT NULL,"
     "  PRIMARY KEY (snapshot_id, account, region)"
     ") WITHOUT ROWID;"
     "CREATE TABLE coverage ("
     "  seq INTEGER PRIMARY KEY,"
     "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,"
     "  account TEXT,"
     "  region TEXT,"
     "  service TEXT NOT NULL,"
     "  operation TEXT NOT NULL,"
     "  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),"
     "  error TEXT,"
     "  calls INTEGER NOT NULL DEFAULT 0,"
     "  retries INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX coverage_by_snapshot ON coverage (snapshot_id, ok);"},

    {2, "evaluations, rules and findings",
     "CREATE TABLE evaluations ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,"
     "  evaluated_at INTEGER NOT NULL,"
     "  env TEXT,"
     "  packs TEXT NOT NULL DEFAULT '[]',"
     "  tool_version TEXT NOT NULL,"
     /* Summaries computed once at save time, so `history` never walks findings. */
     "  n_pass INTEGER NOT NULL DEFAULT 0,"
     "  n_fail INTEGER NOT NULL DEFAULT 0,"
     "  n_error INTEGER NOT NULL DEFAULT 0,"
     "  n_unknown INTEGER NOT NULL DEFAULT 0,"
     "  n_manual INTEGER NOT NULL DEFAULT 0,"
     "  n_suppressed INTEGER NOT NULL DEFAULT 0,"
     "  n_fail_open INTEGER NOT NULL DEFAULT 0," /* FAIL and not suppressed */
     "  fail_by_framework TEXT NOT NULL DEFAULT '{}'"
     ");"
     "CREATE INDEX evaluations_by_snapshot ON evaluations (snapshot_id, id);"
     "CREATE TABLE rules ("
     "  seq INTEGER PRIMARY KEY,"
     "  evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,"
     "  id TEXT NOT NULL,"
     "  severity TEXT NOT NULL,"
     "  meta TEXT NOT NULL,"
     "  UNIQUE (evaluation_id, id)"
     ");"
     "CREATE TABLE findings ("
     "  seq INTEGER PRIMARY KEY,"
     "  evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,"
     "  finding_id TEXT NOT NULL,"
     "  rule_id TEXT,"
     "  status TEXT NOT NULL CHECK (status IN ('PASS', 'FAIL', 'ERROR', 'UNKNOWN', 'MANUAL')),"
     "  res_type TEXT,"
     "  res_id TEXT,"
     "  res_arn TEXT,"
     "  account TEXT,"
     "  region TEXT,"
     "  address TEXT,"
     "  message TEXT,"
     "  evidence TEXT,"
     "  suppression TEXT,"
     "  suppressed INTEGER NOT NULL DEFAULT 0 CHECK (suppressed IN (0, 1))"
     ");"
     "CREATE INDEX findings_by_status ON findings (evaluation_id, status);"
     "CREATE INDEX findings_by_id ON findings (finding_id);"},

    {3, "remediation journal and run lock",
     "CREATE TABLE journal ("
     "  seq INTEGER PRIMARY KEY,"
     "  plan_id TEXT NOT NULL,"
     "  step_id TEXT NOT NULL,"
     /* The journal outlives retention: it records what was done to AWS. */
     "  snapshot_id INTEGER REFERENCES snapshots (id) ON DELETE SET NULL,"
     "  account TEXT,"
     "  region TEXT,"
     "  rule_id TEXT,"
     "  resource_id TEXT,"
     "  action TEXT,"
     "  state TEXT NOT NULL"
     "    CHECK (state IN ('pending', 'running', 'done', 'failed', 'skipped')),"
     "  call TEXT,"
     "  result TEXT,"
     "  request_id TEXT,"
     "  key_id TEXT,"
     "  message TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  UNIQUE (plan_id, step_id)"
     ");"
     "CREATE INDEX journal_by_snapshot ON journal (snapshot_id);"
     "CREATE TABLE locks ("
     "  name TEXT PRIMARY KEY,"
     "  pid INTEGER NOT NULL,"
     "  host TEXT NOT NULL,"
     "  acquired_at INTEGER NOT NULL"
     ");"},

    /* Evaluations are only ever read whole, so nothing looked findings up by id, while keeping
     * the index up to date cost a third of storing 200,000 findings. Coverage records say which
     * types a failed call leaves incomplete, or that the failure is recorded per resource: a
     * snapshot evaluated again from the database must judge coverage exactly as the scan did. */
    {4, "coverage types and per-resource flag; drop the unused findings_by_id index",
     "DROP INDEX IF EXISTS findings_by_id;"
     "ALTER TABLE coverage ADD COLUMN types TEXT;"
     "ALTER TABLE coverage ADD COLUMN per_resource INTEGER NOT NULL DEFAULT 0"
     "  CHECK (per_resource IN (0, 1));"},

    /* Most findings are a plain PASS that says nothing but "compliant" about a resource of the
     * evaluated snapshot: 200,000 of the 230,000 rows of an evaluation of 100,000 resources.
     * They are kept per rule as a list of (position in the evaluation, resources.seq) pairs, so
     * an evaluation costs tens of thousands of rows instead of hundreds of thousands, and is
     * read back finding for finding (store/results.c). */
    {5, "plain PASS findings as per-rule lists of resource rows",
     "CREATE TABLE passes ("
     "  seq INTEGER PRIMARY KEY,"
     "  evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,"
     "  rule_id TEXT NOT NULL,"
     "  count INTEGER NOT NULL,"
     "  entries BLOB NOT NULL"
     ");"
     "CREATE INDEX passes_by_evaluation ON passes (evaluation_id);"},

    /* Resource documents are written in binary form (core/jbin.c) from this version on; rows
     * written before stay JSON text and are still read. Nothing in the schema changes: the
     * version is there so that an older parapet, which would misread a binary document as
     * broken JSON, refuses the database instead with "schema version 6 is newer". */
    {6, "resource documents in binary form (core/jbin.c)", "SELECT 1;"},
};

const pp_store_migration *pp_store_migration_at(size_t i)
{
    return i < sizeof(migrations) / sizeof(migrations[0]) ? &migrations[i] : NULL;
}
