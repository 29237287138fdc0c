# Regenerate the R oracle fixtures used by tests/test_metrics.py:
#   Rscript tests/r_oracle/make_metrics_fixtures.R   (from the repository root)
# Needs R with the recommended package 'cluster'. Data: R's built-in USArrests (50 x 4).
suppressPackageStartupMessages(library(cluster))
out <- "tests/r_oracle"
x <- as.matrix(USArrests)
write.csv(data.frame(state = rownames(x), x, row.names = NULL), file.path(out, "usarrests.csv"), row.names = FALSE)

# Fixed, deterministic clusterings: complete-linkage hclust cut at k = 1..8.
hc <- hclust(dist(x))
labs <- sapply(1:8, function(k) cutree(hc, k))
colnames(labs) <- paste0("k", 1:8)
write.csv(labs, file.path(out, "usarrests_cutree.csv"), row.names = FALSE)

# silhouette() for k = 2..5, with also a scaled-data variant.
sil <- do.call(rbind, lapply(2:5, function(k) {
  s <- silhouette(labs[, k], dist(x))
  data.frame(k = k, row = seq_len(nrow(x)), cluster = s[, "cluster"], neighbor = s[, "neighbor"],
             sil_width = sprintf("%.17g", s[, "sil_width"]))
}))
write.csv(sil, file.path(out, "usarrests_silhouette.csv"), row.names = FALSE)

# clusGap with the hclust clustering: logW is deterministic; E.logW and SE.sim are one seeded draw.
hfun <- function(x, k) list(cluster = cutree(hclust(dist(x)), k))
gaps <- do.call(rbind, lapply(c("scaledPCA", "original"), function(sp) do.call(rbind, lapply(c(1, 2), function(dp) {
  set.seed(20240501)
  g <- clusGap(x, FUNcluster = hfun, K.max = 8, B = 200, d.power = dp, spaceH0 = sp, verbose = FALSE)
  data.frame(spaceH0 = sp, d_power = dp, k = 1:8,
             logW = sprintf("%.17g", g$Tab[, "logW"]), E_logW = sprintf("%.17g", g$Tab[, "E.logW"]),
             gap = sprintf("%.17g", g$Tab[, "gap"]), SE_sim = sprintf("%.17g", g$Tab[, "SE.sim"]))
}))))
write.csv(gaps, file.path(out, "usarrests_clusgap.csv"), row.names = FALSE)

# maxSE on hand-made and random curves, every method, several SE.factor values.
set.seed(7)
curves <- list(
  c(0.1, 0.5, 0.45, 0.7), c(1, 2, 3, 4, 5), c(5, 4, 3, 2, 1), c(0.2, 0.2, 0.2), c(0.3),
  c(0.1, 0.4, 0.38, 0.6, 0.59, 0.61), c(0.5, 0.6, 0.55, 0.9, 0.85, 0.95, 0.94)
)
ses <- list(
  c(0.1, 0.1, 0.1, 0.1), rep(0.5, 5), rep(0.01, 5), c(0, 0, 0), c(0.1),
  c(0.05, 0.02, 0.03, 0.04, 0.01, 0.02), rep(0.03, 7)
)
for (i in 1:20) {
  K <- sample(2:10, 1)
  curves[[length(curves) + 1]] <- round(cumsum(rnorm(K, 0.1, 0.2)), 3)
  ses[[length(ses) + 1]] <- round(runif(K, 0, 0.15), 3)
}
methods <- c("firstSEmax", "Tibs2001SEmax", "globalSEmax", "firstmax", "globalmax")
rows <- list()
for (i in seq_along(curves)) for (m in methods) for (fac in c(0, 0.5, 1, 2)) {
  rows[[length(rows) + 1]] <- data.frame(
    case = i, f = paste(curves[[i]], collapse = " "), SE_f = paste(ses[[i]], collapse = " "),
    method = m, SE_factor = fac, k = maxSE(curves[[i]], ses[[i]], method = m, SE.factor = fac))
}
write.csv(do.call(rbind, rows), file.path(out, "maxse.csv"), row.names = FALSE)
cat("R", R.version.string, "cluster", as.character(packageVersion("cluster")), "\n",
    file = file.path(out, "metrics_r_versions.txt"))
