"""`podium evolve`: read the history of runs, propose better settings, apply them on request.

`history` reads the store (the edge); `facts` holds the plain rows it hands on; `proposals`
turns rows into proposals and judges applied ones (pure); `tomledit` edits podium.toml's text
keeping its comments (pure); `apply` writes the files and the store's record (the edge).
"""
