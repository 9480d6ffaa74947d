"""jim's benchmark against its peers (PostGraphile 4 and 5) and the raw SQL ceiling (pgbench)."""
