-- Model data: drop the rows with a missing value (null or NaN) in the model columns $columns, then
-- standardise those columns as R's scale() does: (x - mean) / sd, with sd over n - 1.
-- The other columns are kept; the model columns come last (tidyclust.sql restores the data's order).
WITH kept AS (
    SELECT *
    FROM songs
    WHERE COLUMNS($columns) IS NOT NULL AND NOT isnan(COLUMNS($columns)::DOUBLE)
)
SELECT
    COLUMNS(lambda c: NOT list_contains($columns, c)),
    (COLUMNS($columns) - avg(COLUMNS($columns)) OVER ()) / stddev_samp(COLUMNS($columns)) OVER ()
FROM kept
