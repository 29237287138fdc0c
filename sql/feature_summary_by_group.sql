-- feature_summary.sql within each value of the label column $label (a missing label is a group of
-- its own, as in R). The label comes back as "grp" (a column name cannot be a bound parameter);
-- tidyclust.sql gives it back its name.
WITH lists AS (
    SELECT COLUMNS($label) AS grp, list(COLUMNS($features)::DOUBLE)
    FROM songs
    GROUP BY ALL
),
long AS (
    SELECT grp, feature_names, v
    FROM lists
    UNPIVOT INCLUDE NULLS (v FOR feature_names IN (COLUMNS($features)))
),
stats AS (
    SELECT
        grp,
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
ORDER BY list_position($features, feature_names), grp ASC NULLS LAST
