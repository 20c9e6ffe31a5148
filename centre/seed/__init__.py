"""Seed data, apart from the runtime: the demo (`flask seed-demo`) and years of volume data
(`flask seed-volume`), with the helpers they share in `common`. Nothing in the app imports this
package but the CLI."""
