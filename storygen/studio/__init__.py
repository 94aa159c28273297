"""`storygen studio`: a local browser workspace over the project's own files.

- `app.py` — the Starlette application and its pages;
- `security.py` — the gate every request passes (Host, token → cookie, Origin, CSRF, size cap);
- `workspace.py` — the project as loaded, composed and checked, reloaded when files change;
- `library.py` — the excerpt library: rows, filters, search, sort;
- `composer.py` — new stories, and edits to a story's front matter and body;
- `server.py` — binding 127.0.0.1, printing the address, opening the browser.

See docs/studio.md.
"""
