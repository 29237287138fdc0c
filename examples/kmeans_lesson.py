"""The R lesson "K-Means clustering with R and tidy data principles", step by step, in Python.

The way in for R users: each step of the lesson is quoted as a comment (``# df <- read_csv(...)``)
above its twin written with tidyclust, Polars and DuckDB. It prints what the lesson prints and saves
the lesson's figures as PNG files.

Run it from a checkout::

    .venv/bin/python examples/kmeans_lesson.py --data ../shared/data/nigerian-songs.csv --out figures/

``--data`` defaults to ``$TIDYCLUST_DATA``, else the lesson's own copy (downloaded once, cached and
checked by sha256); ``--out`` defaults to a new temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import polars as pl

from tidyclust import metrics, plots, sql, tidy
from tidyclust.data import read_songs
from tidyclust.model import kmeans, kmeans_grid

FEATURES = ["popularity", "danceability", "acousticness", "loudness", "energy"]


def show(title: str, frame: pl.DataFrame) -> None:
    """Print a frame under a title, whole, as R prints a tibble."""
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_width_chars=140):
        print(f"\n## {title}\n{frame}")


def save(plot, out: Path, name: str) -> None:
    """ggsave(): write a figure as PNG into the output folder."""
    plot.save(out / name, dpi=120, verbose=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="songs CSV (default: $TIDYCLUST_DATA, else the lesson's copy)")
    parser.add_argument("--out", type=Path, help="folder for the figures (default: a new temporary folder)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="kmeans-lesson-"))
    out.mkdir(parents=True, exist_ok=True)

    # df <- read_csv(file = "https://raw.githubusercontent.com/microsoft/ML-For-Beginners/main/5-Clustering/data/nigerian-songs.csv")
    df = read_songs(args.data)
    print(f"Rows and columns read: {df.height} x {df.width}")

    # df <- df %>%
    #   filter(artist_top_genre == "afro dancehall" | artist_top_genre == "afropop" |
    #          artist_top_genre == "nigerian pop") %>%
    #   filter(popularity != 0)
    df = tidy.filter_songs(df, genres=["afro dancehall", "afropop", "nigerian pop"])
    print(f"Rows after the filter: {df.height}")

    # df %>% count(artist_top_genre)
    counts = sql.count_by(df, "artist_top_genre")  # DuckDB runs sql/count_by.sql on the Polars frame
    show("df %>% count(artist_top_genre)", counts)
    # ggplot(aes(x = artist_top_genre, y = n, fill = artist_top_genre)) + geom_col() + ggtitle("Top genres")
    save(plots.genre_counts(df), out, "genre_counts.png")

    # df_numeric <- df %>% select_if(is.numeric) %>% bind_cols(df %>% select(artist_top_genre))
    df_numeric = tidy.select_numeric(df)
    # df_numeric_long <- df_numeric %>%
    #   pivot_longer(!artist_top_genre, names_to = "feature_names", values_to = "values")
    df_numeric_long = tidy.pivot_longer(df_numeric)
    print(f"\nRows of df_numeric_long: {df_numeric_long.height}")
    # ggplot(aes(x = artist_top_genre, y = values, fill = feature_names)) + geom_boxplot() +
    #   facet_wrap(~ feature_names, ncol = 4, scales = "free")
    save(plots.feature_boxplots(df_numeric_long), out, "feature_boxplots.png")

    # df_numeric_select <- df_numeric %>% select(popularity, danceability, acousticness, loudness, energy)
    df_numeric_select = df_numeric.select(FEATURES)

    # set.seed(2056)
    # kclust <- kmeans(df_numeric_select, centers = 3, nstart = 25)
    kclust = kmeans(df_numeric_select, 3, nstart=25, seed=2056)
    print(f"\nK-means clustering with 3 clusters of sizes {', '.join(str(s) for s in kclust.sizes)}")
    between = 100 * kclust.betweenss / kclust.totss
    print(f"(between_SS / total_SS = {between:.1f} %)")

    # tidy(kclust)
    show("tidy(kclust)", kclust.tidy())
    # glance(kclust)
    show("glance(kclust)", kclust.glance())
    print(f"tot.withinss: {kclust.tot_withinss:.2f}")

    # augment(kclust, df)
    augmented = kclust.augment(df)
    show("augment(kclust, df) %>% select(name, artist_top_genre, .cluster) %>% head(10)",
         augmented.select("name", "artist_top_genre", ".cluster").head(10))  # fmt: skip
    # augment(kclust, df) %>%
    #   ggplot(aes(popularity, danceability, color = .cluster, shape = artist_top_genre)) +
    #   geom_point(size = 2, alpha = 0.8)
    save(plots.cluster_scatter(augmented), out, "cluster_scatter.png")

    # kclusts <- tibble(k = 1:10) %>%
    #   mutate(model = map(k, ~ kmeans(df_numeric_select, centers = .x, nstart = 25)),
    #          glanced = map(model, glance)) %>%
    #   unnest(cols = c(glanced))
    kclusts = kmeans_grid(df_numeric_select, range(1, 11), nstart=25, seed=2056)
    show("kclusts: k and tot.withinss", kclusts.frame.select("k", "tot_withinss"))
    # kclusts %>% ggplot(aes(x = k, y = tot.withinss)) + geom_line() + geom_point()  (the elbow)
    suggested = metrics.elbow(kclusts)
    print(f"Elbow at k = {suggested}")
    save(plots.elbow_plot(kclusts, suggested_k=suggested), out, "elbow.png")

    # library(cluster)
    # sil <- silhouette(kclust$cluster, dist(df_numeric_select)); summary(sil)
    sil = metrics.silhouette(kclust, df_numeric_select)
    show("summary(sil): size and average width per cluster", metrics.silhouette_summary(sil))
    print(f"Mean silhouette width: {sil['sil_width'].mean():.3f}")
    # fviz_silhouette(sil)
    save(plots.silhouette_plot(sil), out, "silhouette.png")

    # table(augment(kclust, df)$.cluster, df$artist_top_genre)
    agree = metrics.agreement(kclust, df["artist_top_genre"])
    show("table(.cluster, artist_top_genre)", agree.wide())
    # sum(as.integer(factor(df$artist_top_genre)) == kclust$cluster)   (the lesson's accuracy check)
    print(f"Lesson's check (cluster number = genre's factor code): {agree.naive_correct} of {agree.n}")
    print(f"Best one-to-one matching of clusters to genres: {agree.best_correct} of {agree.n} "
          f"({100 * agree.best_accuracy:.1f} %); adjusted Rand index {agree.ari:.3f}")  # fmt: skip
    save(plots.contingency_heatmap(agree.table), out, "contingency.png")

    # Challenge: kmeans(scale(df_numeric_select), centers = 3, nstart = 25)
    scaled = kmeans(df_numeric_select, 3, nstart=25, seed=2056, scale=True)
    scaled_sil = metrics.silhouette(scaled, df_numeric_select)["sil_width"].mean()
    print(f"\nChallenge, scaled features: sizes {', '.join(str(s) for s in scaled.sizes)}; "
          f"mean silhouette width {scaled_sil:.3f}")  # fmt: skip

    print(f"\nFigures saved in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
