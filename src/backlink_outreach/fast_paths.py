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

- `rows.DriverQuery` and `rows.RowQuery[T]`: on asyncpg and aiosqlite the compiled SQL goes
  straight to the driver connection, with SQLAlchemy's own bind and result processors,
  skipping its execution and result layers (a quarter of the client time of a large SELECT on
  asyncpg, about 0.7 ms per 500 leads; on aiosqlite one thread hop per statement instead of
  four). Not while a statement listener is on the engine (tracing sees every statement).
  Guarded by:
    `tests/core/test_rows.py::test_rows_match_sqlalchemy`
    `tests/core/test_rows.py::test_observed_engines_read_through_sqlalchemy`
    `tests/core/test_rows.py::test_json_columns_are_refused`

- `rows.DriverInsert`: the webhook outbox's INSERT (`integrations/events.py`) in one driver
  `executemany`, values through SQLAlchemy's bind processors: on aiosqlite one thread hop
  instead of three. What a subscribed endpoint adds to an API send went from about 1.5 to
  0.8-1.1 ms on SQLite and from 1.2-1.7 to 0.55-0.7 ms on PostgreSQL (issue 18), when the
  outbox still wrote a delivery row per endpoint too (now the fan-out's, `webhooks/fanout.py`).
  On asyncpg it goes through SQLAlchemy until SQLAlchemy has begun the transaction (asyncpg's
  is begun at SQLAlchemy's first statement: before it, a driver INSERT would commit alone).
  Guarded by:
    `tests/core/test_rows.py::test_driver_insert_stores_what_sqlalchemy_stores`
    `tests/integrations/test_outbox_insert.py::test_the_outbox_write_stores_the_rows_given`
    `tests/integrations/test_outbox_insert.py::test_a_rolled_back_transaction_keeps_no_outbox_row`

- Event data of a send built from the values in hand (`integrations/payloads.attempt`,
  `lead_events._change`): the `AttemptOut` and `LeadOut` fields as read, not re-validated
  through the models; `events.body` writes them as the models' JSON mode would. About 0.12 ms
  of CPU less per subscribed send (issue 18).
  Guarded by:
    `tests/integrations/test_event_payloads.py::test_a_sent_attempt_writes_the_models_bytes`
    `tests/integrations/test_event_payloads.py::test_a_failed_attempt_writes_the_models_bytes`
    `tests/integrations/test_event_payloads.py::test_a_lead_change_writes_the_models_bytes`
    `tests/integrations/test_event_payloads.py::test_a_sends_stored_bodies_are_the_models_on_this_backend`

- The lead list page on the driver (`leads/listing.py`, `_driver_page`): its statements built
  once per shape of request (sort, filters, kind of cursor) with named parameters, run as
  `rows.DriverQuery`s; the general path (`_general_page`) runs when statement listeners are on
  the engine. SQLite connections go back to the pool without a rollback when no transaction is
  open (`db._roll_back_open_transactions`), one hop fewer. The page carries the tenancy
  condition, so the campaign is looked up only for an empty page or a bad cursor (`_checked`,
  on both paths). The page in the lead-list
  benchmark (issue 15) went from 5.3-6.9 to 3.3-4.2 ms at p95 on SQLite and from 4.0-4.8 to
  3.4-3.8 ms on PostgreSQL.
  Guarded by:
    `tests/core/test_lead_list_fast.py::test_every_page_is_the_general_paths_page`
    `tests/core/test_lead_list_fast.py::test_values_come_back_as_the_general_path_has_them`
    `tests/core/test_lead_list_fast.py::test_refusals_are_the_same`
    `tests/core/test_lead_list_fast.py::test_the_campaign_is_looked_up_only_for_an_empty_page`
    `tests/core/test_lead_list_fast.py::test_the_fast_path_runs_unless_statements_are_observed`
    `tests/core/test_lead_list_fast.py::test_sqlite_rolls_back_only_open_transactions`

- `planned_route.PlannedRoute` for the lead list (`leads/router.py`): the route's dependencies
  and parameters solved by a plan made once from the `Dependant` FastAPI builds, instead of
  FastAPI's general walk on every request; FastAPI's own handler answers when dependency
  overrides are set or its telemetry observes the request. In-process, the page's
  main-thread CPU went from 1.16-1.73 to 0.98-1.04 ms on SQLite and from 1.19-1.46 to
  0.87-0.89 ms on PostgreSQL, with the next-page headers and the SQLite times below (issue 15).
  Guarded by:
    `tests/core/test_planned_route.py::test_the_lead_list_answers_as_fastapis_handler_does`
    `tests/core/test_planned_route.py::test_an_included_route_calls_each_dependency_once`
    `tests/core/test_planned_route.py::test_errors_from_the_whole_tree_are_fastapis`
    `tests/core/test_planned_route.py::test_overrides_are_answered_by_fastapis_handler`
    `tests/core/test_planned_route.py::test_observed_requests_are_answered_by_fastapis_handler`
    `tests/core/test_planned_route.py::test_what_the_plan_cannot_solve_is_refused_when_the_route_is_made`

- The lead list's page on a driver connection leased from the pool (`Database.driver`,
  `rows.leased_driver`, `listing.list_leads_leased`), without SQLAlchemy's `Connection`:
  0.09-0.11 ms less main-thread CPU per page in-process (34 against 87 us measured alone).
  Refused while statements are observed, as the driver route is.
  Guarded by:
    `tests/core/test_lead_list_fast.py::test_a_page_on_a_leased_driver_is_the_general_paths_page`

- The next-page URL from the query the request parsed already (`pages.with_cursor`), and the
  page headers passed to the response it is built with (`pages.next_page`).
  Guarded by:
    `tests/core/test_pages.py::test_the_next_url_is_starlettes`

- SQLite DATETIME text in SQLAlchemy's storage format read by `datetime.fromisoformat` with a
  UTC offset (`db._sqlite_utc`): 0.19 against 0.95 us a value, two per lead row.
  Guarded by:
    `tests/core/test_utc_datetime.py::test_a_stored_text_reads_as_sqlalchemy_reads_it`
    `tests/core/test_utc_datetime.py::test_other_values_take_sqlalchemys_route`
    `tests/core/test_database.py::test_times_come_back_as_stored`

- Pool liveness on checkout (`db._check_connections_on_checkout`) instead of `pool_pre_ping`:
  a free closed-flag check, and one simple-protocol `SELECT 1` only after 5 s idle, where
  asyncpg's pre-ping costs three round trips on every checkout.
  Guarded by:
    `tests/load/test_db_reconnect.py::test_requests_survive_dropped_connections`

- Bulk lead inserts (`leads/bulk_insert.py`): on SQLite, sqlite3's own executemany with each
  value bound by SQLAlchemy's bind processor for the column, since SQLAlchemy's per-row
  parameter processing was a quarter of a 10,000-lead bulk add; on asyncpg one statement per
  batch over an array per column (`INSERT ... SELECT FROM unnest(...)`, a column with one
  value in every row sent as that value), since SQLAlchemy's "insertmanyvalues" cost about
  1 s of client CPU on a 100,000-row CSV import (5.9 s -> about 3 to 4.5 s for the import,
  the rest being PostgreSQL's own insert work). Both are held to SQLAlchemy's own INSERT
  (`bulk_insert._insert_general`, still the route on other drivers).
  Guarded by:
    `tests/core/test_bulk_insert.py::test_bulk_rows_are_stored_as_single_adds_store_them`
    `tests/core/test_bulk_insert.py::test_returns_only_the_rows_inserted`
    `tests/core/test_bulk_insert.py::test_fast_insert_stores_what_the_general_insert_stores`
    `tests/core/test_bulk_insert.py::test_fast_insert_refuses_what_the_general_insert_refuses`

- Striped lead counts (`leads/counts.py`): counting leads on every list cost about 1 ms of
  PostgreSQL time per list at 4,000 leads; a single counter row raised the adds' p99 by about
  a quarter in the load benchmark.
  Guarded by:
    `tests/core/test_lead_counts.py::test_counts_follow_adds_duplicates_and_failures`
    `tests/core/test_lead_counts.py::test_concurrent_adds_keep_the_count_exact`
    `tests/core/test_lead_counts.py::test_an_add_never_waits_for_another_adds_transaction`

- Public-suffix matching by set lookup (`domains._RULES`, from tldextract's bundled snapshot,
  nothing downloaded): several times faster than tldextract's per-call object building, which
  dominated bulk lead imports. Read from the right, stopping where no rule reaches further left
  (`domains._TAILS`): 0.87 -> 0.26 us per host.
  Guarded by:
    `tests/core/test_domains.py::test_suffix_read_from_the_right_agrees_with_every_start_from_the_left`
    `tests/core/test_domains.py::test_suffix_of_label_soups_agrees`
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
