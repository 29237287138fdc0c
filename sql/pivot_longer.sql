-- tidyr::pivot_longer(-label, names_to = "feature_names", values_to = "values"): row 1's features in
-- column order, then row 2's, ... Missing values are kept (tidyr's values_drop_na = FALSE).
SELECT COLUMNS($label), feature_names, "values"
FROM songs
UNPIVOT INCLUDE NULLS ("values" FOR feature_names IN (COLUMNS($features)))
