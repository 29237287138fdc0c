-- How many rows each step of filter_songs.sql keeps and drops, so no row is lost silently.
WITH flags AS (
    SELECT
        coalesce(list_contains($genres, artist_top_genre), false) AS genre_ok,
        coalesce(
            CASE WHEN $min_popularity IS NULL THEN popularity <> 0 ELSE popularity >= $min_popularity END,
            false
        ) AS popularity_ok
    FROM songs
),
steps AS (
    SELECT 1 AS step_order, 'read' AS step, 'all rows' AS rule,
           count(*) AS rows_in, count(*) AS rows_kept
    FROM flags
    UNION ALL
    SELECT 2, 'genre', $genre_rule, count(*), count(*) FILTER (WHERE genre_ok)
    FROM flags
    UNION ALL
    SELECT 3, 'popularity', $popularity_rule,
           count(*) FILTER (WHERE genre_ok), count(*) FILTER (WHERE genre_ok AND popularity_ok)
    FROM flags
)
SELECT step, rule, rows_in::BIGINT AS rows_in, rows_kept::BIGINT AS rows_kept,
       (rows_in - rows_kept)::BIGINT AS rows_dropped
FROM steps
ORDER BY step_order
