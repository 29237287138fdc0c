-- Box-plot statistics per feature: R's type-7 quartiles (quantile_cont interpolates linearly, as
-- type 7 does), mean, sd (n - 1), and the values beyond 1.5 x IQR from the quartiles (ggplot's rule).
-- One pass over the wide data collects each feature's values into a list; every statistic, the
-- outlier count included, is then computed on that list (no join of the long data with its fences).
WITH lists AS (
    SELECT list(COLUMNS($features)::DOUBLE)
    FROM songs
),
long AS (
    SELECT feature_names, coalesce(v, []) AS v
    FROM lists
    UNPIVOT INCLUDE NULLS (v FOR feature_names IN (COLUMNS($features)))
),
stats AS (
    SELECT
        feature_names,
        v,
        list_count(v)::BIGINT AS n,
        (len(v) - list_count(v))::BIGINT AS n_missing,
        list_min(v)::DOUBLE AS min,
        list_aggregate(v, 'quantile_cont', 0.25)::DOUBLE AS q1,
        list_aggregate(v, 'quantile_cont', 0.5)::DOUBLE AS median,
        list_aggregate(v, 'quantile_cont', 0.75)::DOUBLE AS q3,
        list_max(v)::DOUBLE AS max,
        list_avg(v)::DOUBLE AS mean,
        list_stddev_samp(v)::DOUBLE AS sd
    FROM long
)
SELECT
    * EXCLUDE (v),
    len(list_filter(v, lambda x: x < q1 - 1.5 * (q3 - q1) OR x > q3 + 1.5 * (q3 - q1)))::BIGINT AS n_outliers
FROM stats
ORDER BY list_position($features, feature_names)
