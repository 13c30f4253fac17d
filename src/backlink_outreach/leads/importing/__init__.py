"""`POST /campaigns/{id}/leads/import`: a CSV file of leads (API.md part 2, "Everyday operations").

- `upload`: the request body (a `text/csv` body or a multipart field `file`) to a temporary file,
  never whole in memory, with the form fields beside it;
- `reading`: that file's encoding and delimiter, and its rows one at a time;
- `columns`: which CSV header gives which lead field (the table of SEO tools' export headers,
  or the caller's `mapping`), and a row's cells as a lead entry;
- `service`: the rows through bulk add's validation and insert, in batches, in one transaction.
"""
