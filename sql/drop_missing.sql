-- Model data without standardising: drop the rows with a missing value (null or NaN) in $columns.
SELECT *
FROM songs
WHERE COLUMNS($columns) IS NOT NULL AND NOT isnan(COLUMNS($columns)::DOUBLE)
