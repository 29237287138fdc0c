-- Box-plot statistics per feature: R's type-7 quantiles (quantile_cont interpolates linearly, as
-- type 7 does), mean, sd (n - 1), and the values beyond 1.5 x IQR from the quartiles (ggplot's rule).
WITH long AS (
    SELECT feature_names, "values"
    FROM songs
    UNPIVOT INCLUDE NULLS ("values" FOR feature_names IN (COLUMNS($features)))
),
quartiles AS (
    SELECT
        feature_names,
        quantile_cont("values", 0.25)::DOUBLE AS q1,
        quantile_cont("values", 0.75)::DOUBLE AS q3
    FROM long
    GROUP BY feature_names
)
SELECT
    feature_names,
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
JOIN quartiles USING (feature_names)
GROUP BY feature_names
ORDER BY list_position($features, feature_names)
