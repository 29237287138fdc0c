-- dplyr::count(column, sort = TRUE): rows per value, most frequent first, then by value.
-- $column is a one-element list naming the column (COLUMNS() binds it as data, not SQL text).
SELECT COLUMNS($column), count(*)::BIGINT AS n
FROM songs
GROUP BY ALL
ORDER BY n DESC, 1 ASC NULLS LAST
