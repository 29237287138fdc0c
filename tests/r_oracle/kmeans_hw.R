# R oracle for tidyclust's Hartigan-Wong kernel.
#
# Runs stats::kmeans (algorithm = "Hartigan-Wong") from FIXED initial centers on a few small cases
# and writes the results to kmeans_hw.json next to this script. tests/test_model.py feeds the same
# initial centers to tidyclust._kmeans_kernels.hartigan_wong and expects the same clustering,
# withinss and iter.
#
# Regenerate with:  Rscript tests/r_oracle/kmeans_hw.R [path/to/nigerian-songs.csv [output.json]]
# Cases named "lesson_*" use the lesson's 286 songs (only row numbers are stored, never the data).

suppressWarnings(library(jsonlite))

args <- commandArgs(trailingOnly = TRUE)
songs_path <- if (length(args) >= 1) args[1] else "/work/shared/data/nigerian-songs.csv"
out_path <- if (length(args) >= 2) args[2] else
  file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "kmeans_hw.json")

run_case <- function(name, x, start_rows, iter_max = 10L, store_x = TRUE) {
  x <- as.matrix(x)
  centers <- x[start_rows, , drop = FALSE]
  fit <- withCallingHandlers(
    kmeans(x, centers = centers, iter.max = iter_max, algorithm = "Hartigan-Wong"),
    warning = function(w) invokeRestart("muffleWarning")
  )
  list(
    name = name,
    x = if (store_x) unname(x) else NULL,
    start_rows = start_rows,
    iter_max = iter_max,
    cluster = unname(fit$cluster),
    centers = unname(fit$centers),
    withinss = fit$withinss,
    size = fit$size,
    iter = fit$iter,
    ifault = fit$ifault,
    tot_withinss = fit$tot.withinss,
    totss = fit$totss
  )
}

set.seed(20240601)
cases <- list()

# Three separated blobs in 2-D, started from one row of each blob.
blobs <- rbind(matrix(rnorm(40, 0, 1), ncol = 2), matrix(rnorm(40, 5, 1), ncol = 2),
               matrix(rnorm(40, c(0, 8), 1), ncol = 2, byrow = TRUE))
cases[[length(cases) + 1]] <- run_case("blobs_k3", blobs, c(1L, 21L, 41L))
# The same blobs from a poor start (three rows of one blob): many transfers needed.
cases[[length(cases) + 1]] <- run_case("blobs_k3_bad_start", blobs, c(1L, 2L, 3L))
cases[[length(cases) + 1]] <- run_case("blobs_k2", blobs, c(5L, 6L))
cases[[length(cases) + 1]] <- run_case("blobs_k6", blobs, c(1L, 2L, 3L, 4L, 5L, 6L))

# Uniform noise in 4-D: no structure, lots of movement.
noise <- matrix(runif(80 * 4), ncol = 4)
cases[[length(cases) + 1]] <- run_case("noise_k4", noise, c(10L, 20L, 30L, 40L))
cases[[length(cases) + 1]] <- run_case("noise_k7", noise, c(1L, 3L, 5L, 7L, 9L, 11L, 13L))
# Not converged within iter.max = 1 (ifault 2, iter reported as iter.max + 1).
cases[[length(cases) + 1]] <- run_case("noise_k7_itermax1", noise, c(1L, 3L, 5L, 7L, 9L, 11L, 13L),
                                       iter_max = 1L)

# Integer grid data with many ties and duplicated rows.
ties <- matrix(sample(0:3, 60 * 3, replace = TRUE), ncol = 3)
u <- which(!duplicated(ties))
cases[[length(cases) + 1]] <- run_case("ties_k3", ties, u[1:3])
cases[[length(cases) + 1]] <- run_case("ties_k5", ties, u[c(2, 4, 6, 8, 10)])

# The lesson data (row numbers only).
if (file.exists(songs_path)) {
  songs <- read.csv(songs_path)
  songs <- songs[songs$artist_top_genre %in% c("afro dancehall", "afropop", "nigerian pop") &
                   songs$popularity != 0, ]
  x <- as.matrix(songs[, c("popularity", "danceability", "acousticness", "loudness", "energy")])
  stopifnot(nrow(x) == 286)
  cases[[length(cases) + 1]] <- run_case("lesson_k3", x, c(1L, 100L, 200L), store_x = FALSE)
  cases[[length(cases) + 1]] <- run_case("lesson_k5", x, c(3L, 50L, 90L, 140L, 250L), store_x = FALSE)
  cases[[length(cases) + 1]] <- run_case("lesson_k10", x, seq(7L, 286L, by = 28L), store_x = FALSE)
  cases[[length(cases) + 1]] <- run_case("lesson_k8_scaled", scale(x), c(2L, 30L, 60L, 90L, 120L, 150L, 180L, 210L),
                                         store_x = FALSE)
}

writeLines(toJSON(list(r_version = R.version.string, cases = cases), digits = I(17), auto_unbox = TRUE,
                  pretty = TRUE, matrix = "rowmajor"),
           out_path)
cat("wrote", out_path, "with", length(cases), "cases\n")
