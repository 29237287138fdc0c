-- feature_summary.sql within each value of the label column $label. The label comes back as "grp"
-- (a column name cannot be a bound parameter); tidyclust.sql gives it back its name.
WITH long AS (
    SELECT COLUMNS($label) AS grp, feature_names, "values"
    FROM songs
    UNPIVOT INCLUDE NULLS ("values" FOR feature_names IN (COLUMNS($features)))
),
quartiles AS (
    SELECT
        grp,
        feature_names,
        quantile_cont("values", 0.25)::DOUBLE AS q1,
        quantile_cont("values", 0.75)::DOUBLE AS q3
    FROM long
    GROUP BY grp, feature_names
)
SELECT
    long.grp,
    long.feature_names,
    count("values")::BIGINT AS n,
    count(*) FILTER (WHERE "values" IS NULL)::BIGINT AS n_missing,
    min("values")::DOUBLE AS min,
    any_value(q1) AS q1,
    quantile_cont("values", 0.5)::DOUBLE AS median,
    any_value(q3) AS q3,
    max("values")::DOUBLE AS max,
    avg("values")::DOUBLE AS mean,
    stddev_samp("values")::DOUBLE AS sd,
    count(*) FILTER (WHERE "values" < q1 - 1.5 * (q3 - q1) OR "values" > q3 + 1.5 * (q3 - q1))::BIGINT
        AS n_outliers
FROM long
-- A missing label is a group of its own (as in R), so match it with IS NOT DISTINCT FROM.
JOIN quartiles AS q ON q.feature_names = long.feature_names AND q.grp IS NOT DISTINCT FROM long.grp
GROUP BY long.grp, long.feature_names
ORDER BY list_position($features, long.feature_names), long.grp ASC NULLS LAST
