-- The lesson's filter: keep the chosen genres and the songs that pass the popularity rule.
-- $min_popularity NULL is the lesson's rule (popularity != 0); otherwise popularity >= $min_popularity.
-- A missing genre or popularity does not pass (as dplyr::filter drops NA). Row order is kept.
SELECT *
FROM songs
WHERE list_contains($genres, artist_top_genre)
  AND CASE WHEN $min_popularity IS NULL THEN popularity <> 0 ELSE popularity >= $min_popularity END
