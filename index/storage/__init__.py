"""An index on disk: manifest, generations, update log, snapshots, live changes."""
