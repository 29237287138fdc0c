# R oracle for tidyclust.hclust: merge heights, merge matrices and cutree() labels of stats::hclust
# on Euclidean distances, for every linkage, on a few small data sets.
#
# Fixture mode (writes tests/r_oracle/hclust_fixtures.json; run from the repository root):
#   Rscript tests/r_oracle/hclust_fixtures.R [path/to/nigerian-songs.csv]
# Live mode (used by tests/test_hclust.py when Rscript is installed):
#   Rscript tests/r_oracle/hclust_fixtures.R --live input.csv output.json
# In live mode every column of input.csv is clustered as is (no scaling).
suppressPackageStartupMessages(library(jsonlite))

LINKAGES <- c("ward.D", "ward.D2", "single", "complete", "average", "mcquitty", "median", "centroid")
K <- c(1, 2, 3, 4, 5, 8)

one_tree <- function(X, method) {
  tree <- hclust(dist(X), method = method)
  n <- nrow(X)
  ks <- K[K <= n]
  out <- list(
    merge = tree$merge,
    height = tree$height,
    order = tree$order,
    k = ks,
    cut_k = lapply(ks, function(k) as.integer(cutree(tree, k = k)))
  )
  if (!is.unsorted(tree$height)) {
    # Midpoints between distinct merge heights (robust to the JSON's 15 digits), 0 and above the top.
    # Cuts exactly at a merge height are tested in Python on data with exact heights.
    u <- sort(unique(tree$height))
    mid <- (u[-1] + u[-length(u)]) / 2
    pick <- unique(round(quantile(seq_along(mid), c(0, 0.5, 0.9, 1), type = 1)))
    hs <- unname(c(0, mid[pick], max(u) + 1))
    out$h <- hs
    out$cut_h <- lapply(hs, function(h) as.integer(cutree(tree, h = h)))
  }
  out
}

one_data_set <- function(X) {
  X <- as.matrix(X)
  storage.mode(X) <- "double"
  trees <- lapply(LINKAGES, function(m) one_tree(X, m))
  names(trees) <- LINKAGES
  trees
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) >= 1 && args[1] == "--live") {
  X <- read.csv(args[2])
  write_json(one_data_set(X), args[3], digits = NA, matrix = "rowmajor")
  quit(save = "no")
}

songs_csv <- if (length(args) >= 1) args[1] else "../shared/data/nigerian-songs.csv"
songs <- read.csv(songs_csv)
lesson <- songs[songs$artist_top_genre %in% c("afro dancehall", "afropop", "nigerian pop") &
                  songs$popularity != 0,
                c("popularity", "danceability", "acousticness", "loudness", "energy")]

set.seed(20240501)
# Small integers: many tied distances and duplicate rows, to pin down R's tie-breaking.
ties <- matrix(sample(0:4, 28, replace = TRUE), ncol = 2, dimnames = list(NULL, c("x", "y")))
# Rounded so that the JSON (15 significant digits) holds exactly the data R clustered.
gauss <- round(rbind(
  cbind(x = rnorm(10, 0), y = rnorm(10, 0)),
  cbind(x = rnorm(10, 4), y = rnorm(10, 1)),
  cbind(x = rnorm(10, 2), y = rnorm(10, 5))
), 6)

sets <- list(
  ties = list(data = as.data.frame(ties), columns = colnames(ties), scale = FALSE),
  gauss = list(data = as.data.frame(gauss), columns = colnames(gauss), scale = FALSE),
  usarrests_scaled = list(data = USArrests, columns = colnames(USArrests), scale = TRUE),
  lesson = list(data = NULL, columns = colnames(lesson), scale = FALSE),
  lesson_scaled = list(data = NULL, columns = colnames(lesson), scale = TRUE)
)
fixtures <- lapply(sets, function(s) {
  X <- if (is.null(s$data)) lesson else s$data
  if (s$scale) X <- scale(X)
  c(s, list(n = nrow(X), trees = one_data_set(X)))
})
fixtures$r_version <- R.version.string
write_json(fixtures, "tests/r_oracle/hclust_fixtures.json", digits = NA, auto_unbox = TRUE,
           null = "null", dataframe = "columns", matrix = "rowmajor")
