"""One import engine for every spreadsheet the CRM takes in (clients, positions, prices).

The ground floor below ``crm``: it imports nothing from the project's other apps. An app
describes a kind of file once (``engine.ImportKind``: its columns, how a row is checked
and how checked rows are written) and the engine does the rest: reading the file
(``reading``), matching its headers to the columns (``columns``), the per-row report
(``report``) and the staging of an upload between the dry run and the commit
(``models.ImportUpload``).
"""
