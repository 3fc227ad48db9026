"""ice287g: every piece of logic behind the book "287(g) in Key West".

One job per module:

- ``config``   -- paths and the few settings kept in one place (default archives, ICE's URL).
- ``sheets``   -- find ICE workbooks, parse their names and stamps, read them.
- ``clean``    -- canonical values, flags and the reviewed fixes table.
- ``build``    -- publications, agreements, listings, QA checks and the atomic write.
- ``story``    -- the curated, cited tables and the bibliography.
- ``charts``   -- the book's matplotlib style and chart helpers.
- ``explorer`` -- the widgets of the explorer page.
- ``__main__`` -- the command line (``python -m ice287g ...``).

Notebooks import from here; they never parse raw files themselves.
"""

__version__ = "0.1.0"
