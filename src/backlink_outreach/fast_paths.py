"""The fast paths, gathered: where the code leaves the general route for a cheaper one that must
give the same answer, what each saves (the figures measured when it was written, as quoted in
its module), and the tests that hold it to the general route. Documentation only; a test
(`tests/core/test_fast_paths.py`) checks that every test named here exists.

- Campaign reads written by msgspec (`responses.json_response`, `campaigns/service.py`): rows
  from the database become dicts, or static `msgspec.Struct`s declared beside the model they
  mirror (`leads.schemas.LeadRow` for `LeadOut`), written without re-validating against
  `response_model`. Re-validating hundreds of ORM objects was most of a large campaign's GET
  under load; a struct per lead row is four times cheaper than a dict.
  Guarded by:
    `tests/core/test_fast_json.py::test_lead_rows_write_the_same_bytes_as_the_model`
    `tests/core/test_fast_json.py::test_lead_structs_write_the_same_bytes_as_the_model`
    `tests/core/test_fast_json.py::test_campaign_with_leads_writes_the_same_bytes`
    `tests/core/test_fast_json.py::test_campaign_reads_match_the_models_on_this_backend`
    `tests/core/test_fast_json.py::test_struct_fields_are_the_models_fields`
    `tests/core/test_fast_json.py::test_every_struct_has_its_model`

- A bare read-only connection for those reads (`db.read_only_engine`, no ORM session): cut a
  campaign list from 1.02 to 0.90 ms of CPU in-process.
  Guarded by:
    `tests/core/test_fast_json.py::test_campaign_reads_match_the_models_on_this_backend`

- `rows.RowQuery[T]`: on asyncpg the compiled SQL goes straight to the driver connection,
  skipping SQLAlchemy's result layer (a quarter of the client time of a large SELECT, about
  0.7 ms per 500 leads).
  Guarded by:
    `tests/core/test_rows.py::test_rows_match_sqlalchemy`
    `tests/core/test_rows.py::test_json_columns_are_refused`

- Pool liveness on checkout (`db._check_connections_on_checkout`) instead of `pool_pre_ping`:
  a free closed-flag check, and one simple-protocol `SELECT 1` only after 5 s idle, where
  asyncpg's pre-ping costs three round trips on every checkout.
  Guarded by:
    `tests/load/test_db_reconnect.py::test_requests_survive_dropped_connections`

- Bulk lead inserts (`leads/bulk_insert.py`): on SQLite, sqlite3's own executemany with each
  value bound by SQLAlchemy's bind processor for the column, since SQLAlchemy's per-row
  parameter processing was a quarter of a 10,000-lead bulk add; on PostgreSQL one cached
  "insertmanyvalues" statement rather than a VALUES list compiled per call.
  Guarded by:
    `tests/core/test_bulk_insert.py::test_bulk_rows_are_stored_as_single_adds_store_them`
    `tests/core/test_bulk_insert.py::test_returns_only_the_rows_inserted`

- Striped lead counts (`leads/counts.py`): counting leads on every list cost about 1 ms of
  PostgreSQL time per list at 4,000 leads; a single counter row raised the adds' p99 by about
  a quarter in the load benchmark.
  Guarded by:
    `tests/core/test_lead_counts.py::test_counts_follow_adds_duplicates_and_failures`
    `tests/core/test_lead_counts.py::test_concurrent_adds_keep_the_count_exact`
    `tests/core/test_lead_counts.py::test_an_add_never_waits_for_another_adds_transaction`

- Public-suffix matching by set lookup (`domains._RULES`, from tldextract's bundled snapshot,
  nothing downloaded): several times faster than tldextract's per-call object building, which
  dominated bulk lead imports.
  Guarded by:
    `tests/core/test_domains.py::test_suffix_matcher_agrees_with_tldextract_on_every_rule`
    `tests/core/test_domains.py::test_suffix_rules_are_the_bundled_snapshot_read_offline`

- URLs read by one regular expression instead of `urlsplit` (`domains._scheme_and_host`): a
  third of a bulk add's validation.
  Guarded by:
    `tests/core/test_domains.py::test_fast_url_reading_agrees_with_urlsplit`

- Common address shapes checked by a regular expression instead of email-validator's full
  Unicode path (`domains.normalize_email`).
  Guarded by:
    `tests/core/test_domains.py::test_fast_path_agrees_with_email_validator`
    `tests/core/test_domains.py::test_edge_addresses_agree`

- The policy facts query built once per shape with bound parameters (`outreach/ledger.py`):
  composing it per call was most of a policy check's CPU.
  Guarded by:
    `tests/outreach/test_policy.py::test_validate_reports_each_reason`

- Reading replies (`replies/parsing.py`, `autoreply.py`, `dsn.py`, `intents.py`): single-part
  messages with ASCII headers skip the stdlib feed parser (its line-by-line state machine was
  the largest cost of reading a reply); plain `From` addresses skip `getaddresses`; ASCII text
  is lowered once and matched by case-sensitive twins of the IGNORECASE patterns.
  Guarded by:
    `tests/replies/test_parsing_fast.py::test_simple_messages_read_as_the_stdlib_reads_them`
    `tests/replies/test_parsing_fast.py::test_anything_unusual_goes_to_the_stdlib_parser`
    `tests/replies/test_parsing_fast.py::test_real_bounces_read_alike_on_either_path`
    `tests/replies/test_address_reading_fast.py::test_plain_addresses_read_as_getaddresses`
    `tests/replies/test_parsing_fast.py::test_lowered_patterns_find_what_ignorecase_finds`
    `tests/replies/test_parsing_fast.py::test_patterns_hold_no_upper_case_letters`
"""
